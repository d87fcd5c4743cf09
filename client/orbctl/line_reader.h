// The lines `orbctl shell` reads: from a terminal through libedit (a
// prompt, line editing, history), else plain lines from standard input.
#ifndef ORB_CLIENT_ORBCTL_LINE_READER_H_
#define ORB_CLIENT_ORBCTL_LINE_READER_H_

#include <optional>
#include <string>

namespace orb::orbctl {

// Reads standard input. When it is a terminal, libedit's readline shows
// `prompt`, edits the line (emacs keys: Ctrl-A, Ctrl-E, arrows, ...) and
// keeps every non-blank line in an in-memory history (Up/Down recall
// them); nothing is written to a history file; Ctrl-C drops the line being
// typed (the reader installs a SIGINT handler: an interrupt no longer ends
// the process). Otherwise lines are read as they come, without a prompt.
// One reader per process; Next() is called on the thread that constructed it
// (an interrupt taken by any other thread is sent on to that one).
class LineReader {
 public:
  explicit LineReader(std::string prompt);
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Whether standard input is a terminal.
  bool interactive() const { return interactive_; }

  // The next line without its line end; nullopt at the end of input (EOF,
  // Ctrl-D on an empty line).
  std::optional<std::string> Next();

 private:
  const std::string prompt_;
  const bool interactive_;
  std::string last_;  // the last line added to the history
};

}  // namespace orb::orbctl

#endif  // ORB_CLIENT_ORBCTL_LINE_READER_H_
