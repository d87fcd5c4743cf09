#include "tests/testing/tcp_relay.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/sync.h"

namespace orb::testing {
namespace {

sockaddr_in Loopback(int port) {
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  return address;
}

// Ends the connection with a reset (RST), as a dropped network path or a
// crashed peer does, rather than an orderly close.
void Reset(int fd) {
  linger hard = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
  shutdown(fd, SHUT_RDWR);
}

}  // namespace

TcpRelay::TcpRelay(int target_port) : target_port_(target_port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  sockaddr_in address = Loopback(0);
  socklen_t size = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(fd, 64) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    close(fd);
    return;
  }
  listen_fd_ = fd;
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

TcpRelay::~TcpRelay() {
  std::vector<std::thread> relays;
  {
    MutexHold lock(&mu_);
    stopping_ = true;
    for (int fd : open_fds_) Reset(fd);
    relays.swap(relays_);
  }
  if (listen_fd_ >= 0) shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  // No relay starts once stopping_ is set (AcceptLoop checks it).
  for (std::thread& t : relays) t.join();
  if (listen_fd_ >= 0) close(listen_fd_);
}

std::string TcpRelay::address() const { return absl::StrCat("127.0.0.1:", port_); }

int TcpRelay::CutAll() {
  MutexHold lock(&mu_);
  for (int fd : open_fds_) Reset(fd);
  return static_cast<int>(open_fds_.size() / 2);
}

int TcpRelay::accepted() const {
  MutexHold lock(&mu_);
  return accepted_;
}

void TcpRelay::AcceptLoop() {
  for (;;) {
    const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) return;  // shut down
    const int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in target = Loopback(target_port_);
    if (server < 0 ||
        connect(server, reinterpret_cast<sockaddr*>(&target), sizeof(target)) != 0) {
      if (server >= 0) close(server);
      close(client);
      continue;
    }
    for (int fd : {client, server}) {
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    MutexHold lock(&mu_);
    if (stopping_) {
      close(client);
      close(server);
      return;
    }
    ++accepted_;
    open_fds_.push_back(client);
    open_fds_.push_back(server);
    relays_.emplace_back([this, client, server] { Relay(client, server); });
  }
}

void TcpRelay::Relay(int client_fd, int server_fd) {
  pollfd fds[2] = {{client_fd, POLLIN, 0}, {server_fd, POLLIN, 0}};
  char buffer[16384];
  bool open = true;
  while (open && poll(fds, 2, -1) > 0) {
    for (int i = 0; i < 2 && open; ++i) {
      if (fds[i].revents == 0) continue;
      const ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
      if (n <= 0) {
        open = false;
        break;
      }
      for (ssize_t sent = 0; sent < n && open;) {
        // MSG_NOSIGNAL: a peer that reset must not raise SIGPIPE in the test.
        const ssize_t w =
            send(fds[1 - i].fd, buffer + sent, static_cast<size_t>(n - sent), MSG_NOSIGNAL);
        if (w <= 0) open = false;
        sent += std::max<ssize_t>(w, 0);
      }
    }
  }
  MutexHold lock(&mu_);
  for (int fd : {client_fd, server_fd}) {
    Reset(fd);
    open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
    close(fd);
  }
}

}  // namespace orb::testing
