// A child `orbd` serving the blog demo on an ephemeral loopback port, for
// tests that run command-line tools and example programs against it.
#ifndef ORB_TESTS_CLIENT_ORBD_PROCESS_H_
#define ORB_TESTS_CLIENT_ORBD_PROCESS_H_

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/test_support.h"

extern char** environ;

namespace orb::testing {

class OrbdProcess {
 public:
  OrbdProcess() {
    dir_ = MakeTempDir();
    log_ = dir_ + "/orbd.log";
    std::vector<std::string> args = {
        std::string(ORB_BINARY_DIR) + "/bin/orbd", "--listen=127.0.0.1:0", "--service=blog",
        "--policy=" + std::string(ORB_SOURCE_DIR) + "/examples/blog/policy.textproto"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    address_ = WaitForAddress();
  }
  ~OrbdProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    RunCommand("rm -rf '" + dir_ + "'");
  }
  OrbdProcess(const OrbdProcess&) = delete;
  OrbdProcess& operator=(const OrbdProcess&) = delete;

  // HOST:PORT, or "" when orbd did not start (see log()).
  const std::string& address() const { return address_; }
  std::string log() const {
    std::ifstream in(log_);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }

 private:
  std::string WaitForAddress() {
    static const std::regex serving(R"(serving '[^']*' on ([0-9.]+:[0-9]+))");
    for (int i = 0; i < 400 && pid_ > 0; ++i) {
      std::smatch m;
      std::string text = log();
      if (std::regex_search(text, m, serving)) return m[1];
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return "";
  }

  std::string dir_;
  std::string log_;
  std::string address_;
  pid_t pid_ = -1;
};

}  // namespace orb::testing

#endif  // ORB_TESTS_CLIENT_ORBD_PROCESS_H_
