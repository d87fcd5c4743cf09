// Agreement with real Pyramid on the checked-in corpus: every query of
// tests/conformance/pyramid_acl_public.json, every field, messages included.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "policy/acl_cases.h"
#include "tests/testing/test_support.h"

namespace orb::policy {
namespace {

using Json = nlohmann::json;

constexpr char kCorpus[] = "tests/conformance/pyramid_acl_public.json";
// The corpus's own stats: 622 permits and 109 principals_allowed queries.
constexpr size_t kPermitsQueries = 622;
constexpr size_t kAllowedQueries = 109;

std::optional<std::string> OptString(const Json& j) {
  if (j.is_null()) return std::nullopt;
  return j.get<std::string>();
}

std::optional<int> OptInt(const Json& j) {
  if (j.is_null()) return std::nullopt;
  return j.get<int>();
}

class PublicCorpus : public ::testing::Test {
 protected:
  void SetUp() override {
    text_ = orb::testing::ReadSourceFile(kCorpus);
    ASSERT_FALSE(text_.empty());
    // Expectations are read here, independently of the library's parser.
    doc_ = Json::parse(text_);
    for (const Json& c : doc_["cases"]) {
      for (const Json& q : c["queries"]) expect_[q["id"].get<std::string>()] = &q;
      for (const Json& q : c["allowed_queries"]) expect_[q["id"].get<std::string>()] = &q;
    }
    auto parsed = ParseAclCaseFile(text_);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    file_ = std::move(*parsed);
  }

  std::string text_;
  Json doc_;
  std::map<std::string, const Json*> expect_;
  AclCaseFile file_;
};

TEST_F(PublicCorpus, ParsesEveryCaseAndQuery) {
  EXPECT_EQ(file_.cases.size(), doc_["cases"].size());
  EXPECT_EQ(file_.permits_query_count(), kPermitsQueries);
  EXPECT_EQ(file_.allowed_query_count(), kAllowedQueries);
  EXPECT_EQ(doc_["stats"]["permits_queries"].get<size_t>(), kPermitsQueries);
  EXPECT_EQ(doc_["stats"]["allowed_queries"].get<size_t>(), kAllowedQueries);
}

TEST_F(PublicCorpus, EveryPermitsQueryAgreesWithPyramid) {
  size_t checked = 0;
  for (const AclCase& c : file_.cases) {
    for (const AclCasePermitsQuery& q : c.queries) {
      SCOPED_TRACE(q.id);
      ASSERT_EQ(expect_.count(q.id), 1u);
      const Json& expect = (*expect_[q.id])["expect"];
      const AclCasePermitsOutcome got = EvaluatePermitsQuery(c, q);
      EXPECT_EQ(got.allowed, expect["allowed"].get<bool>());
      EXPECT_EQ(got.acl_node, OptString(expect["acl_node"]));
      EXPECT_EQ(got.ace_index, OptInt(expect["ace_index"]));
      EXPECT_EQ(got.msg_acl_node, OptString(expect["msg_acl_node"]));
      ASSERT_TRUE(expect.contains("msg"));
      EXPECT_EQ(got.msg, expect["msg"].get<std::string>());
      ++checked;
    }
  }
  EXPECT_EQ(checked, kPermitsQueries);
}

TEST_F(PublicCorpus, EveryPrincipalsAllowedQueryAgreesWithPyramid) {
  size_t checked = 0;
  for (const AclCase& c : file_.cases) {
    for (const AclCaseAllowedQuery& q : c.allowed_queries) {
      SCOPED_TRACE(q.id);
      ASSERT_EQ(expect_.count(q.id), 1u);
      const auto expect = (*expect_[q.id])["expect"].get<std::vector<std::string>>();
      const std::vector<std::string> got = EvaluateAllowedQuery(c, q);
      EXPECT_EQ(got, expect);  // both sorted by code point
      EXPECT_EQ(std::set<std::string>(got.begin(), got.end()).size(), got.size());
      ++checked;
    }
  }
  EXPECT_EQ(checked, kAllowedQueries);
}

TEST_F(PublicCorpus, ResultsDocumentAnswersEveryQueryOnce) {
  const Json results = Json::parse(EvaluateAclCaseFileToResultsJson(file_));
  EXPECT_EQ(results["format"], "pyramid-acl-results/1");
  std::set<std::string> ids;
  for (const Json& r : results["results"]) {
    const std::string id = r["id"].get<std::string>();
    EXPECT_TRUE(ids.insert(id).second) << "duplicate result for " << id;
    ASSERT_EQ(expect_.count(id), 1u) << id;
    // The whole answer, JSON types included (ace_index an integer or null).
    EXPECT_EQ(r["got"], (*expect_[id])["expect"]) << id;
  }
  EXPECT_EQ(ids.size(), kPermitsQueries + kAllowedQueries);
}

}  // namespace
}  // namespace orb::policy
