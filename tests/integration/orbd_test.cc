// The orbd binary as an operator runs it: startup, serving, clean shutdown,
// and one-line startup errors.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "orb/v1/broker.grpc.pb.h"
#include "tests/testing/test_support.h"

extern char** environ;

namespace orb::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A child orbd whose stderr goes to a file.
class Orbd {
 public:
  explicit Orbd(std::vector<std::string> args) {
    dir_ = MakeTempDir();
    log_ = dir_ + "/orbd.log";
    std::vector<std::string> argv_strings = {std::string(ORB_BINARY_DIR) + "/bin/orbd"};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_strings) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Orbd() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    RunCommand("rm -rf " + dir_);
  }

  // Waits for the "serving ... on HOST:PORT" line; returns HOST:PORT or "".
  std::string WaitForAddress() {
    static const std::regex serving(R"(serving '[^']*' on ([0-9.]+:[0-9]+))");
    for (int i = 0; i < 200; ++i) {
      std::smatch m;
      std::string log = ReadFile(log_);
      if (std::regex_search(log, m, serving)) return m[1];
      if (HasExited()) return "";
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return "";
  }

  bool HasExited() {
    if (exited_) return true;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    return exited_;
  }

  // Waits up to 20 s for exit; returns the exit code or -1.
  int WaitForExit() {
    for (int i = 0; i < 400 && !HasExited(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return exited_ ? exit_code_ : -1;
  }

  void Signal(int sig) { kill(pid_, sig); }
  std::string log() { return ReadFile(log_); }

 private:
  std::string dir_;
  std::string log_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_code_ = -1;
};

std::string DemoPolicyPath() { return std::string(ORB_SOURCE_DIR) + "/examples/blog/policy.textproto"; }

TEST(Orbd, ServesTheBlogAndStopsCleanlyOnSigterm) {
  Orbd orbd({"--listen=127.0.0.1:0", "--service=blog", "--policy=" + DemoPolicyPath()});
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
  Orbd first({"--listen=127.0.0.1:0", "--policy=" + DemoPolicyPath()});
  std::string address = first.WaitForAddress();
  ASSERT_FALSE(address.empty()) << first.log();
  Orbd second({"--listen=" + address, "--policy=" + DemoPolicyPath()});
  EXPECT_EQ(second.WaitForExit(), 1);
  EXPECT_THAT(second.log(), HasSubstr("cannot listen on " + address));
  first.Signal(SIGTERM);
  EXPECT_EQ(first.WaitForExit(), 0);
}

TEST(Orbd, UnknownServiceIsAClearError) {
  Orbd orbd({"--listen=127.0.0.1:0", "--service=nope", "--policy=" + DemoPolicyPath()});
  EXPECT_EQ(orbd.WaitForExit(), 1);
  EXPECT_THAT(orbd.log(), HasSubstr("unknown service 'nope'"));
}

}  // namespace
}  // namespace orb::testing
