// orbd checks its policy against the types it serves, at start and at every
// reload: the typos that load cleanly (a type name, an OLP name, a group
// written without its prefix) are warnings naming file:line and the name
// meant, or errors with --strict-policy; `orbd --dump-types` and
// `orbctl policy check --types` give the same findings offline.
#include <signal.h>

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "orb/v1/broker.grpc.pb.h"
#include "tests/testing/orbd_process.h"
#include "tests/testing/test_support.h"

namespace orb::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// The blog's policy with a type appended at line *first_line (N) whose
// name is misspelt (line N+1); its principal without the group prefix
// (N+3) and its OLP name (N+5) go unreported, as the type is served by
// nobody.
std::string BlogPolicyWithTypos(int* first_line) {
  std::string text = ReadWholeFile(OrbdProcess::BlogPolicyPath());
  if (!text.empty() && text.back() != '\n') text += '\n';
  *first_line = 1;
  for (char c : text) *first_line += c == '\n' ? 1 : 0;
  text +=
      "type {\n"                                                                   // N
      "  name: \"demo.Blgo\"\n"                                                      // N+1
      "  acl {\n"                                                                  // N+2
      "    ace { action: ALLOW principal: \"editors\" permission: \"view\" }\n"    // N+3
      "  }\n"                                                                      // N+4
      "  olp { instance { getattr { name: \"titel\" permission: \"view\" } } }\n"  // N+5
      "}\n";
  return text;
}

class OrbdPolicyFit : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir(); }
  void TearDown() override { RunCommand("rm -rf " + dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  std::string dir_;
};

TEST_F(OrbdPolicyFit, ServedTypesAreCheckedAgainstThePolicyAtStartAsWarnings) {
  int n = 0;
  const std::string path = Write("typos.textproto", BlogPolicyWithTypos(&n));
  // The same principal and OLP typos on a served type, at line `entry`:
  std::string text = ReadWholeFile(path);
  text +=
      "type {\n"
      "  name: \"demo.Entry\"\n"
      "  acl { ace { action: ALLOW principal: \"editors\" permission: \"view\" } }\n"
      "  olp { instance { getattr { name: \"titel\" permission: \"view\" } } }\n"
      "}\n";
  std::ofstream(path) << text;
  const int entry = n + 7;
  OrbdProcess orbd({"--listen=127.0.0.1:0", "--policy=" + path});
  ASSERT_FALSE(orbd.WaitForAddress().empty()) << orbd.log();
  const std::string log = orbd.log();
  EXPECT_THAT(log, HasSubstr("orbd: warning: " + path + ":" + std::to_string(n + 1) +
                             ": type 'demo.Blgo' is served by nobody"));
  EXPECT_THAT(log, HasSubstr("Did you mean 'demo.Blog'?"));
  EXPECT_THAT(log, AllOf(HasSubstr(path + ":" + std::to_string(entry + 2) +
                                   ": principal 'editors' is held by no user"),
                         HasSubstr("Did you mean 'group:editors'?")));
  EXPECT_THAT(log, AllOf(HasSubstr(path + ":" + std::to_string(entry + 3) +
                                   ": OLP entry 'titel' (instance getattr) of type "
                                   "'demo.Entry' names no member"),
                         HasSubstr("Did you mean 'title'?")));
  orbd.Signal(SIGTERM);
  EXPECT_EQ(orbd.WaitForExit(), 0) << orbd.log();
}

TEST_F(OrbdPolicyFit, StrictPolicyRefusesToStartOnAFinding) {
  int n = 0;
  const std::string path = Write("typos.textproto", BlogPolicyWithTypos(&n));
  OrbdProcess orbd({"--listen=127.0.0.1:0", "--policy=" + path, "--strict-policy"});
  EXPECT_EQ(orbd.WaitForExit(), 1) << orbd.log();
  EXPECT_THAT(orbd.log(), AllOf(HasSubstr("--strict-policy"),
                                HasSubstr(path + ":" + std::to_string(n + 1) +
                                          ": type 'demo.Blgo' is served by nobody"),
                                Not(HasSubstr("serving"))));
}

TEST_F(OrbdPolicyFit, StrictPolicyRefusesAReloadThatDoesNotFitAndKeepsServing) {
  const std::string path = Write("policy.textproto", ReadWholeFile(OrbdProcess::BlogPolicyPath()));
  OrbdProcess orbd({"--listen=127.0.0.1:0", "--policy=" + path, "--strict-policy"});
  const std::string address = orbd.WaitForAddress();
  ASSERT_FALSE(address.empty()) << orbd.log();
  EXPECT_THAT(orbd.log(), Not(HasSubstr("warning")));
  int n = 0;
  std::ofstream(path) << BlogPolicyWithTypos(&n);
  orbd.Signal(SIGHUP);
  orbd.WaitForLog("policy reload \\(SIGHUP\\) refused");
  EXPECT_THAT(orbd.log(), HasSubstr(path + ":" + std::to_string(n + 1) +
                                    ": type 'demo.Blgo' is served by nobody"));
  // Still serving the policy it started with.
  auto stub = v1::ObjectBroker::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer bob-demo-token");
  v1::OpenSessionResponse opened;
  const grpc::Status status = stub->OpenSession(&context, v1::OpenSessionRequest(), &opened);
  EXPECT_TRUE(status.ok()) << status.error_message();
  orbd.Signal(SIGTERM);
  EXPECT_EQ(orbd.WaitForExit(), 0) << orbd.log();
}

TEST_F(OrbdPolicyFit, DumpTypesFeedsTheOfflineCheckOfOrbctl) {
  const std::string orbd = OrbdProcess::Binary();
  const std::string orbctl = std::string(ORB_BINARY_DIR) + "/bin/orbctl";
  const std::string types = dir_ + "/types.json";
  CommandResult dumped = RunCommand(orbd + " --dump-types=" + types + " 2>&1");
  ASSERT_EQ(dumped.exit_code, 0) << dumped.output;
  EXPECT_THAT(ReadWholeFile(types), AllOf(HasSubstr("\"demo.Blog\""), HasSubstr("\"add_entry\"")));

  int n = 0;
  const std::string path = Write("typos.textproto", BlogPolicyWithTypos(&n));
  CommandResult warned = RunCommand(orbctl + " policy check --types=" + types + " " + path);
  EXPECT_EQ(warned.exit_code, 0) << warned.output;
  EXPECT_THAT(warned.output,
              AllOf(HasSubstr(path + ":" + std::to_string(n + 1) +
                              ": warning: type 'demo.Blgo' is served by nobody"),
                    HasSubstr("Did you mean 'demo.Blog'?"), HasSubstr("OK")));
  CommandResult strict =
      RunCommand(orbctl + " policy check --strict --types=" + types + " " + path);
  EXPECT_EQ(strict.exit_code, 1) << strict.output;
  CommandResult clean = RunCommand(orbctl + " policy check --strict --types=" + types + " " +
                                   OrbdProcess::BlogPolicyPath());
  EXPECT_EQ(clean.exit_code, 0) << clean.output;
  EXPECT_EQ(clean.output, "OK\n");
  CommandResult bad = RunCommand(orbctl + " policy check --types=" + path + " " + path + " 2>&1");
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr("orbd --dump-types"));
}

}  // namespace
}  // namespace orb::testing
