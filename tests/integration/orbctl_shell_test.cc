// `orbctl shell` fed a script on standard input: the built orbctl against
// the built orbd (the blog demo, with an audit log), asserting stdout and
// stderr line by line, the exit status, and that the whole script ran in
// one session.
#include <sys/wait.h>

#include <cstdio>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/orbd_process.h"
#include "tests/testing/test_support.h"

namespace orb::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

struct ShellRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class OrbctlShellTest : public ::testing::Test {
 protected:
  OrbctlShellTest()
      : dir_(MakeTempDir()),
        orbd_(OrbdProcess::BlogArgs({"--audit-log=" + dir_ + "/audit.jsonl"})) {}
  ~OrbctlShellTest() override { RunCommand("rm -rf '" + dir_ + "'"); }
  void SetUp() override { ASSERT_FALSE(orbd_.WaitForAddress().empty()) << orbd_.log(); }

  std::string Orbctl() const {
    return absl::StrCat("env -u ORB_TOKEN -u ORB_TICKET ORB_TARGET=", orbd_.address(), " ",
                        ORB_BINARY_DIR, "/bin/orbctl");
  }

  // Runs `orbctl OPTIONS shell` with `script` on its standard input.
  ShellRun Shell(const std::string& options, const std::string& script) {
    WriteWholeFile(dir_ + "/script", script);
    // In a subshell: RunCommand adds 2>&1 to the command it runs.
    CommandResult r = RunCommand(absl::StrCat("(", Orbctl(), " ", options, " shell <'", dir_,
                                              "/script' 2>'", dir_, "/stderr')"));
    return {r.exit_code, r.output, ReadWholeFile(dir_ + "/stderr")};
  }

  // The audit log's records of `event`.
  std::vector<std::string> AuditRecords(const std::string& event) {
    std::vector<std::string> records;
    for (absl::string_view line : absl::StrSplit(ReadWholeFile(dir_ + "/audit.jsonl"), '\n')) {
      if (absl::StrContains(line, absl::StrCat("\"event\":\"", event, "\""))) {
        records.emplace_back(line);
      }
    }
    return records;
  }

  const std::string dir_;
  OrbdProcess orbd_;
};

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

TEST_F(OrbctlShellTest, ScriptNamesHandlesReportsBadLinesAndGoesOnInOneSession) {
  ShellRun run = Shell("--token=bob-demo-token",
                       "# A script: comments and blank lines are skipped.\n"
                       "\n"
                       "call add_entry title='Hello world' body=First\n"
                       "get $1.title\n"
                       "set $1.title \"Hello again\"\n"
                       "get $1.title\n"
                       "call entries\n"
                       "describe $1\n"
                       "frobnicate\n"
                       "get 'unterminated\n"
                       "get $9.title\n"
                       "set title Mine\n"
                       "handles\n"
                       "call $1 delete\n"
                       "whoami\n");
  EXPECT_THAT(Lines(run.out),
              ElementsAre("$1 = <demo.Entry handle>", "Hello world", "Hello again",
                          // The same handle keeps its name.
                          "[$1 = <demo.Entry handle>]",
                          "demo.Entry (instance view)",
                          "  getattr  body                 view                 allowed",
                          "  setattr  body                 edit                 allowed",
                          "  delattr  body                 edit                 allowed",
                          "  call     delete               delete               allowed",
                          "  getattr  owner                view                 allowed",
                          "  getattr  title                view                 allowed",
                          "  setattr  title                edit                 allowed",
                          "$1 = <demo.Entry handle>", "null",
                          "bob (system.Everyone, system.Authenticated, bob)"))
      << run.err;
  EXPECT_THAT(Lines(run.err),
              ElementsAre("orbctl: unknown command 'frobnicate'",
                          "orbctl: unterminated '...' quote",
                          "orbctl: '$9' names no handle (see 'handles')",
                          "orbctl: PERMISSION_DENIED: setattr 'title' on 'demo.Blog' object needs "
                          "permission 'edit', which the caller does not hold [ACL_DENIED, gate "
                          "acl]"));
  // The last command that failed was the refused setattr.
  EXPECT_EQ(run.exit_code, 7);

  // One session for every line: one OpenSession, and every gated operation
  // in that session.
  EXPECT_EQ(AuditRecords("open_session").size(), 1u);
  std::set<std::string> sessions;
  const std::regex session_field("\"session\":\"([0-9a-f]+)\"");
  for (const std::string& record : AuditRecords("gate")) {
    std::smatch m;
    ASSERT_TRUE(std::regex_search(record, m, session_field)) << record;
    sessions.insert(m[1]);
  }
  EXPECT_EQ(sessions.size(), 1u);
}

TEST_F(OrbctlShellTest, ExitStatusIsTheLastFailureElseZero) {
  ShellRun clean = Shell("", "get title\n\n# nothing failed\nwhoami\n");
  EXPECT_EQ(clean.exit_code, 0) << clean.err;
  EXPECT_EQ(clean.out, "orb demo blog\nanonymous (system.Everyone)\n");
  EXPECT_EQ(clean.err, "");

  // A refusal (7), then a usage error (2), then a hidden name (5), then a
  // success: the status is the last failure's.
  ShellRun mixed = Shell("", "set title x\nget $1\nget _secret\nget title\n");
  EXPECT_EQ(mixed.exit_code, 5) << mixed.err;
  EXPECT_EQ(mixed.out, "orb demo blog\n");
  EXPECT_THAT(Lines(mixed.err),
              ElementsAre(HasSubstr("PERMISSION_DENIED"),
                          "orbctl: '$1' names no handle (see 'handles')",
                          HasSubstr("NOT_FOUND: 'demo.Blog' object has no attribute '_secret'")));

  ShellRun usage = Shell("", "get title\nget a..b\n");
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_EQ(usage.err, "orbctl: bad path 'a..b': use dotted names, e.g. title or a.b\n");
}

TEST_F(OrbctlShellTest, HandlesPassAsArgumentsAndQuotedNamesAreText) {
  ShellRun run = Shell("--token=bob-demo-token",
                       "call add_entry First one\n"
                       "call add_entry title=Second body=two\n"
                       "set $1.title $2\n"
                       "set $1.title '$2'\n"
                       "get $1.title\n"
                       "call $2.delete\n"
                       "release $2\n"
                       "get $2.title\n"
                       "handles\n"
                       "get $1.title.x\n"
                       "get $1\n"
                       "call $1\n");
  EXPECT_THAT(Lines(run.out), ElementsAre("$1 = <demo.Entry handle>", "$2 = <demo.Entry handle>",
                                          "$2", "null", "$1 = <demo.Entry handle>"))
      << run.err;
  EXPECT_THAT(
      Lines(run.err),
      ElementsAre(
          // The handle itself reached the broker, which wants a string.
          "orbctl: INVALID_ARGUMENT: value of 'title': expected string, got handle "
          "[BAD_ARGUMENT, gate arguments]",
          "orbctl: '$2' was released",
          "orbctl: INVALID_ARGUMENT: 'title' is a string, not an object",
          "orbctl: get needs an attribute of $1: get $1.NAME",
          "orbctl: call needs a method: call $1.NAME or call $1 NAME"));
  EXPECT_EQ(run.exit_code, 2);
}

TEST_F(OrbctlShellTest, JsonNamesHandlesAndReportsErrorsOnStdout) {
  ShellRun run = Shell("--json --token=bob-demo-token",
                       "call add_entry title=Hi body=x\n"
                       "get $1.title\n"
                       "get $1.nope\n"
                       "get title --help\n");
  std::vector<std::string> lines = Lines(run.out);
  ASSERT_GE(lines.size(), 4u) << run.out << run.err;
  EXPECT_THAT(lines[0], MatchesRegex(R"(\{"handle":\{"id":"[0-9a-f]+",)"
                                     R"("type_name":"demo\.Entry","name":"\$1"\}\})"));
  EXPECT_EQ(lines[1], "\"Hi\"");
  EXPECT_THAT(lines[2], MatchesRegex(R"(\{"error":\{"code":5,"status":"NOT_FOUND",.*)"));
  EXPECT_EQ(lines[3], "usage: get PATH");
  EXPECT_EQ(run.exit_code, 5);
}

TEST_F(OrbctlShellTest, LostSessionIsReportedItsNamesDroppedAndANewOneOpened) {
  // The shell reads a pipe this test writes, line by line.
  const std::string out = dir_ + "/live.out";
  WriteWholeFile(out, "");
  FILE* shell = popen(absl::StrCat(Orbctl(), " --token=bob-demo-token shell >>'", out, "' 2>&1")
                          .c_str(),
                      "w");
  ASSERT_NE(shell, nullptr);
  auto send = [&](const std::string& line) {
    std::fputs((line + "\n").c_str(), shell);
    std::fflush(shell);
  };
  // Waits (bounded) until the shell has written `text`.
  auto wait_for = [&](const std::string& text) {
    for (int i = 0; i < 400; ++i) {
      if (absl::StrContains(ReadWholeFile(out), text)) return true;
      RunCommand("sleep 0.05");
    }
    return false;
  };
  send("call add_entry title=Before body=x");
  ASSERT_TRUE(wait_for("$1 = <demo.Entry handle>")) << ReadWholeFile(out);

  // alice, the demo's admin, closes bob's session.
  CommandResult listed = RunCommand(Orbctl() + " --token=alice-demo-token admin sessions bob");
  std::smatch ref;
  ASSERT_TRUE(std::regex_search(listed.output, ref, std::regex("\n([0-9a-f]{12}) ")))
      << listed.output;
  CommandResult closed =
      RunCommand(Orbctl() + " --token=alice-demo-token admin close " + ref[1].str());
  ASSERT_EQ(closed.exit_code, 0) << closed.output;

  send("get $1.title");
  send("get $1.title");
  send("call add_entry title=After body=y");
  send("get $2.title");
  const int status = pclose(shell);
  EXPECT_THAT(Lines(ReadWholeFile(out)),
              ElementsAre("$1 = <demo.Entry handle>",
                          "orbctl: NOT_FOUND: session not found [SESSION_NOT_FOUND, gate session]",
                          "orbctl: the session was lost (the broker restarted, or the session "
                          "expired or was closed); dropped $1; opened a new session",
                          "orbctl: '$1' was dropped with the lost session",
                          "$2 = <demo.Entry handle>", "After"));
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_EQ(AuditRecords("open_session").size(), 2u);
}

TEST_F(OrbctlShellTest, HelpAndUsage) {
  CommandResult help = RunCommand(Orbctl() + " shell --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.output, HasSubstr("usage: orbctl [OPTIONS] shell\n"));
  EXPECT_THAT(help.output, HasSubstr("exit code of the LAST"));
  EXPECT_THAT(RunCommand(Orbctl() + " --help").output, HasSubstr("\n  shell  "));
  EXPECT_EQ(RunCommand(Orbctl() + " shell extra </dev/null").exit_code, 2);

  ShellRun run = Shell("", "help\nhelp release\nhelp nothing\n--token=x whoami\nquit\nget title\n");
  EXPECT_THAT(run.out, HasSubstr("\n  release $N...  "));
  EXPECT_THAT(run.out, HasSubstr("usage: release $N...\n\nRelease named handles.\n"));
  EXPECT_THAT(Lines(run.err),
              ElementsAre("orbctl: unknown command 'nothing'",
                          "orbctl: --target, --token, --ticket and --tls-* are given when the "
                          "shell starts (orbctl [OPTIONS] shell)"));
  // quit ends the shell: the last line did not run.
  EXPECT_THAT(run.out, ::testing::Not(HasSubstr("orb demo blog")));
  EXPECT_EQ(run.exit_code, 2);

  // No broker: the session cannot open, and that is the exit status.
  CommandResult down =
      RunCommand(std::string(ORB_BINARY_DIR) + "/bin/orbctl --target=127.0.0.1:1 shell </dev/null");
  EXPECT_EQ(down.exit_code, 14) << down.output;
}

}  // namespace
}  // namespace orb::testing
