#include "bench/load/echo_child.h"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace orb::bench {
namespace {

const char* ModelName(ServerModel model) {
  return model == ServerModel::kSync ? "sync" : "callback";
}

// Reads one line from `fd` within `timeout_ms` (without the newline).
bool ReadLine(int fd, int timeout_ms, std::string* line) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  line->clear();
  while (std::chrono::steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char c = 0;
    const ssize_t n = read(fd, &c, 1);
    if (n <= 0) return false;
    if (c == '\n') return true;
    line->push_back(c);
  }
  return false;
}

}  // namespace

bool ParseServerModel(const std::string& text, ServerModel* model) {
  if (text == "callback") {
    *model = ServerModel::kCallback;
    return true;
  }
  if (text == "sync") {
    *model = ServerModel::kSync;
    return true;
  }
  return false;
}

absl::StatusOr<std::unique_ptr<EchoChild>> EchoChild::Start(const std::string& self_exe,
                                                           ServerModel model) {
  int to_child[2];
  int from_child[2];
  if (pipe(to_child) != 0) return absl::InternalError("pipe() failed");
  if (pipe(from_child) != 0) {
    close(to_child[0]);
    close(to_child[1]);
    return absl::InternalError("pipe() failed");
  }
  const std::string flag = absl::StrCat("--serve_echo=", ModelName(model));
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork() failed");
  if (pid == 0) {
    // The child stops with its parent, whatever happens to the parent.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(to_child[0], STDIN_FILENO);
    dup2(from_child[1], STDOUT_FILENO);
    for (int fd : {to_child[0], to_child[1], from_child[0], from_child[1]}) close(fd);
    execl(self_exe.c_str(), self_exe.c_str(), flag.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(to_child[0]);
  close(from_child[1]);
  std::unique_ptr<EchoChild> child(new EchoChild());
  child->pid_ = pid;
  child->stdin_fd_ = to_child[1];
  std::string line;
  const bool got = ReadLine(from_child[0], 10000, &line);
  close(from_child[0]);
  absl::string_view rest = line;
  int port = 0;
  if (!got || !absl::ConsumePrefix(&rest, "PORT ") || !absl::SimpleAtoi(rest, &port) ||
      port <= 0) {
    return absl::UnavailableError(
        absl::StrCat("the ", ModelName(model), " echo child reported no port"));
  }
  child->address_ = absl::StrCat("127.0.0.1:", port);
  return child;
}

EchoChild::~EchoChild() {
  if (stdin_fd_ >= 0) close(stdin_fd_);
  if (pid_ <= 0) return;
  for (int i = 0; i < 500; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

int ServeEchoUntilStdinCloses(ServerModel model, uint64_t max_message_bytes) {
  absl::StatusOr<std::unique_ptr<EchoServer>> server = EchoServer::Start(model, max_message_bytes);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  const std::string& address = (*server)->address();
  std::printf("PORT %s\n", address.substr(address.rfind(':') + 1).c_str());
  std::fflush(stdout);
  char buffer[64];
  while (read(STDIN_FILENO, buffer, sizeof(buffer)) > 0) {
  }
  return 0;
}

}  // namespace orb::bench
