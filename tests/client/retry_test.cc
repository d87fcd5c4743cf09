// The C++ client's retries after a lost connection, proven with a loopback
// TCP relay the test cuts from inside the member: the broker has applied
// the call and its answer never arrives. The client reconnects and sends the
// call again under the same request id; the member ran exactly once and the
// caller got its result. Both transports (Stream and unary calls), both
// call forms (blocking and callback).
#include <atomic>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orb/broker/binding.h"
#include "orb/client/client.h"
#include "orb/policy/olp.h"
#include "tests/testing/broker_server.h"
#include "tests/testing/tcp_relay.h"
#include "tests/testing/test_support.h"

namespace orb::testing {
namespace {

using ::testing::HasSubstr;
using policy::Lock;
using policy::Op;
using policy::View;

// Each member counts its runs; while `cuts_left` is positive, a run cuts
// every connection of the relay before the member returns (the broker has
// applied it; the answer cannot arrive).
class Instrument final : public broker::Object {
 public:
  int64_t Bump(int64_t by) {
    const int64_t now = total += by;
    ++bumps;
    MaybeCut();
    return now;
  }
  int64_t Reading() {
    ++readings;
    MaybeCut();
    return 21;
  }
  void MaybeCut() {
    if (cuts_left.fetch_sub(1) > 0) relay->CutAll();
  }
  std::atomic<int64_t> total{0};
  std::atomic<int> bumps{0};
  std::atomic<int> readings{0};
  std::atomic<int> cuts_left{0};
  TcpRelay* relay = nullptr;
};

absl::Status RegisterInstrument(broker::TypeRegistry& r) {
  policy::Olp::Builder olp;
  olp.Expose(View::kInstance, Op::kCall, "bump", Lock::NoPermissionRequired());
  olp.Expose(View::kInstance, Op::kGetAttr, "reading", Lock::NoPermissionRequired());
  broker::TypeBuilder<Instrument> t("test.Instrument");
  t.Method("bump", &Instrument::Bump, {"by"})
      .Property("reading", &Instrument::Reading)
      .Olp(olp.Build())
      .Concurrency(broker::Concurrency::kThreadSafe)
      .NonBlocking();
  return r.Register(std::move(t));
}

class RetryTest : public ::testing::TestWithParam<bool> {
 protected:
  RetryTest()
      : instrument_(std::make_shared<Instrument>()),
        server_(DemoPolicy(), RegisterInstrument, instrument_),
        relay_(server_.port()) {
    instrument_->relay = &relay_;
  }

  orb::client::Session Open(bool retry) {
    orb::client::ClientOptions options;
    options.target = relay_.address();
    options.use_stream = GetParam();
    options.token = "bob-demo-token";
    options.timeout = absl::Seconds(20);
    options.retry = retry;
    absl::StatusOr<orb::client::Client> client = orb::client::Client::Connect(options);
    EXPECT_THAT(client, IsOk());
    absl::StatusOr<orb::client::Session> session = client->OpenSession();
    EXPECT_THAT(session, IsOk());
    return *std::move(session);
  }

  std::shared_ptr<Instrument> instrument_;
  BrokerServer server_;
  TcpRelay relay_;
};

TEST_P(RetryTest, ACallCutOffAfterItRanIsAnsweredOnceAndRunsOnce) {
  ASSERT_TRUE(server_.started());
  ASSERT_TRUE(relay_.started());
  orb::client::Session session = Open(true);
  const int connections = relay_.accepted();
  instrument_->cuts_left = 1;
  absl::StatusOr<orb::client::Value> result = session.root().Call("bump", {5});
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->AsInt().value_or(-1), 5);
  EXPECT_EQ(instrument_->bumps.load(), 1) << "the member ran exactly once";
  EXPECT_EQ(instrument_->total.load(), 5);
  EXPECT_GT(relay_.accepted(), connections) << "the client reconnected";
  EXPECT_LE(instrument_->cuts_left.load(), 0) << "the connection was cut";
}

TEST_P(RetryTest, TheCallbackFormRetriesToo) {
  ASSERT_TRUE(server_.started());
  orb::client::Session session = Open(true);
  instrument_->cuts_left = 1;
  auto answer = session.root().CallAsync("bump", {3});
  absl::StatusOr<orb::client::Value> result = answer.get();
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->AsInt().value_or(-1), 3);
  EXPECT_EQ(instrument_->bumps.load(), 1);
}

TEST_P(RetryTest, AReadIsRepeatedWithoutAnId) {
  ASSERT_TRUE(server_.started());
  orb::client::Session session = Open(true);
  instrument_->cuts_left = 1;
  absl::StatusOr<orb::client::Value> value = session.root().Get("reading");
  ASSERT_THAT(value, IsOk());
  EXPECT_EQ(value->AsInt().value_or(-1), 21);
  EXPECT_EQ(instrument_->readings.load(), 2) << "read again: reading changes nothing";
}

TEST_P(RetryTest, WithoutRetriesTheCallerSeesTheLostConnection) {
  ASSERT_TRUE(server_.started());
  orb::client::Session session = Open(false);
  instrument_->cuts_left = 1;
  absl::StatusOr<orb::client::Value> result = session.root().Call("bump", {5});
  EXPECT_THAT(result.status(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(instrument_->bumps.load(), 1) << "it ran; the caller cannot know";
}

TEST_P(RetryTest, RetriesStopAtTheCallersDeadline) {
  ASSERT_TRUE(server_.started());
  orb::client::ClientOptions options;
  options.target = relay_.address();
  options.use_stream = GetParam();
  options.token = "bob-demo-token";
  options.timeout = absl::Seconds(1);
  absl::StatusOr<orb::client::Client> client = orb::client::Client::Connect(options);
  ASSERT_THAT(client, IsOk());
  absl::StatusOr<orb::client::Session> session = client->OpenSession();
  ASSERT_THAT(session, IsOk());
  // Every read is cut off: the client tries again and again, then gives
  // the caller the failure once the timeout has passed.
  instrument_->cuts_left = 1000000;
  absl::StatusOr<orb::client::Value> value = session->root().Get("reading");
  EXPECT_FALSE(value.ok());
  EXPECT_THAT(value.status().code(), ::testing::AnyOf(absl::StatusCode::kUnavailable,
                                                      absl::StatusCode::kDeadlineExceeded));
  EXPECT_GT(instrument_->readings.load(), 1) << "tried more than once";
  instrument_->cuts_left = 0;
}

INSTANTIATE_TEST_SUITE_P(Transports, RetryTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Stream" : "Unary";
                         });

}  // namespace
}  // namespace orb::testing
