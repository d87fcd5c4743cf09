#include "tests/testing/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>
#include <utility>

#include "tests/testing/test_support.h"

extern char** environ;

namespace orb::testing {

ChildProcess::ChildProcess(const std::string& binary, std::vector<std::string> args)
    : ChildProcess(binary, std::move(args), Options()) {}

ChildProcess::ChildProcess(const std::string& binary, std::vector<std::string> args,
                           const Options& options) {
  dir_ = MakeTempDir();
  log_path_ = dir_ + "/stderr.log";
  std::vector<std::string> argv_strings = {binary};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  if (options.stdout_to_log) {
    posix_spawn_file_actions_adddup2(&actions, 2, 1);
  } else {
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  }
  std::vector<std::string> env_strings = options.env;
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  char** child_env = options.env.empty() ? environ : envp.data();
  if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), child_env) != 0) {
    pid_ = -1;
    exited_ = true;
  }
  posix_spawn_file_actions_destroy(&actions);
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !HasExited()) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  RunCommand("rm -rf '" + dir_ + "'");
}

std::string ChildProcess::log() const {
  std::ifstream in(log_path_);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string ChildProcess::WaitForLog(const std::string& pattern) {
  const std::regex re(pattern);
  for (int i = 0; i < 400; ++i) {
    std::smatch m;
    std::string text = log();
    if (std::regex_search(text, m, re)) return m.size() > 1 ? m[1].str() : m[0].str();
    if (HasExited()) return "";
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return "";
}

bool ChildProcess::WaitForText(const std::string& text, int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; waited += 10) {
    if (log().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return log().find(text) != std::string::npos;
}

bool ChildProcess::HasExited() {
  if (exited_) return true;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    exited_ = true;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  return exited_;
}

int ChildProcess::WaitForExit() {
  for (int i = 0; i < 400 && !HasExited(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return exited_ ? exit_code_ : -1;
}

void ChildProcess::Signal(int signal_number) {
  if (pid_ > 0 && !exited_) kill(pid_, signal_number);
}

}  // namespace orb::testing
