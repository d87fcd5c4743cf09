#include "client/orbctl/line_reader.h"

#include <signal.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <utility>

// libedit's GNU readline interface (Debian's libedit-dev).
#include <editline/readline.h>

namespace orb::orbctl {

namespace {

// Set by Ctrl-C at the prompt.
volatile std::sig_atomic_t interrupted = 0;

void OnInterrupt(int) { interrupted = 1; }

}  // namespace

LineReader::LineReader(std::string prompt)
    : prompt_(std::move(prompt)), interactive_(isatty(STDIN_FILENO) == 1) {
  if (!interactive_) return;
  using_history();
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
  interrupted = 0;
  char* read = readline(prompt_.c_str());
  if (read == nullptr && interrupted) {
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
