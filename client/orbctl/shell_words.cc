#include "client/orbctl/shell_words.h"

#include "absl/status/status.h"

namespace orb::orbctl {

absl::StatusOr<std::vector<Word>> SplitWords(absl::string_view line) {
  std::vector<Word> words;
  Word word;
  bool in_word = false;  // a word has started (it may still be empty: '')
  auto add = [&](char c, bool quoted) {
    word.text.push_back(c);
    word.quoted.push_back(quoted);
  };
  auto end_word = [&] {
    if (in_word) words.push_back(std::move(word));
    word = Word();
    in_word = false;
  };
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == ' ' || c == '\t' || c == '\r') {
      end_word();
      continue;
    }
    if (c == '#' && !in_word) break;
    in_word = true;
    if (c == '\\') {
      if (++i == line.size()) return absl::InvalidArgumentError("the line ends with a backslash");
      add(line[i], true);
    } else if (c == '\'') {
      const size_t close = line.find('\'', i + 1);
      if (close == absl::string_view::npos) {
        return absl::InvalidArgumentError("unterminated '...' quote");
      }
      for (size_t j = i + 1; j < close; ++j) add(line[j], true);
      i = close;
    } else if (c == '"') {
      for (++i;; ++i) {
        if (i == line.size()) return absl::InvalidArgumentError("unterminated \"...\" quote");
        if (line[i] == '"') break;
        if (line[i] == '\\' && i + 1 < line.size() &&
            absl::string_view("\"\\$`").find(line[i + 1]) != absl::string_view::npos) {
          ++i;
        }
        add(line[i], true);
      }
    } else {
      add(c, false);
    }
  }
  end_word();
  return words;
}

}  // namespace orb::orbctl
