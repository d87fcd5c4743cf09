// orbd --shadow-policy: a shadow that does not compile refuses the start,
// and a reload (SIGHUP) whose shadow does not compile is refused whole with
// both policies still serving; disagreements reach the audit log with both
// decisions while every answer stays the live policy's.
#include <signal.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "orb/v1/broker.grpc.pb.h"
#include "tests/integration/caller.h"
#include "tests/integration/root_calls.h"
#include "tests/testing/orbd_process.h"
#include "tests/testing/test_support.h"

namespace orb::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

std::string ShadowExample() {
  return std::string(ORB_SOURCE_DIR) + "/examples/blog/authenticated-only.textproto";
}

// GetAttr `name` of a fresh session's root as `token` ("": anonymous).
grpc::Status ReadRoot(const std::string& address, const std::string& token,
                      const std::string& name) {
  auto stub = v1::ObjectBroker::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  const OpenedRoot opened = OpenRoot(*stub, token);
  if (!opened.status.ok()) return opened.status;
  return GetRootAttr(*stub, token, opened, name, nullptr);
}

class OrbdShadow : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir(); }
  void TearDown() override { RunCommand("rm -rf '" + dir_ + "'"); }
  std::string dir_;
};

TEST_F(OrbdShadow, AShadowThatDoesNotCompileRefusesTheStart) {
  const std::string bad = dir_ + "/shadow.textproto";
  WriteWholeFile(bad, "revision: 1\ntype { name: \"demo.Blog\" acl { ace { action: MAYBE } } }\n");
  OrbdProcess orbd(OrbdProcess::BlogArgs({"--shadow-policy=" + bad}));
  EXPECT_EQ(orbd.WaitForExit(), 1);
  EXPECT_THAT(orbd.log(), HasSubstr("invalid shadow policy: " + bad + ":2"));
  EXPECT_THAT(orbd.log(), Not(HasSubstr("serving")));
}

TEST_F(OrbdShadow, AMissingShadowFileRefusesTheStart) {
  OrbdProcess orbd(OrbdProcess::BlogArgs({"--shadow-policy=" + dir_ + "/nope.textproto"}));
  EXPECT_EQ(orbd.WaitForExit(), 1);
  EXPECT_THAT(orbd.log(), HasSubstr("invalid shadow policy: "));
  EXPECT_THAT(orbd.log(), HasSubstr("nope.textproto"));
}

TEST_F(OrbdShadow, DisagreementsAreAuditedAndAnswersStayTheLivePolicys) {
  const std::string audit = dir_ + "/audit.jsonl";
  const std::string shadow = dir_ + "/shadow.textproto";
  WriteWholeFile(shadow, ReadWholeFile(ShadowExample()));
  OrbdProcess orbd(
      OrbdProcess::BlogArgs({"--shadow-policy=" + shadow, "--audit-log=" + audit,
                             "--metrics-listen=127.0.0.1:0"}));
  const std::string address = orbd.WaitForAddress();
  ASSERT_FALSE(address.empty()) << orbd.log();
  const std::string metrics = orbd.WaitForLog(R"(metrics on (http://[0-9.]+:[0-9]+/metrics))");
  ASSERT_FALSE(metrics.empty()) << orbd.log();
  EXPECT_THAT(orbd.log(), HasSubstr("shadow policy " + shadow + " revision 1"));

  // Anonymous reads the title: allowed live (the answer), denied in the shadow.
  grpc::Status read = ReadRoot(address, "", "title");
  ASSERT_TRUE(read.ok()) << read.error_message();
  // Bob reads it too: both allow, no record.
  ASSERT_TRUE(ReadRoot(address, kBobToken, "title").ok());

  // A reload whose shadow does not compile is refused whole.
  WriteWholeFile(shadow, "type { name: \"demo.Blog\" acl { ace { action: MAYBE } } }\n");
  orbd.Signal(SIGHUP);
  EXPECT_FALSE(orbd.WaitForLog("policy reload \\(SIGHUP\\) refused").empty()) << orbd.log();
  EXPECT_THAT(orbd.log(), HasSubstr("shadow policy: " + shadow + ":1"));
  // The old shadow still decides.
  ASSERT_TRUE(ReadRoot(address, "", "title").ok());
  // Three decisions under the shadow, two of them disagreements.
  const CommandResult scraped = RunCommand("curl -sf " + metrics);
  ASSERT_EQ(scraped.exit_code, 0) << scraped.output;
  EXPECT_THAT(scraped.output, HasSubstr("\norb_shadow_decisions_total 3\n"));
  EXPECT_THAT(scraped.output,
              HasSubstr("\norb_shadow_disagreements_total{live=\"allowed\",shadow=\"denied\"} 2\n"));
  EXPECT_THAT(scraped.output,
              HasSubstr("\norb_shadow_disagreements_total{live=\"denied\",shadow=\"allowed\"} 0\n"));

  orbd.Signal(SIGTERM);
  ASSERT_EQ(orbd.WaitForExit(), 0) << orbd.log();
  const std::string records = ReadWholeFile(audit);
  size_t shadow_records = 0;
  for (size_t at = records.find(R"("event":"shadow")"); at != std::string::npos;
       at = records.find(R"("event":"shadow")", at + 1)) {
    ++shadow_records;
  }
  EXPECT_EQ(shadow_records, 2u) << records;
  EXPECT_THAT(records, AllOf(HasSubstr(R"("event":"shadow")"),
                             HasSubstr(R"("op":"getattr","name":"title","decision":"allowed")"),
                             HasSubstr(R"("shadow_decision":"denied","shadow_permission":"view","shadow_policy_revision":1)")));
}

}  // namespace
}  // namespace orb::testing
