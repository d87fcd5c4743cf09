// orbctl's remote commands end to end: the built orbctl against the built
// orbd, asserting output and exit codes, human and --json.
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/orbd_process.h"
#include "tests/testing/test_support.h"

namespace orb::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::StartsWith;

class OrbctlRemoteTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(orbd_.address().empty()) << orbd_.log(); }

  // Runs orbctl with ORB_TARGET set; stdout and stderr together.
  CommandResult Orbctl(const std::string& args, const std::string& env = "") {
    return RunCommand("env -u ORB_TOKEN -u ORB_TICKET ORB_TARGET=" + orbd_.address() + " " + env +
                      " " + std::string(ORB_BINARY_DIR) + "/bin/orbctl " + args);
  }
  // The same with stderr dropped.
  CommandResult OrbctlStdout(const std::string& args, const std::string& env = "") {
    return RunCommand("(env -u ORB_TOKEN -u ORB_TICKET ORB_TARGET=" + orbd_.address() + " " +
                      env + " " + std::string(ORB_BINARY_DIR) + "/bin/orbctl " + args +
                      " 2>/dev/null)");
  }

  OrbdProcess orbd_;
};

TEST_F(OrbctlRemoteTest, GetPrintsPlainAndJson) {
  CommandResult human = Orbctl("get title");
  EXPECT_EQ(human.exit_code, 0) << human.output;
  EXPECT_EQ(human.output, "orb demo blog\n");
  CommandResult json = Orbctl("get title --json");
  EXPECT_EQ(json.exit_code, 0);
  EXPECT_EQ(json.output, "\"orb demo blog\"\n");
  EXPECT_EQ(Orbctl("--json get entry_count").output, "0\n");
}

TEST_F(OrbctlRemoteTest, CallWithKeywordsAndPositionalsPrintsHandles) {
  CommandResult added = Orbctl("--token bob-demo-token call add_entry title=Hi body=There");
  EXPECT_EQ(added.exit_code, 0) << added.output;
  EXPECT_THAT(added.output, MatchesRegex("<demo\\.Entry handle [0-9a-f]{8}\xE2\x80\xA6>\n"));
  CommandResult json = Orbctl("--json call entry entry-1");
  EXPECT_EQ(json.exit_code, 0) << json.output;
  EXPECT_THAT(json.output,
              MatchesRegex(R"(\{"handle":\{"id":"[0-9a-f]+","type_name":"demo\.Entry"\}\}
)"));
  CommandResult positional = Orbctl("call add_entry Second Body", "ORB_TOKEN=bob-demo-token");
  EXPECT_EQ(positional.exit_code, 0) << positional.output;
  EXPECT_EQ(Orbctl("get entry_count").output, "2\n");
  CommandResult list = Orbctl("--json call entries");
  EXPECT_THAT(list.output, StartsWith("[{\"handle\":"));
}

TEST_F(OrbctlRemoteTest, SetParsesJsonLiteralsElsePlainStrings) {
  EXPECT_EQ(Orbctl("--token alice-demo-token set title New").exit_code, 0);
  EXPECT_EQ(Orbctl("get title").output, "New\n");
  EXPECT_EQ(Orbctl("--token alice-demo-token set title '\"quoted words\"'").exit_code, 0);
  EXPECT_EQ(Orbctl("--json get title").output, "\"quoted words\"\n");
  // A JSON number is an int; the blog wants a string title.
  CommandResult wrong = Orbctl("--token alice-demo-token set title 42");
  EXPECT_EQ(wrong.exit_code, 3) << wrong.output;
  EXPECT_THAT(wrong.output, HasSubstr("INVALID_ARGUMENT"));
}

TEST_F(OrbctlRemoteTest, ExitCodesFollowTheGrpcStatus) {
  CommandResult denied = Orbctl("--token bob-demo-token set title x");
  EXPECT_EQ(denied.exit_code, 7);
  EXPECT_THAT(denied.output, HasSubstr("PERMISSION_DENIED"));
  EXPECT_THAT(denied.output, HasSubstr("gate acl"));
  CommandResult secret = Orbctl("get _secret");
  EXPECT_EQ(secret.exit_code, 5);
  EXPECT_THAT(secret.output, HasSubstr("NOT_FOUND"));
  CommandResult bad_token = Orbctl("--token wrong get title");
  EXPECT_EQ(bad_token.exit_code, 16);
  CommandResult anonymous_add = Orbctl("call add_entry t b");
  EXPECT_EQ(anonymous_add.exit_code, 7);
  CommandResult unreachable = RunCommand(std::string(ORB_BINARY_DIR) +
                                         "/bin/orbctl --target 127.0.0.1:1 get title");
  EXPECT_EQ(unreachable.exit_code, 14);
  // Walking into something that is not an object.
  CommandResult walk = Orbctl("get title.length");
  EXPECT_EQ(walk.exit_code, 3);
  EXPECT_THAT(walk.output, HasSubstr("'title' is a string, not an object"));
}

TEST_F(OrbctlRemoteTest, JsonErrorsGoToStdoutWithDetail) {
  CommandResult secret = OrbctlStdout("--json get _secret");
  EXPECT_EQ(secret.exit_code, 5);
  EXPECT_EQ(secret.output,
            "{\"error\":{\"code\":5,\"status\":\"NOT_FOUND\",\"message\":\"'demo.Blog' object has "
            "no attribute '_secret'\",\"reason\":\"NAME_NOT_FOUND\",\"gate\":\"olp\"}}\n");
}

TEST_F(OrbctlRemoteTest, UsageErrorsAreExitTwoAndSendNothing) {
  EXPECT_EQ(Orbctl("get").exit_code, 2);
  EXPECT_EQ(Orbctl("set title").exit_code, 2);
  EXPECT_EQ(Orbctl("frobnicate").exit_code, 2);
  EXPECT_EQ(Orbctl("get a..b").exit_code, 2);
  EXPECT_EQ(Orbctl("--bogus get title").exit_code, 2);
  EXPECT_EQ(Orbctl("get title --target").exit_code, 2);
  EXPECT_EQ(Orbctl("").exit_code, 2);
  // A usage error fails before connecting: no broker needed.
  EXPECT_EQ(RunCommand(std::string(ORB_BINARY_DIR) + "/bin/orbctl --target 127.0.0.1:1 get")
                .exit_code,
            2);
}

TEST_F(OrbctlRemoteTest, HelpForEveryCommand) {
  CommandResult top = Orbctl("--help");
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_THAT(top.output, HasSubstr("Exit codes"));
  EXPECT_THAT(top.output, HasSubstr("policy check FILE"));
  for (const char* option : {"--target=", "--token=", "--ticket=", "--tls-ca=", "--tls-cert=",
                             "--tls-key=", "--json"}) {
    EXPECT_THAT(top.output, HasSubstr(std::string("\n  ") + option)) << option;
  }
  for (const char* command : {"get", "set", "del", "call", "describe", "whoami"}) {
    SCOPED_TRACE(command);
    // In the overview: the command with a description on its line.
    EXPECT_THAT(top.output, MatchesRegex(std::string("(.|\n)*\n  ") + command +
                                         "( [^\n]*)? {2,}[a-z][^\n]+\n(.|\n)*"));
    CommandResult help = Orbctl(std::string(command) + " --help");
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_THAT(help.output, StartsWith(std::string("usage: orbctl [OPTIONS] ") + command));
    // A description, then an example of this very command.
    EXPECT_THAT(help.output, MatchesRegex("usage: [^\n]+\n\n[A-Z][^\n]+\n(.|\n)*"));
    EXPECT_THAT(help.output, MatchesRegex(std::string("(.|\n)*\nExample:\n  orbctl [^\n]*") +
                                          command + "[^\n]*\n(.|\n)*"));
  }
  // Help is help wherever --help stands, and needs no broker.
  CommandResult anywhere = RunCommand(std::string(ORB_BINARY_DIR) +
                                      "/bin/orbctl --target 127.0.0.1:1 call add_entry --help");
  EXPECT_EQ(anywhere.exit_code, 0);
  EXPECT_THAT(anywhere.output, StartsWith("usage: orbctl [OPTIONS] call"));
  // The offline policy tools are unchanged.
  CommandResult policy = Orbctl("policy check --help");
  EXPECT_THAT(policy.output, StartsWith("usage: orbctl policy check [--types=TYPES.json [--strict]] FILE"));
}

TEST_F(OrbctlRemoteTest, DescribeAndWhoami) {
  CommandResult describe = Orbctl("--token bob-demo-token describe");
  EXPECT_EQ(describe.exit_code, 0) << describe.output;
  EXPECT_THAT(describe.output, StartsWith("demo.Blog (instance view)\n"));
  EXPECT_THAT(describe.output, MatchesRegex("(.|\n)*call +add_entry +add +allowed\n(.|\n)*"));
  EXPECT_THAT(describe.output, MatchesRegex("(.|\n)*setattr +title +edit +denied\n(.|\n)*"));
  CommandResult cls = Orbctl("--json describe Entry");
  EXPECT_EQ(cls.exit_code, 0) << cls.output;
  EXPECT_THAT(cls.output, StartsWith("{\"type_name\":\"demo.Entry\",\"is_class\":true"));
  EXPECT_EQ(Orbctl("get Entry.max_title_length").output, "200\n");
  EXPECT_EQ(Orbctl("whoami", "ORB_TOKEN=bob-demo-token").output,
            "bob (system.Everyone, system.Authenticated, bob)\n");
  EXPECT_EQ(Orbctl("--json whoami").output, "{\"userid\":null,\"principals\":[\"system.Everyone\"]}\n");
}

TEST_F(OrbctlRemoteTest, TicketAuthenticates) {
  CommandResult minted = RunCommand(
      "(" + std::string(ORB_BINARY_DIR) +
      "/bin/orbctl policy mint-ticket --key-hex "
      "cb8fcf26d7252f1dddf030f1adbf20aedc24bfc59bdf0947c29b6b1a52686e1e --userid bob --ttl 60 "
      "2>/dev/null)");
  ASSERT_EQ(minted.exit_code, 0) << minted.output;
  std::string ticket = minted.output.substr(0, minted.output.find('\n'));
  CommandResult who = Orbctl("--ticket '" + ticket + "' whoami");
  EXPECT_EQ(who.exit_code, 0) << who.output;
  EXPECT_THAT(who.output, StartsWith("bob "));
}

TEST_F(OrbctlRemoteTest, BatchRunsAFileInOneRoundTrip) {
  CommandResult ran = Orbctl(absl::StrCat("--token bob-demo-token batch ", ORB_SOURCE_DIR,
                                          "/examples/client/add-and-read.batch.json"));
  EXPECT_EQ(ran.exit_code, 0) << ran.output;
  EXPECT_THAT(ran.output, HasSubstr(R"("get_attr":{"value":{"string_value":"bob"}})"));
  EXPECT_THAT(ran.output, HasSubstr(R"({"string_value":"Batched"})"));
  EXPECT_EQ(Orbctl("get entry_count").output, "1\n");
}

TEST_F(OrbctlRemoteTest, BatchExitsWithTheFirstFailedOperationsCode) {
  // Anonymous may not add an entry: operation 0 is denied, operation 1
  // depends on it.
  CommandResult denied = Orbctl(absl::StrCat("batch ", ORB_SOURCE_DIR,
                                             "/examples/client/add-and-read.batch.json"));
  EXPECT_EQ(denied.exit_code, 7) << denied.output;
  EXPECT_THAT(denied.output, HasSubstr("PERMISSION_DENIED"));
  EXPECT_THAT(denied.output, HasSubstr("RESULT_UNAVAILABLE"));
  CommandResult bad = Orbctl("batch /no/such/file.json");
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  CommandResult not_a_batch = Orbctl(absl::StrCat("batch ", ORB_SOURCE_DIR, "/README.md"));
  EXPECT_EQ(not_a_batch.exit_code, 3) << not_a_batch.output;
}

TEST_F(OrbctlRemoteTest, SnapshotPrintsTheReadableNamesInOneCall) {
  CommandResult plain = OrbctlStdout("snapshot . title _secret entry_count");
  EXPECT_EQ(plain.exit_code, 0) << plain.output;
  EXPECT_EQ(plain.output, "entry_count: 0\ntitle: orb demo blog\n");
  CommandResult json = OrbctlStdout("--json snapshot . title entry_count");
  EXPECT_EQ(json.output, "{\"entry_count\":0,\"title\":\"orb demo blog\"}\n");
  CommandResult hidden = Orbctl("snapshot . _secret");
  EXPECT_EQ(hidden.exit_code, 5) << hidden.output;
  EXPECT_EQ(Orbctl("snapshot .").exit_code, 2);
}

TEST_F(OrbctlRemoteTest, CallByValuePrintsTheResultObjectsAttributes) {
  CommandResult json =
      OrbctlStdout("--token=bob-demo-token --json call --by-value add_entry title=Hi body=There");
  EXPECT_EQ(json.exit_code, 0) << json.output;
  EXPECT_THAT(json.output, HasSubstr("\"title\":\"Hi\""));
  EXPECT_THAT(json.output, HasSubstr("\"body\":\"There\""));
  EXPECT_THAT(json.output, HasSubstr("\"owner\":\"bob\""));
  EXPECT_THAT(json.output, Not(HasSubstr("\"handle\""))) << "no handle is printed";
  CommandResult plain = OrbctlStdout("--token=bob-demo-token call add_entry a b --by-value");
  EXPECT_EQ(plain.exit_code, 0) << plain.output;
  EXPECT_THAT(plain.output, HasSubstr("title"));
  EXPECT_THAT(plain.output, Not(HasSubstr("<demo.Entry"))) << plain.output;
  // A result that is no object prints as it is.
  CommandResult list = OrbctlStdout("--json call --by-value entries");
  EXPECT_EQ(list.exit_code, 0) << list.output;
  EXPECT_EQ(list.output.front(), '[') << list.output;
  CommandResult elsewhere = Orbctl("get title --by-value");
  EXPECT_EQ(elsewhere.exit_code, 2);
  EXPECT_THAT(elsewhere.output, HasSubstr("--by-value is an option of 'call' only"));
}

TEST_F(OrbctlRemoteTest, WatchPrintsTheValuesThenEachChangeUntilItsCount) {
  // The change is made once the first event is printed (the watch has
  // started then); `timeout` bounds a watch that never sees it.
  const std::string orbctl = std::string(ORB_BINARY_DIR) + "/bin/orbctl";
  CommandResult watched = RunCommand(
      "env -u ORB_TOKEN -u ORB_TICKET ORB_TARGET=" + orbd_.address() + " sh -c '"
      "out=$(mktemp); "
      "timeout 30 " + orbctl + " watch --count=2 . entry_count title >\"$out\" & pid=$!; "
      "until [ -s \"$out\" ] || ! kill -0 $pid 2>/dev/null; do sleep 0.05; done; " +
      orbctl + " --token=alice-demo-token call add_entry a b >/dev/null; "
      "wait $pid; code=$?; cat \"$out\"; rm -f \"$out\"; exit $code'");
  EXPECT_EQ(watched.exit_code, 0) << watched.output;
  EXPECT_EQ(watched.output, "entry_count: 0, title: orb demo blog\nentry_count: 1\n");

  CommandResult json = Orbctl("--json watch --count=1 . title");
  EXPECT_EQ(json.exit_code, 0) << json.output;
  EXPECT_EQ(json.output, "{\"initial\":true,\"values\":{\"title\":\"orb demo blog\"},"
                         "\"dropped\":[]}\n");
}

TEST_F(OrbctlRemoteTest, WatchReportsARefusedStartAndMisusedCount) {
  CommandResult hidden = Orbctl("watch . _secret");
  EXPECT_EQ(hidden.exit_code, 5) << hidden.output;
  EXPECT_THAT(hidden.output, HasSubstr("NAME_NOT_FOUND"));
  CommandResult zero = Orbctl("watch --count=0 . title");
  EXPECT_EQ(zero.exit_code, 2) << zero.output;
  EXPECT_THAT(zero.output, HasSubstr("bad --count '0'"));
  CommandResult elsewhere = Orbctl("get --count=1 title");
  EXPECT_EQ(elsewhere.exit_code, 2) << elsewhere.output;
  EXPECT_THAT(elsewhere.output, HasSubstr("--count is an option of 'watch' only"));
  EXPECT_EQ(Orbctl("watch .").exit_code, 2);
}

}  // namespace
}  // namespace orb::testing
