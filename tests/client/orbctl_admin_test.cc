// orbctl admin end to end: the built orbctl against the built orbd serving
// the blog demo, whose policy makes alice its admin; a session held by the
// test (orb::client) is listed, closed and then refused to its owner, and
// `admin policy-status` compares the policies of several orbds.
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orb/broker/audit.h"
#include "orb/client/client.h"
#include "tests/testing/orbd_process.h"
#include "tests/testing/test_support.h"

namespace orb::testing {
namespace {

using ::testing::ContainsRegex;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

class OrbctlAdminTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(orbd_.address().empty()) << orbd_.log(); }

  // Runs orbctl against the orbd; stdout and stderr together.
  CommandResult Orbctl(const std::string& args) {
    return RunCommand("env -u ORB_TOKEN -u ORB_TICKET ORB_TARGET=" + orbd_.address() + " " +
                      std::string(ORB_BINARY_DIR) + "/bin/orbctl " + args);
  }

  // Bob's session, opened through the C++ client and held by the test.
  orb::client::Session BobsSession(orb::client::Client* keep) {
    orb::client::ClientOptions options;
    options.target = orbd_.address();
    options.token = "bob-demo-token";
    options.client_name = "nightly-report";
    absl::StatusOr<orb::client::Client> client = orb::client::Client::Connect(options);
    EXPECT_THAT(client, IsOk());
    *keep = *std::move(client);
    absl::StatusOr<orb::client::Session> session = keep->OpenSession();
    EXPECT_THAT(session, IsOk());
    return *std::move(session);
  }

  OrbdProcess orbd_;
};

TEST_F(OrbctlAdminTest, SessionsListsAHeldSessionByReferenceAndCloseRevokesIt) {
  orb::client::ClientOptions placeholder;
  placeholder.target = orbd_.address();
  orb::client::Client client = *orb::client::Client::Connect(placeholder);
  orb::client::Session bobs = BobsSession(&client);
  const std::string ref = broker::RedactId(bobs.id());

  CommandResult list = Orbctl("--token=alice-demo-token admin sessions bob");
  EXPECT_EQ(list.exit_code, 0) << list.output;
  EXPECT_THAT(list.output, HasSubstr("REF           USER"));
  EXPECT_THAT(list.output, MatchesRegex(absl::StrCat(
                               "(.|\n)*", ref, "  bob +bearer +nightly-report +[0-9T:Z-]+ +",
                               "[0-9T:Z-]+ +[0-9]+ +1\n(.|\n)*")));
  EXPECT_THAT(list.output, Not(HasSubstr(bobs.id())));
  CommandResult json = Orbctl("--token=alice-demo-token --json admin sessions bob");
  EXPECT_EQ(json.exit_code, 0) << json.output;
  EXPECT_THAT(json.output, HasSubstr(absl::StrCat(R"({"sessions":[{"ref":")", ref,
                                                  R"(","userid":"bob","authn":"bearer",)"
                                                  R"("client_name":"nightly-report")")));

  CommandResult closed = Orbctl("--token=alice-demo-token admin close " + ref);
  EXPECT_EQ(closed.exit_code, 0) << closed.output;
  EXPECT_EQ(closed.output, absl::StrCat("closed session ", ref, " of bob (handles released: 1)\n"));
  EXPECT_THAT(bobs.root().Get("title"), StatusIs(absl::StatusCode::kNotFound));
  CommandResult again = Orbctl("--token=alice-demo-token admin close " + ref);
  EXPECT_EQ(again.exit_code, 5) << again.output;
  EXPECT_THAT(again.output, HasSubstr("no live session has the reference"));
}

TEST_F(OrbctlAdminTest, EachCommandNeedsItsPermission) {
  for (const char* command : {"admin sessions", "admin close 0123456789ab", "admin policy",
                              "admin reload"}) {
    CommandResult refused = Orbctl(absl::StrCat("--token=bob-demo-token ", command));
    EXPECT_EQ(refused.exit_code, 7) << command << ": " << refused.output;
    EXPECT_THAT(refused.output, HasSubstr("PERMISSION_DENIED")) << command;
  }
}

TEST_F(OrbctlAdminTest, PolicyShowsTheRunningPolicy) {
  CommandResult policy = Orbctl("--token=alice-demo-token admin policy");
  EXPECT_EQ(policy.exit_code, 0) << policy.output;
  EXPECT_THAT(policy.output, HasSubstr("file: " + OrbdProcess::BlogPolicyPath() + "\n"));
  EXPECT_THAT(policy.output, MatchesRegex("(.|\n)*sha256: [0-9a-f]{64}\n(.|\n)*"));
  CommandResult reload = Orbctl("--token=alice-demo-token admin reload");
  EXPECT_EQ(reload.exit_code, 0) << reload.output;
  EXPECT_EQ(reload.output, "reloaded: revision 0 (was 0), text unchanged\n");
}

TEST_F(OrbctlAdminTest, BadUsageSendsNothingAndExits2) {
  for (const char* bad : {"admin", "admin sessions a b", "admin close", "admin nap",
                          "admin policy now"}) {
    CommandResult usage = Orbctl(absl::StrCat("--token=alice-demo-token ", bad));
    EXPECT_EQ(usage.exit_code, 2) << bad << ": " << usage.output;
    EXPECT_THAT(usage.output, HasSubstr("orbctl: ")) << bad;
  }
  CommandResult malformed = Orbctl("--token=alice-demo-token admin close not-a-ref");
  EXPECT_EQ(malformed.exit_code, 3) << malformed.output;
  EXPECT_THAT(malformed.output, HasSubstr("12 hex digits"));
}

// admin policy-status: the fixture's orbd (the blog's policy file) and
// other orbds on ephemeral ports, with a policy of their own where a test
// needs one.
class OrbctlPolicyStatusTest : public OrbctlAdminTest {
 protected:
  void SetUp() override {
    OrbctlAdminTest::SetUp();
    dir_ = MakeTempDir();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A policy file in the test's directory: the blog's text after `prefix`.
  std::string PolicyFile(const std::string& name, const std::string& prefix) {
    const std::string path = dir_ + "/" + name;
    WriteWholeFile(path, prefix + ReadWholeFile(OrbdProcess::BlogPolicyPath()));
    return path;
  }
  // An orbd serving the blog under `policy`.
  static std::vector<std::string> ArgsWithPolicy(const std::string& policy) {
    return {"--listen=127.0.0.1:0", "--service=blog", "--policy=" + policy};
  }

  // The table row of `target` that answered: revision, 12 hex digits of
  // SHA-256, `file`, then `last_error` (a regex).
  static std::string AnsweredRow(const std::string& target, const std::string& revision,
                                 const std::string& file, const std::string& last_error) {
    return absl::StrCat("\n", target, " +", revision, " +[0-9a-f]{12}  ", file, " +",
                        last_error, "\n");
  }

  std::string dir_;
};

TEST_F(OrbctlPolicyStatusTest, BrokersRunningTheSamePolicyAgree) {
  OrbdProcess other;
  ASSERT_FALSE(other.address().empty()) << other.log();
  const std::string targets = absl::StrCat(orbd_.address(), ",", other.address());
  const std::string blog = OrbdProcess::BlogPolicyPath();

  CommandResult status =
      Orbctl("--token=alice-demo-token admin policy-status --targets=" + targets);
  EXPECT_EQ(status.exit_code, 0) << status.output;
  EXPECT_THAT(status.output, MatchesRegex("TARGET +REVISION  SHA256 +FILE +LAST RELOAD ERROR\n"
                                          "(.|\n)*"));
  EXPECT_THAT(status.output, ContainsRegex(AnsweredRow(orbd_.address(), "0", blog, "-")));
  EXPECT_THAT(status.output, ContainsRegex(AnsweredRow(other.address(), "0", blog, "-")));
  EXPECT_THAT(status.output, EndsWith("\npolicies agree\n"));

  // --json: every answer whole, the SHA-256 in full.
  CommandResult json =
      Orbctl("--token=alice-demo-token --json admin policy-status --targets=" + targets);
  EXPECT_EQ(json.exit_code, 0) << json.output;
  EXPECT_THAT(json.output,
              MatchesRegex(absl::StrCat(R"(\{"targets":\[\{"target":")", orbd_.address(),
                                        R"(","policy":\{"file":"[^"]+","sha256":"[0-9a-f]{64}",)"
                                        R"((.)*\},\{"target":")", other.address(),
                                        R"(","policy":\{(.)*"agree":true,"differences":\[\]\})"
                                        "\n")));

  // Without --targets: the one --target (here $ORB_TARGET).
  CommandResult one = Orbctl("--token=alice-demo-token admin policy-status");
  EXPECT_EQ(one.exit_code, 0) << one.output;
  EXPECT_THAT(one.output, ContainsRegex(AnsweredRow(orbd_.address(), "0", blog, "-")));
  EXPECT_THAT(one.output, Not(HasSubstr(other.address())));

  // In the shell, --targets ends the line.
  CommandResult shell = RunCommand(absl::StrCat(
      "echo 'admin policy-status --targets=", targets, "' | env -u ORB_TOKEN -u ORB_TICKET ",
      ORB_BINARY_DIR, "/bin/orbctl --target=", orbd_.address(),
      " --token=alice-demo-token shell"));
  EXPECT_EQ(shell.exit_code, 0) << shell.output;
  EXPECT_THAT(shell.output, ContainsRegex(AnsweredRow(other.address(), "0", blog, "-")));
  EXPECT_THAT(shell.output, HasSubstr("\npolicies agree\n"));
}

TEST_F(OrbctlPolicyStatusTest, ADifferentRevisionIsNamedAndExits1) {
  const std::string raised = PolicyFile("raised.textproto", "revision: 7\n");
  OrbdProcess other(ArgsWithPolicy(raised));
  ASSERT_FALSE(other.WaitForAddress().empty()) << other.log();

  CommandResult status = Orbctl(absl::StrCat("--token=alice-demo-token admin policy-status ",
                                             "--targets=", orbd_.address(), ",", other.address()));
  EXPECT_EQ(status.exit_code, 1) << status.output;
  EXPECT_THAT(status.output,
              ContainsRegex(AnsweredRow(orbd_.address(), "0", OrbdProcess::BlogPolicyPath(), "-")));
  EXPECT_THAT(status.output, ContainsRegex(AnsweredRow(other.address(), "7", raised, "-")));
  EXPECT_THAT(status.output,
              ContainsRegex(absl::StrCat(
                  "\npolicies differ: revision \\(0 on ", orbd_.address(), "; 7 on ",
                  other.address(), "\\), sha256 \\([0-9a-f]{12} on ", orbd_.address(),
                  "; [0-9a-f]{12} on ", other.address(), "\\)\n$")));
  EXPECT_THAT(status.output, Not(HasSubstr("policies agree")));

  CommandResult json = Orbctl(absl::StrCat("--token=alice-demo-token --json admin policy-status ",
                                           "--targets=", orbd_.address(), ",", other.address()));
  EXPECT_EQ(json.exit_code, 1) << json.output;
  EXPECT_THAT(json.output, HasSubstr(R"("revision":"7")"));
  EXPECT_THAT(json.output, HasSubstr(R"("agree":false,"differences":["revision (0 on )"));
}

TEST_F(OrbctlPolicyStatusTest, AFailedReloadIsShownAndExits1) {
  // The same text as the fixture's orbd runs: only the reload differs.
  const std::string copy = PolicyFile("copy.textproto", "");
  OrbdProcess other(ArgsWithPolicy(copy));
  ASSERT_FALSE(other.WaitForAddress().empty()) << other.log();
  WriteWholeFile(copy, "revision: 8\nnot_a_field: true\n");
  CommandResult reload = Orbctl("--target=" + other.address() +
                                " --token=alice-demo-token admin reload");
  EXPECT_EQ(reload.exit_code, 3) << reload.output;

  CommandResult status = Orbctl(absl::StrCat("--token=alice-demo-token admin policy-status ",
                                             "--targets=", orbd_.address(), ",", other.address()));
  EXPECT_EQ(status.exit_code, 1) << status.output;
  EXPECT_THAT(status.output,
              ContainsRegex(AnsweredRow(other.address(), "0", copy, ".*not_a_field.*")));
  EXPECT_THAT(status.output, EndsWith(absl::StrCat(
                                 "\npolicies differ: last reload failed on ", other.address(),
                                 "\n")));
}

TEST_F(OrbctlPolicyStatusTest, AnUnreachableBrokerIsShownInItsRowAndExitsWithItsCode) {
  // Nothing listens on port 1 (as in orbctl_remote_test).
  const std::string closed = "127.0.0.1:1";
  CommandResult status = Orbctl(absl::StrCat("--token=alice-demo-token admin policy-status ",
                                             "--targets=", orbd_.address(), ",", closed));
  EXPECT_EQ(status.exit_code, 14) << status.output;
  EXPECT_THAT(status.output,
              ContainsRegex(AnsweredRow(orbd_.address(), "0", OrbdProcess::BlogPolicyPath(), "-")));
  EXPECT_THAT(status.output, ContainsRegex(absl::StrCat("\n", closed, " +error: UNAVAILABLE: ")));
  EXPECT_THAT(status.output, EndsWith(absl::StrCat("\npolicies differ: no answer from ", closed,
                                                   " (UNAVAILABLE)\n")));

  CommandResult json = Orbctl(absl::StrCat("--token=alice-demo-token --json admin policy-status ",
                                           "--targets=", closed, ",", orbd_.address()));
  EXPECT_EQ(json.exit_code, 14) << json.output;
  EXPECT_THAT(json.output, HasSubstr(absl::StrCat(R"({"target":")", closed,
                                                  R"(","error":{"code":14,)"
                                                  R"("status":"UNAVAILABLE","message":")")));
}

TEST_F(OrbctlPolicyStatusTest, EachBrokerIsAskedWithTheGivenCredentials) {
  OrbdProcess other;
  ASSERT_FALSE(other.address().empty()) << other.log();
  CommandResult refused = Orbctl(absl::StrCat("--token=bob-demo-token admin policy-status ",
                                              "--targets=", orbd_.address(), ",", other.address()));
  EXPECT_EQ(refused.exit_code, 7) << refused.output;
  for (const std::string& target : {orbd_.address(), other.address()}) {
    EXPECT_THAT(refused.output,
                ContainsRegex(absl::StrCat("\n", target, " +error: PERMISSION_DENIED: ")));
  }
}

TEST_F(OrbctlPolicyStatusTest, BadTargetsAreAUsageError) {
  const std::string good = orbd_.address();
  const std::vector<std::string> bad_lines = {
      "--targets=", "--targets=" + good + ",," + good, "--targets=" + good + ",",
      "--targets=," + good, "--targets=" + good + ",localhost", "--targets=" + good + ",h:0",
      "--targets=h:http", "--targets=h:123456", "--targets=:50051", "--targets=dns:///h:5",
      "--targets"};
  for (const std::string& bad : bad_lines) {
    CommandResult usage = Orbctl("--token=alice-demo-token admin policy-status " + bad);
    EXPECT_EQ(usage.exit_code, 2) << bad << ": " << usage.output;
    EXPECT_THAT(usage.output, HasSubstr("orbctl: ")) << bad;
    EXPECT_THAT(usage.output, Not(HasSubstr("TARGET"))) << bad;
  }
  CommandResult empty_element =
      Orbctl("--token=alice-demo-token admin policy-status --targets=" + good + ",," + good);
  EXPECT_THAT(empty_element.output, HasSubstr("element 2 is empty"));
  CommandResult elsewhere = Orbctl("--targets=" + good + " get title");
  EXPECT_EQ(elsewhere.exit_code, 2) << elsewhere.output;
  EXPECT_THAT(elsewhere.output, HasSubstr("--targets is an option of 'admin policy-status' only"));
  CommandResult extra = Orbctl("--token=alice-demo-token admin policy-status now");
  EXPECT_EQ(extra.exit_code, 2) << extra.output;
}

}  // namespace
}  // namespace orb::testing
