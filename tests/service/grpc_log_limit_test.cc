// gRPC's failed-handshake lines are rate-limited per peer and cause
// (broker/service/grpc_log_limit.h), on the keyed limit beneath it
// (broker/service/log_rate_limit.h). The time is passed in: no waiting.
#include "broker/service/grpc_log_limit.h"

#include <optional>
#include <string>

#include "broker/service/log_rate_limit.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace orb::service {

using orb::broker::GrpcLogLimit;
using orb::broker::KeyedLogRateLimit;
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const absl::Time kStart = absl::FromUnixSeconds(1'700'000'000);

// What gRPC 1.51 logs for a plaintext client at a TLS port: the ERROR line,
// and at GRPC_VERBOSITY=DEBUG two more for the same failure.
constexpr char kPlaintextClient[] =
    "Handshake failed with fatal error SSL_ERROR_SSL: error:0A00010B:SSL routines::wrong "
    "version number.";
constexpr char kPlaintextClientDebug1[] =
    "Security handshake failed: UNKNOWN:Ssl handshake failed: SSL_ERROR_SSL: "
    "error:0A00010B:SSL routines::wrong version number {tsi_code:10, "
    "tsi_error:\"TSI_PROTOCOL_FAILURE\", created_time:\"2026-12-04T16:31:54.17+00:00\"}";
constexpr char kPlaintextClientDebug2[] =
    "Handshaking failed: UNKNOWN:Ssl handshake failed: SSL_ERROR_SSL: error:0A00010B:SSL "
    "routines::wrong version number {tsi_code:10, created_time:\"2026-12-04T16:31:55.01+00:00\"}";
// A TLS client without a certificate where one is required.
constexpr char kNoClientCertificate[] =
    "Handshake failed with fatal error SSL_ERROR_SSL: error:0A0000C7:SSL routines::peer did "
    "not return a certificate.";

TEST(KeyedLogRateLimit, OneLineAPeriodPerKeyWithTheCountHeldBack) {
  KeyedLogRateLimit limit(absl::Minutes(1), 16);
  EXPECT_EQ(limit.Admit("a", kStart), 0u);
  EXPECT_EQ(limit.Admit("b", kStart), 0u);  // another key is not held back
  EXPECT_EQ(limit.Admit("a", kStart + absl::Seconds(1)), std::nullopt);
  EXPECT_EQ(limit.Admit("a", kStart + absl::Seconds(59)), std::nullopt);
  EXPECT_EQ(limit.Admit("b", kStart + absl::Seconds(59)), std::nullopt);
  EXPECT_EQ(limit.Admit("a", kStart + absl::Seconds(60)), 2u);
  EXPECT_EQ(limit.Admit("b", kStart + absl::Seconds(61)), 1u);
  EXPECT_EQ(limit.Admit("a", kStart + absl::Minutes(5)), 0u);
}

TEST(KeyedLogRateLimit, AFullTableForgetsStaleKeysThenSharesOneOverflowEntry) {
  KeyedLogRateLimit limit(absl::Minutes(1), 2);
  EXPECT_EQ(limit.Admit("a", kStart), 0u);
  EXPECT_EQ(limit.Admit("b", kStart), 0u);
  // Full, nothing stale: new keys share the overflow entry.
  EXPECT_EQ(limit.Admit("c", kStart), 0u);
  EXPECT_EQ(limit.Admit("d", kStart + absl::Seconds(1)), std::nullopt);
  EXPECT_EQ(limit.Admit("e", kStart + absl::Seconds(2)), std::nullopt);
  // Known keys keep their own entries meanwhile.
  EXPECT_EQ(limit.Admit("a", kStart + absl::Seconds(3)), std::nullopt);
  // A minute on, "b" holds nothing back and is forgotten to make room for
  // "f"; "a" held a line back and is kept, with its count.
  EXPECT_EQ(limit.Admit("f", kStart + absl::Minutes(1)), 0u);
  EXPECT_EQ(limit.Admit("f", kStart + absl::Minutes(1) + absl::Seconds(1)), std::nullopt);
  EXPECT_EQ(limit.Admit("a", kStart + absl::Minutes(1) + absl::Seconds(2)), 1u);
  // Full again with nothing stale ("a" and "f" just wrote): "g" shares the
  // overflow entry, whose count comes out with its next line.
  EXPECT_EQ(limit.Admit("g", kStart + absl::Minutes(1) + absl::Seconds(4)), 2u);
}

TEST(GrpcLogLimit, OtherLinesPassUnchanged) {
  GrpcLogLimit limit;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(limit.Filter("Failed to bind to 127.0.0.1:1", kStart),
              "Failed to bind to 127.0.0.1:1");
  }
}

TEST(GrpcLogLimit, OneHandshakeLineAMinutePerCauseWithTheCount) {
  GrpcLogLimit limit;
  std::optional<std::string> first = limit.Filter(kPlaintextClient, kStart);
  ASSERT_TRUE(first.has_value());
  EXPECT_THAT(*first, StartsWith(kPlaintextClient));
  EXPECT_THAT(*first, HasSubstr("a client may be speaking plaintext to this TLS port"));
  EXPECT_THAT(*first, HasSubstr("at most once a minute per peer and cause"));
  EXPECT_THAT(*first, Not(HasSubstr("held back")));
  // Further attempts within the minute, and the DEBUG lines of the same
  // failure, are held back.
  for (int i = 1; i <= 20; ++i) {
    EXPECT_EQ(limit.Filter(kPlaintextClient, kStart + absl::Seconds(i)), std::nullopt);
    EXPECT_EQ(limit.Filter(kPlaintextClientDebug1, kStart + absl::Seconds(i)), std::nullopt);
    EXPECT_EQ(limit.Filter(kPlaintextClientDebug2, kStart + absl::Seconds(i)), std::nullopt);
  }
  // Another cause is its own line.
  std::optional<std::string> other = limit.Filter(kNoClientCertificate, kStart + absl::Seconds(30));
  ASSERT_TRUE(other.has_value());
  EXPECT_THAT(*other, Not(HasSubstr("plaintext")));
  // A minute on, the next line passes with the count held back.
  std::optional<std::string> next = limit.Filter(kPlaintextClient, kStart + absl::Minutes(1));
  ASSERT_TRUE(next.has_value());
  EXPECT_THAT(*next, HasSubstr("; 60 held back since the last one)"));
}

TEST(GrpcLogLimit, ALineThatNamesItsPeerIsLimitedPerHostWhateverThePort) {
  EXPECT_EQ(GrpcLogLimit::HandshakeKeyForTesting(
                "Handshake failed for ipv4:10.0.0.7:50412: SSL routines::wrong version number"),
            GrpcLogLimit::HandshakeKeyForTesting(
                "Handshake failed for ipv4:10.0.0.7:50999: SSL routines::wrong version number"));
  EXPECT_NE(GrpcLogLimit::HandshakeKeyForTesting(
                "Handshake failed for ipv4:10.0.0.7:50412: SSL routines::wrong version number"),
            GrpcLogLimit::HandshakeKeyForTesting(
                "Handshake failed for ipv4:10.0.0.8:50412: SSL routines::wrong version number"));
  EXPECT_EQ(GrpcLogLimit::HandshakeKeyForTesting(
                "Handshake failed for ipv6:[::1]:50412: SSL routines::wrong version number"),
            "::1 wrong version number");
  EXPECT_EQ(GrpcLogLimit::HandshakeKeyForTesting(kPlaintextClient), " wrong version number");
  EXPECT_EQ(GrpcLogLimit::HandshakeKeyForTesting(kPlaintextClientDebug1), " wrong version number");
  EXPECT_EQ(GrpcLogLimit::HandshakeKeyForTesting("Failed to bind"), std::nullopt);
}

}  // namespace
}  // namespace orb::service
