// protobuf's line for a string field that is not UTF-8 is rate-limited
// (broker/service/protobuf_log_limit.h): the limit itself, the handler in
// this process, and orbd's stderr under a flood of such requests, each of
// which is still refused.
#include <signal.h>

#include <mutex>
#include <string>
#include <vector>

#include "broker/service/protobuf_log_limit.h"
#include "gmock/gmock.h"
#include "google/protobuf/stubs/logging.h"
#include "gtest/gtest.h"
#include "orb/v1/broker.pb.h"
#include "tests/integration/caller.h"
#include "tests/integration/ops_fixture.h"
#include "tests/testing/joining_thread.h"

namespace orb::testing {

using orb::broker::LogRateLimit;
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kUtf8Complaint[] = "contains invalid UTF-8 data";
const std::string kNotUtf8 = "ti\xff\xfetle";

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(LogRateLimit, OneLineAPeriodWithTheCountHeldBack) {
  broker::LogRateLimit limit(absl::Minutes(1));
  const absl::Time start = absl::FromUnixSeconds(1'700'000'000);
  EXPECT_EQ(limit.Admit(start), 0u);
  EXPECT_EQ(limit.Admit(start + absl::Seconds(1)), std::nullopt);
  EXPECT_EQ(limit.Admit(start + absl::Seconds(59)), std::nullopt);
  EXPECT_EQ(limit.Admit(start + absl::Seconds(60)), 2u);
  EXPECT_EQ(limit.Admit(start + absl::Seconds(61)), std::nullopt);
  EXPECT_EQ(limit.Admit(start + absl::Minutes(30)), 1u);
  EXPECT_EQ(limit.Admit(start + absl::Minutes(31)), 0u);
}

// What reaches the handler installed before the limit.
std::mutex g_mu;
std::vector<std::string> g_lines;
void Capture(google::protobuf::LogLevel, const char*, int, const std::string& message) {
  std::lock_guard<std::mutex> lock(g_mu);
  g_lines.push_back(message);
}

TEST(ProtobufLogLimit, PassesOtherMessagesAndOneUtf8LineAMinute) {
  google::protobuf::SetLogHandler(&Capture);
  broker::InstallProtobufLogLimit();
  broker::InstallProtobufLogLimit();  // the second call changes nothing

  const std::string bytes = LengthDelimited(3, kNotUtf8);  // GetAttrRequest.name
  std::vector<JoiningThread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        v1::GetAttrRequest request;
        EXPECT_FALSE(request.ParseFromString(bytes));
      }
    });
  }
  for (JoiningThread& t : threads) t.Join();
  GOOGLE_LOG(ERROR) << "some other complaint";
  GOOGLE_LOG(ERROR) << "some other complaint";

  std::lock_guard<std::mutex> lock(g_mu);
  size_t utf8 = 0;
  size_t other = 0;
  for (const std::string& line : g_lines) {
    if (line.find(kUtf8Complaint) != std::string::npos) {
      ++utf8;
      EXPECT_THAT(line, HasSubstr("'orb.v1.GetAttrRequest.name'"));
      EXPECT_THAT(line, HasSubstr("orb logs at most one such line a minute"));
      EXPECT_THAT(line, Not(HasSubstr(kNotUtf8)));
    } else if (line == "some other complaint") {
      ++other;
    }
  }
  EXPECT_EQ(utf8, 1u);
  EXPECT_EQ(other, 2u);
}

TEST(ProtobufLogLimit, OrbdLogsOneLineForAFloodAndRefusesEachRequest) {
  OrbdProcess orbd({"--listen=127.0.0.1:0",
                  "--policy=" + OrbdProcess::BlogPolicyPath()});
  const std::string address = orbd.WaitForAddress();
  ASSERT_FALSE(address.empty()) << orbd.log();
  auto stub = v1::ObjectBroker::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  v1::OpenSessionResponse session;
  ASSERT_TRUE(OpenSession(*stub, kBobToken, &session).ok());

  const std::string request = LengthDelimited(1, session.session()) +
                              LengthDelimited(2, session.root().id()) +
                              LengthDelimited(3, kNotUtf8);
  constexpr int kRequests = 200;
  int refused = 0;
  for (int i = 0; i < kRequests; ++i) {
    std::string ignored;
    grpc::Status status = RawCall(address, "/orb.v1.ObjectBroker/GetAttr", request, &ignored,
                                  {{"authorization", std::string("Bearer ") + kBobToken}});
    if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT &&
        status.error_message().find("not UTF-8") != std::string::npos) {
      ++refused;
    }
  }
  EXPECT_EQ(refused, kRequests);

  orbd.Signal(SIGTERM);
  ASSERT_EQ(orbd.WaitForExit(), 0) << orbd.log();
  const std::string log = orbd.log();
  // One line, at the first request; the flood lasts well under a minute.
  EXPECT_EQ(Count(log, kUtf8Complaint), 1u) << log;
  EXPECT_THAT(log, HasSubstr("orb logs at most one such line a minute"));
  EXPECT_THAT(log, Not(HasSubstr(kNotUtf8)));
  EXPECT_THAT(log, Not(HasSubstr(session.session())));
}

}  // namespace
}  // namespace orb::testing
