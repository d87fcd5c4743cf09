#include "client/orbctl/line_reader.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <utility>

// libedit's GNU readline interface (Debian's libedit-dev).
#include <editline/readline.h>

namespace orb::orbctl {

namespace {

// Set by Ctrl-C at the prompt. An atomic, not a volatile sig_atomic_t:
// the handler may run on another thread (any thread of the process that
// does not block SIGINT, gRPC's among them).
std::atomic<bool> interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free,
              "a signal handler may only touch lock-free atomics");

// The thread that reads the terminal, set once before the handler is
// installed.
pthread_t reading_thread;

void OnInterrupt(int) {
  interrupted.store(true, std::memory_order_relaxed);
  // Only the thread that takes a signal has its blocking read interrupted:
  // when the kernel picked another thread, send the signal on to the
  // reader, whose read under readline then returns with EINTR.
  // pthread_self and pthread_kill are async-signal-safe.
  if (pthread_equal(pthread_self(), reading_thread) == 0) {
    pthread_kill(reading_thread, SIGINT);
  }
}

}  // namespace

LineReader::LineReader(std::string prompt)
    : prompt_(std::move(prompt)), interactive_(isatty(STDIN_FILENO) == 1) {
  if (!interactive_) return;
  using_history();
  reading_thread = pthread_self();
  // Ctrl-C drops the line being typed, as in sh, instead of ending the
  // shell and its session. Without SA_RESTART, so that the read under
  // readline returns.
  struct sigaction action = {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
}

std::optional<std::string> LineReader::Next() {
  if (!interactive_) {
    std::string line;
    if (!std::getline(std::cin, line)) return std::nullopt;
    return line;
  }
  interrupted.store(false, std::memory_order_relaxed);
  errno = 0;
  char* read = readline(prompt_.c_str());
  // An interrupted read is the one way readline answers nullptr with EINTR
  // (end of input leaves errno alone). The flag alone is not enough: libedit's
  // own handler re-raises the signal for the whole process, and the thread
  // that takes it may run our handler only after readline has returned.
  const bool read_interrupted = errno == EINTR;
  if (read == nullptr && (read_interrupted || interrupted.load(std::memory_order_relaxed))) {
    std::fputs("^C\n", stdout);
    return std::string();
  }
  if (read == nullptr) {
    // Ctrl-D: end the prompt's line so that the terminal's next prompt
    // starts on its own.
    std::fputs("\n", stdout);
    return std::nullopt;
  }
  std::string line(read);
  std::free(read);
  if (line.find_first_not_of(" \t") != std::string::npos && line != last_) {
    add_history(line.c_str());
    last_ = line;
  }
  return line;
}

}  // namespace orb::orbctl
