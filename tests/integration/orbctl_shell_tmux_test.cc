// `orbctl shell` at a terminal: tmux (on a private server socket) runs it
// against a live orbd; the test types keys, line editing included, and
// reads the screen with `tmux capture-pane`.
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/orbd_process.h"
#include "tests/testing/test_support.h"

namespace orb::testing {
namespace {

class OrbctlShellTmuxTest : public ::testing::Test {
 protected:
  OrbctlShellTmuxTest()
      : home_(MakeTempDir()), socket_(absl::StrCat("orb-shell-test-", getpid())) {}
  ~OrbctlShellTmuxTest() override {
    RunCommand(Tmux("kill-server"));
    RunCommand("rm -rf '" + home_ + "'");
  }
  void SetUp() override { ASSERT_FALSE(orbd_.address().empty()) << orbd_.log(); }

  // A tmux command on this test's own server; no user configuration.
  std::string Tmux(const std::string& args) const {
    return absl::StrCat("tmux -L ", socket_, " -f /dev/null ", args);
  }

  // Starts orbctl shell as bob in a 120x40 terminal; when it ends, the pane
  // shows its exit status and stays.
  void StartShell() {
    const std::string shell = absl::StrCat(
        "env HOME=", home_, " ORB_TARGET=", orbd_.address(), " ", ORB_BINARY_DIR,
        "/bin/orbctl --token=bob-demo-token shell; echo \"shell exited $?\"; exec sleep 600");
    CommandResult started =
        RunCommand(Tmux(absl::StrCat("new-session -d -s orb -x 120 -y 40 '", shell, "'")));
    ASSERT_EQ(started.exit_code, 0) << started.output;
  }

  // Types `text` as it is (no key names).
  void Type(const std::string& text) {
    ASSERT_EQ(RunCommand(Tmux("send-keys -t orb -l '" + text + "'")).exit_code, 0);
  }
  // Presses keys by tmux's names (Enter, C-a, Left, Up, C-d).
  void Press(const std::string& keys) {
    ASSERT_EQ(RunCommand(Tmux("send-keys -t orb " + keys)).exit_code, 0);
  }

  // The screen's lines, trailing blanks dropped.
  std::vector<std::string> Screen() {
    std::vector<std::string> lines =
        absl::StrSplit(RunCommand(Tmux("capture-pane -p -t orb")).output, '\n');
    for (std::string& line : lines) line.erase(line.find_last_not_of(' ') + 1);
    while (!lines.empty() && lines.back().empty()) lines.pop_back();
    return lines;
  }
  static int Count(const std::vector<std::string>& lines, const std::string& line) {
    return static_cast<int>(std::count(lines.begin(), lines.end(), line));
  }
  // Waits (bounded: 20 s) until `line` is on the screen `times` times, and
  // expects it there exactly that often. Returns the screen.
  std::vector<std::string> ExpectLine(const std::string& line, int times = 1) {
    std::vector<std::string> screen;
    for (int i = 0; i < 400; ++i) {
      screen = Screen();
      if (Count(screen, line) >= times) break;
      RunCommand("sleep 0.05");
    }
    EXPECT_EQ(Count(screen, line), times) << line << " on\n" << absl::StrJoin(screen, "\n");
    return screen;
  }

  const std::string home_;
  const std::string socket_;
  OrbdProcess orbd_;
};

TEST_F(OrbctlShellTmuxTest, PromptLineEditingAndHistoryAtATerminal) {
  StartShell();
  std::vector<std::string> screen = ExpectLine("orb>");
  ASSERT_FALSE(screen.empty());
  EXPECT_THAT(screen[0], ::testing::StartsWith("orbctl shell: bob on 127.0.0.1:"));

  Type("call add_entry title=Typed body=x");
  Press("Enter");
  ExpectLine("$1 = <demo.Entry handle>");

  // A typo at the start of the line, fixed with Ctrl-A.
  Type("et $1.title");
  Press("C-a");
  Type("g");
  Press("Enter");
  ExpectLine("Typed");
  ExpectLine("orb> get $1.title");

  // A letter left out, put in with the Left arrow.
  Type("get $1.ownr");
  Press("Left");
  Type("e");
  Press("Enter");
  ExpectLine("bob");
  ExpectLine("orb> get $1.owner");

  // Up twice recalls `get $1.title`.
  Press("Up");
  Press("Up");
  Press("Enter");
  ExpectLine("Typed", 2);
  ExpectLine("orb> get $1.title", 2);

  // A name that names nothing: one line, and the shell goes on.
  Type("get $7.title");
  Press("Enter");
  ExpectLine("orbctl: '$7' names no handle (see 'handles')");

  // Ctrl-C drops the line being typed; the shell stays.
  Type("get _sec");
  Press("C-c");
  ExpectLine("orb> get _sec^C");
  Type("whoami");
  Press("Enter");
  ExpectLine("bob (system.Everyone, system.Authenticated, bob)");

  // Ctrl-D leaves; the status is the last failure's (a usage error).
  Press("C-d");
  ExpectLine("shell exited 2");
}

}  // namespace
}  // namespace orb::testing
