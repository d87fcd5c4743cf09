// Splitting an `orbctl shell` line into words, with POSIX sh's quoting, so
// that a line reads as the same command typed after `orbctl` would.
#ifndef ORB_CLIENT_ORBCTL_SHELL_WORDS_H_
#define ORB_CLIENT_ORBCTL_SHELL_WORDS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace orb::orbctl {

// One word of a line: its text with the quoting removed, and which of its
// characters were quoted (the shell takes an unquoted `$1` for a handle
// name, a quoted '$1' for the text).
struct Word {
  std::string text;
  std::vector<bool> quoted;  // one flag per byte of `text`

  // Whether text[i] exists and was written without quotes.
  bool Unquoted(size_t i) const { return i < text.size() && !quoted[i]; }
};

// Splits `line` as sh does, without expansions: blanks (space, tab, CR)
// separate words; '...' keeps every character as it is; "..." keeps every
// character but a backslash before ", \, $ or `, which keeps that
// character; outside quotes a backslash keeps the next character. An
// unquoted # starting a word starts a comment, to the end of the line.
// Quoted nothing ('' or "") is an empty word. A blank or comment line has
// no words.
// Errors: INVALID_ARGUMENT "unterminated '...' quote", "unterminated "..."
// quote", "the line ends with a backslash".
absl::StatusOr<std::vector<Word>> SplitWords(absl::string_view line);

}  // namespace orb::orbctl

#endif  // ORB_CLIENT_ORBCTL_SHELL_WORDS_H_
