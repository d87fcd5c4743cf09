#include "bench/load/haproxy_child.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace orb::bench {
namespace {

// haproxy on PATH, else Debian's /usr/sbin (not on a user's PATH).
std::string FindHaproxy() {
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path != nullptr ? path : "", ':')) {
    if (dir.empty()) continue;
    const std::string candidate = absl::StrCat(dir, "/haproxy");
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return access("/usr/sbin/haproxy", X_OK) == 0 ? "/usr/sbin/haproxy" : "";
}

// A loopback port nobody listens on now (bound, read, released: haproxy
// binds it a moment later).
int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(address);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HaproxyChild>> HaproxyChild::Start(const std::string& config,
                                                                 const std::string& broker,
                                                                 const std::string& log_path) {
  const std::string haproxy = FindHaproxy();
  if (haproxy.empty()) {
    return absl::NotFoundError("no haproxy on PATH or in /usr/sbin (scripts/install-deps)");
  }
  const int port = FreeLoopbackPort();
  if (port == 0) return absl::InternalError("no free loopback port for haproxy");
  const std::string listen = absl::StrCat("127.0.0.1:", port);
  const int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log < 0) return absl::InternalError(absl::StrCat("cannot write ", log_path));
  const pid_t pid = fork();
  if (pid < 0) {
    close(log);
    return absl::InternalError("fork() failed");
  }
  if (pid == 0) {
    // The proxy stops with the bench, whatever happens to the bench.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
    setenv("ORB_PROXY_LISTEN", listen.c_str(), 1);
    setenv("ORB_BROKER_A", broker.c_str(), 1);
    setenv("ORB_BROKER_B", broker.c_str(), 1);
    execl(haproxy.c_str(), haproxy.c_str(), "-db", "-f", config.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(log);
  std::unique_ptr<HaproxyChild> child(new HaproxyChild());
  child->pid_ = pid;
  child->address_ = listen;
  return child;
}

HaproxyChild::~HaproxyChild() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 500; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

}  // namespace orb::bench
