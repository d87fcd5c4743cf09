// The orbd binary as an operator runs it: startup, serving, clean shutdown,
// and one-line startup errors.
#include <signal.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "orb/v1/broker.grpc.pb.h"
#include "tests/testing/orbd_process.h"
#include "tests/testing/test_support.h"

namespace orb::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using Orbd = OrbdProcess;


TEST(Orbd, ServesTheBlogAndStopsCleanlyOnSigterm) {
  Orbd orbd(OrbdProcess::BlogArgs());
  std::string address = orbd.WaitForAddress();
  ASSERT_FALSE(address.empty()) << orbd.log();

  auto stub = v1::ObjectBroker::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer bob-demo-token");
  v1::OpenSessionRequest request;
  v1::OpenSessionResponse response;
  grpc::Status status = stub->OpenSession(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.userid(), "bob");

  orbd.Signal(SIGTERM);
  EXPECT_EQ(orbd.WaitForExit(), 0) << orbd.log();
  EXPECT_THAT(orbd.log(), Not(HasSubstr("bob-demo-token")));
}

TEST(Orbd, HelpListsOrbdsOwnFlagsOneLineEachAndExitsZero) {
  const std::string orbd = std::string(ORB_BINARY_DIR) + "/bin/orbd";
  for (const char* flag : {"--help", "-h", "--helpfull"}) {
    SCOPED_TRACE(flag);
    // stdout only: the help goes there, and nothing may go to stderr.
    CommandResult help = RunCommand(orbd + " " + flag + " 2>/dev/null");
    EXPECT_EQ(help.exit_code, 0) << help.output;
    EXPECT_THAT(help.output, HasSubstr("usage: orbd --policy=FILE"));
    EXPECT_THAT(help.output, Not(HasSubstr("No flags matched")));
    for (const char* own :
         {"--listen=HOST:PORT ", "--service=NAME ", "--policy=FILE ", "--debug-authorization ",
          "--tls-cert=FILE ", "--tls-key=FILE ", "--tls-client-ca=FILE ",
          "--tls-require-client-cert ", "--shutdown-grace-seconds=SECONDS ", "--member-threads=N ",
          "--audit-log=FILE "}) {
      // Each on a line of its own, with its description on that line.
      EXPECT_THAT(help.output, ::testing::MatchesRegex(absl::StrCat(
                                   "(.|\n)*\n  ", own, " *[a-zA-Z(][^\n]+\n(.|\n)*")))
          << own;
    }
    // Abseil's own flags are not orbd's.
    EXPECT_THAT(help.output, Not(HasSubstr("--flagfile")));
    EXPECT_THAT(help.output, Not(HasSubstr("--fromenv")));
  }
  // The stderr is empty too.
  EXPECT_EQ(RunCommand(orbd + " --help 2>&1 >/dev/null").output, "");
}

TEST(Orbd, BadPolicyIsOneClearLineAndExitOne) {
  std::string dir = MakeTempDir();
  std::string path = dir + "/bad.textproto";
  std::ofstream(path) << "user { userid: \"\" }\n";
  Orbd orbd({"--listen=127.0.0.1:0", "--policy=" + path});
  EXPECT_EQ(orbd.WaitForExit(), 1);
  std::string log = orbd.log();
  EXPECT_THAT(log, HasSubstr("bad.textproto:1"));
  EXPECT_THAT(log, HasSubstr("orbd: invalid policy"));
  RunCommand("rm -rf " + dir);
}

TEST(Orbd, MissingPolicyFlagIsAClearError) {
  Orbd orbd({"--listen=127.0.0.1:0"});
  EXPECT_EQ(orbd.WaitForExit(), 1);
  EXPECT_THAT(orbd.log(), HasSubstr("--policy is required"));
}

TEST(Orbd, PortInUseIsAClearError) {
  Orbd first({"--listen=127.0.0.1:0", "--policy=" + OrbdProcess::BlogPolicyPath()});
  std::string address = first.WaitForAddress();
  ASSERT_FALSE(address.empty()) << first.log();
  Orbd second({"--listen=" + address, "--policy=" + OrbdProcess::BlogPolicyPath()});
  EXPECT_EQ(second.WaitForExit(), 1);
  EXPECT_THAT(second.log(), HasSubstr("cannot listen on " + address));
  first.Signal(SIGTERM);
  EXPECT_EQ(first.WaitForExit(), 0);
}

TEST(Orbd, UnknownServiceIsAClearError) {
  Orbd orbd({"--listen=127.0.0.1:0", "--service=nope",
             "--policy=" + OrbdProcess::BlogPolicyPath()});
  EXPECT_EQ(orbd.WaitForExit(), 1);
  EXPECT_THAT(orbd.log(), HasSubstr("unknown service 'nope'"));
}

}  // namespace
}  // namespace orb::testing
