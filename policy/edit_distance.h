// Edit distance between short names, and the "did you mean ...?" choice
// built on it, for messages that name what a user probably meant to write
// (a misspelt field or enum value in a policy file, a type name in a policy
// that no served type has).
#ifndef ORB_POLICY_EDIT_DISTANCE_H_
#define ORB_POLICY_EDIT_DISTANCE_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace orb::policy {

// The optimal string alignment distance between `a` and `b`: the fewest
// single-character insertions, deletions, substitutions and swaps of two
// adjacent characters that turn one into the other ("acll" -> "acl" is 1,
// "DNEY" -> "DENY" is 1). Compares bytes, case-sensitively. Costs
// O(|a| * |b|) time and O(|b|) memory; meant for names, not documents.
size_t EditDistance(absl::string_view a, absl::string_view b);

// The candidate `word` most probably meant, or nullopt when none is close.
// Letters compare ignoring ASCII case (`allow` suggests `ALLOW`); a
// candidate is close when its distance to `word` is at most a third of the
// longer of the two (at least 1), so short words need a near-exact match and
// unrelated names are never offered. Among equally close candidates the
// first one in `candidates` wins. A candidate equal to `word` is not a
// suggestion and is skipped.
std::optional<std::string> ClosestMatch(absl::string_view word,
                                        absl::Span<const std::string> candidates);

}  // namespace orb::policy

#endif  // ORB_POLICY_EDIT_DISTANCE_H_
