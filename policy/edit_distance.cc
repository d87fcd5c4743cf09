#include "policy/edit_distance.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"

namespace orb::policy {

size_t EditDistance(absl::string_view a, absl::string_view b) {
  // Three rows of the dynamic-programming table: the swap of two adjacent
  // characters looks two rows back.
  std::vector<size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::optional<std::string> ClosestMatch(absl::string_view word,
                                        absl::Span<const std::string> candidates) {
  const std::string lower_word = absl::AsciiStrToLower(word);
  std::optional<std::string> best;
  size_t best_distance = 0;
  for (const std::string& candidate : candidates) {
    if (candidate == word) continue;
    const size_t distance = EditDistance(lower_word, absl::AsciiStrToLower(candidate));
    const size_t longer = std::max(word.size(), candidate.size());
    if (distance * 3 > std::max<size_t>(longer, 3)) continue;
    if (!best.has_value() || distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

}  // namespace orb::policy
