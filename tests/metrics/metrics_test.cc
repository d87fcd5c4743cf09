// orb_metrics without a daemon: --metrics-listen's addresses, RpcStats'
// buckets, and the collector's families over an in-process core (every
// family has help text, every label value comes from the fixed tables).
#include <chrono>
#include <memory>
#include <set>
#include <string>

#include "broker/metrics/broker_collector.h"
#include "broker/metrics/metrics_address.h"
#include "broker/service/rpc_stats.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"
#include "tests/testing/broker_fixture.h"
#include "tests/testing/test_support.h"

namespace orb::testing {
namespace {

using broker::MetricsAddress;
using broker::ParseMetricsAddress;
using broker::RpcStats;
using ::testing::HasSubstr;

TEST(MetricsAddress, APortAloneIsLoopback) {
  for (const char* flag : {"9464", ":9464", "localhost:9464", "127.0.0.1:9464"}) {
    absl::StatusOr<MetricsAddress> a = ParseMetricsAddress(flag);
    ASSERT_TRUE(a.ok()) << flag << ": " << a.status();
    EXPECT_EQ(a->HostPort(), "127.0.0.1:9464") << flag;
    EXPECT_TRUE(a->loopback) << flag;
  }
}

TEST(MetricsAddress, AnotherHostOnlyWhenWritten) {
  absl::StatusOr<MetricsAddress> any = ParseMetricsAddress("0.0.0.0:0");
  ASSERT_TRUE(any.ok()) << any.status();
  EXPECT_EQ(any->HostPort(), "0.0.0.0:0");
  EXPECT_FALSE(any->loopback);
  absl::StatusOr<MetricsAddress> other = ParseMetricsAddress("127.8.0.1:1");
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->loopback);
}

TEST(MetricsAddress, RefusesWhatItCannotBind) {
  for (const char* flag : {"", "x", "65536", "-1", "metrics.example.com:9464", "[::1]:9464",
                           "127.0.0.1:", "127.0.0.1:94x"}) {
    absl::StatusOr<MetricsAddress> a = ParseMetricsAddress(flag);
    EXPECT_THAT(a, StatusIs(absl::StatusCode::kInvalidArgument,
                            HasSubstr("--metrics-listen=")))
        << flag;
  }
}

TEST(RpcStats, CountsByCodeAndBucketsByUpperBound) {
  RpcStats stats;
  const int get = RpcStats::Unary(RpcStats::kGetAttr);
  stats.Record(get, 0, std::chrono::microseconds(100));  // le=0.0001: bounds are included
  stats.Record(get, 0, std::chrono::microseconds(101));  // le=0.00025
  stats.Record(get, 5, std::chrono::seconds(30));        // +Inf
  stats.Record(get, 99, std::chrono::microseconds(1));   // out of range: UNKNOWN
  EXPECT_EQ(stats.count(get, 0), 2u);
  EXPECT_EQ(stats.count(get, 5), 1u);
  EXPECT_EQ(stats.count(get, 2), 1u);
  const RpcStats::Latency l = stats.latency(get);
  EXPECT_EQ(l.count, 4u);
  EXPECT_EQ(l.buckets[0], 2u);  // 100 µs and 1 µs
  EXPECT_EQ(l.buckets[1], 1u);
  EXPECT_EQ(l.buckets[RpcStats::kBounds], 1u);
  EXPECT_NEAR(l.sum_seconds, 30.000202, 1e-9);
  // Another series is untouched; the Stream call is counted, not timed.
  EXPECT_EQ(stats.count(RpcStats::OnStream(RpcStats::kGetAttr), 0), 0u);
  stats.Record(RpcStats::kStreamCall, 0, std::chrono::seconds(1));
  EXPECT_EQ(stats.count(RpcStats::kStreamCall, 0), 1u);
  EXPECT_EQ(stats.latency(RpcStats::kStreamCall).count, 0u);
}

TEST(RpcStats, EverySeriesHasItsOwnLabels) {
  std::set<std::string> seen;
  for (int s = 0; s < RpcStats::kSeries; ++s) {
    const RpcStats::Labels& l = RpcStats::Describe(s);
    ASSERT_NE(l.method, nullptr) << s;
    EXPECT_TRUE(seen.insert(std::string(l.service) + "/" + l.method + "/" + l.transport).second)
        << l.method;
  }
  EXPECT_EQ(std::string(RpcStats::Describe(RpcStats::Admin(RpcStats::kAdminCloseSession)).service),
            "BrokerAdmin");
  EXPECT_EQ(std::string(RpcStats::Describe(RpcStats::Unary(RpcStats::kCloseSession)).service),
            "ObjectBroker");
}

TEST(BrokerCollector, EveryFamilyHasHelpAndMovesWithTheCore) {
  Harness h;
  RpcStats stats;
  broker::MetricsSources sources;
  sources.core = &h.core();
  sources.rpc_stats = &stats;
  broker::BrokerCollector collector(sources);
  const auto text = [&] { return prometheus::TextSerializer().Serialize(collector.Collect()); };

  const std::string before = text();
  EXPECT_THAT(before, HasSubstr("orb_sessions 0\n"));
  EXPECT_THAT(before, HasSubstr("orb_member_threads_busy 0\n"));
  EXPECT_THAT(before, HasSubstr("orb_audit_write_failures_total 0\n"));
  for (const auto& family : collector.Collect()) {
    EXPECT_FALSE(family.help.empty()) << family.name;
    EXPECT_EQ(family.name.rfind("orb_", 0), 0u) << family.name;
  }

  Client bob(h, Bob());
  bob.Open();
  ASSERT_TRUE(bob.Get(bob.root(), "title").ok());
  stats.Record(RpcStats::Unary(RpcStats::kGetAttr), 0, std::chrono::microseconds(50));
  const std::string after = text();
  EXPECT_THAT(after, HasSubstr("orb_sessions 1\n"));
  EXPECT_THAT(after, HasSubstr("orb_handles 1\n"));
  EXPECT_THAT(after, HasSubstr(
      "orb_gate_decisions_total{gate=\"acl\",result=\"allowed\",reason=\"granted\"} 1\n"));
  EXPECT_THAT(after, HasSubstr("orb_rpcs_total{service=\"ObjectBroker\",method=\"GetAttr\","
                               "transport=\"unary\",code=\"OK\"} 1\n"));
  EXPECT_THAT(after, HasSubstr("orb_rpc_duration_seconds_bucket{service=\"ObjectBroker\","
                               "method=\"GetAttr\",transport=\"unary\",le=\"0.0001\"} 1\n"));
  // Bob's session id never becomes a label.
  EXPECT_THAT(after, ::testing::Not(HasSubstr(bob.session())));
  EXPECT_THAT(after, ::testing::Not(HasSubstr("bob")));

  // promtool, when installed, finds nothing to say about the text.
  if (RunCommand("command -v promtool").exit_code == 0) {
    const std::string dir = MakeTempDir();
    WriteWholeFile(dir + "/metrics.txt", after);
    const CommandResult lint = RunCommand("promtool check metrics < '" + dir + "/metrics.txt'");
    EXPECT_EQ(lint.exit_code, 0) << lint.output;
    EXPECT_EQ(lint.output, "");
    RunCommand("rm -rf '" + dir + "'");
  }
}

}  // namespace
}  // namespace orb::testing
