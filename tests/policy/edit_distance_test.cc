#include "policy/edit_distance.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace orb::policy {
namespace {

using ::testing::Eq;
using ::testing::Optional;

struct DistanceCase {
  const char* a;
  const char* b;
  size_t distance;
};

TEST(EditDistance, CountsInsertionsDeletionsSubstitutionsAndAdjacentSwaps) {
  const std::vector<DistanceCase> cases = {
      {"", "", 0},           {"", "abc", 3},       {"abc", "", 3},
      {"acl", "acl", 0},     {"acll", "acl", 1},   {"acl", "acll", 1},
      {"ALOW", "ALLOW", 1},  {"DNEY", "DENY", 1},  {"kitten", "sitting", 3},
      {"PERMIT", "ALLOW", 6}, {"ab", "ba", 1},     {"abc", "ca", 3},
      {"olp", "OLP", 3},
  };
  for (const DistanceCase& c : cases) {
    EXPECT_EQ(EditDistance(c.a, c.b), c.distance) << c.a << " -> " << c.b;
    EXPECT_EQ(EditDistance(c.b, c.a), c.distance) << c.b << " -> " << c.a << " (symmetric)";
  }
}

TEST(ClosestMatch, SuggestsTheNearestCandidateIgnoringCase) {
  const std::vector<std::string> actions = {"ALLOW", "DENY"};
  EXPECT_THAT(ClosestMatch("ALOW", actions), Optional(Eq("ALLOW")));
  EXPECT_THAT(ClosestMatch("allow", actions), Optional(Eq("ALLOW")));
  EXPECT_THAT(ClosestMatch("Deny", actions), Optional(Eq("DENY")));
  EXPECT_THAT(ClosestMatch("DNEY", actions), Optional(Eq("DENY")));
}

TEST(ClosestMatch, OffersNothingWhenNoCandidateIsClose) {
  const std::vector<std::string> actions = {"ALLOW", "DENY"};
  EXPECT_EQ(ClosestMatch("PERMIT", actions), std::nullopt);
  EXPECT_EQ(ClosestMatch("X", actions), std::nullopt);
  EXPECT_EQ(ClosestMatch("anything", {}), std::nullopt);
  const std::vector<std::string> fields = {"name", "acl", "olp"};
  EXPECT_EQ(ClosestMatch("foo", fields), std::nullopt);
}

TEST(ClosestMatch, ToleratesAboutOneEditInThreeCharacters) {
  const std::vector<std::string> fields = {"allow_anonymous", "bearer", "tickets", "mtls"};
  EXPECT_THAT(ClosestMatch("allow_anonymus", fields), Optional(Eq("allow_anonymous")));
  EXPECT_THAT(ClosestMatch("alow_anonymos", fields), Optional(Eq("allow_anonymous")));
  EXPECT_THAT(ClosestMatch("mtl", fields), Optional(Eq("mtls")));
  // Two edits in a four-letter word is another word.
  EXPECT_EQ(ClosestMatch("mtxy", fields), std::nullopt);
}

TEST(ClosestMatch, PrefersTheCloserCandidateAndOnTiesTheFirst) {
  EXPECT_THAT(ClosestMatch("users", {"user", "usrs_table"}), Optional(Eq("user")));
  EXPECT_THAT(ClosestMatch("abd", {"abc", "abe"}), Optional(Eq("abc")));
  EXPECT_THAT(ClosestMatch("abd", {"abe", "abc"}), Optional(Eq("abe")));
}

TEST(ClosestMatch, NeverSuggestsTheWordItself) {
  EXPECT_EQ(ClosestMatch("acl", {"acl"}), std::nullopt);
  EXPECT_THAT(ClosestMatch("acl", {"acl", "acls"}), Optional(Eq("acls")));
}

}  // namespace
}  // namespace orb::policy
