// Every example policy shipped in examples/ and every textproto block of
// docs/policy.md compiles; the blocks marked as deliberate mistakes fail with
// the message their marker names; the reference names every schema field.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "orb/policy/authn.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "orb/v1/policy.pb.h"
#include "orb/policy/policy_loader.h"
#include "tests/testing/test_support.h"

namespace orb::policy {
namespace {

using ::orb::testing::IsOk;

std::string Errors(const LoadResult& result) {
  std::vector<std::string> lines;
  for (const PolicyError& e : result.errors) lines.push_back(e.ToString());
  return absl::StrJoin(lines, "\n");
}

TEST(Examples, EveryExamplePolicyLoads) {
  const std::filesystem::path root = std::filesystem::path(ORB_SOURCE_DIR) / "examples";
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.is_regular_file() && entry.path().extension() == ".textproto") {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  EXPECT_GE(files.size(), 8u);
  for (const std::string& file : files) {
    SCOPED_TRACE(file);
    EXPECT_THAT(LoadPolicyFile(file), IsOk());
  }
}

TEST(Examples, DemoPolicyAuthenticatesTheDemoUsers) {
  auto policy = LoadPolicyFile(std::string(ORB_SOURCE_DIR) + "/examples/blog/policy.textproto");
  ASSERT_THAT(policy, IsOk());
  const Authenticator& authn = (*policy)->authenticator();
  EXPECT_TRUE(authn.allow_anonymous());
  EXPECT_EQ((*policy)->default_permission(), "view");
  CallCredentials credentials;
  credentials.authorization = "Bearer alice-demo-token";
  auto alice = authn.Authenticate(credentials, absl::Now());
  ASSERT_THAT(alice, IsOk());
  EXPECT_EQ(alice->userid, "alice");
  EXPECT_THAT(alice->groups, ::testing::ElementsAre("group:editors"));
  credentials.authorization = "Bearer bob-demo-token";
  auto bob = authn.Authenticate(credentials, absl::Now());
  ASSERT_THAT(bob, IsOk());
  EXPECT_EQ(bob->userid, "bob");
  EXPECT_TRUE(bob->groups.empty());
  std::string key;
  ASSERT_TRUE(DecodeLowerHex((*policy)->source().authentication().tickets().hmac_key_hex(), &key));
  credentials.authorization =
      "Ticket " + MintTicket(key, "bob", absl::Now() + absl::Minutes(10));
  EXPECT_THAT(authn.Authenticate(credentials, absl::Now()), IsOk());
  EXPECT_EQ((*policy)->FindType("demo.Blog"), nullptr);
}

struct DocBlock {
  int line = 0;  // of the opening fence
  std::string text;
  std::string expect_error;  // empty: must compile
};

// Extracts the ```textproto blocks; a block right after a line
// <!-- policy-check: expect-error "MESSAGE" --> must fail with MESSAGE.
std::vector<DocBlock> TextprotoBlocks(const std::string& markdown) {
  std::vector<DocBlock> blocks;
  std::vector<std::string> lines = absl::StrSplit(markdown, '\n');
  constexpr absl::string_view kMarker = "<!-- policy-check: expect-error \"";
  for (size_t i = 0; i < lines.size(); ++i) {
    if (absl::StripAsciiWhitespace(lines[i]) != "```textproto") continue;
    DocBlock block;
    block.line = static_cast<int>(i) + 1;
    if (i > 0) {
      absl::string_view previous = absl::StripAsciiWhitespace(lines[i - 1]);
      if (absl::ConsumePrefix(&previous, kMarker) && absl::ConsumeSuffix(&previous, "\" -->")) {
        block.expect_error = std::string(previous);
      }
    }
    size_t j = i + 1;
    for (; j < lines.size() && absl::StripAsciiWhitespace(lines[j]) != "```"; ++j) {
      absl::StrAppend(&block.text, lines[j], "\n");
    }
    EXPECT_LT(j, lines.size()) << "unterminated block at line " << block.line;
    blocks.push_back(std::move(block));
    i = j;
  }
  return blocks;
}

TEST(Docs, EveryTextprotoBlockCompilesOrFailsAsMarked) {
  const std::string markdown = orb::testing::ReadSourceFile("docs/policy.md");
  const std::string key_dir = std::string(ORB_SOURCE_DIR) + "/examples/policies";
  std::vector<DocBlock> blocks = TextprotoBlocks(markdown);
  EXPECT_GE(blocks.size(), 12u);
  int broken = 0;
  for (const DocBlock& block : blocks) {
    SCOPED_TRACE(absl::StrCat("docs/policy.md block at line ", block.line));
    LoadResult result = CompilePolicyText(block.text, "policy.textproto", key_dir);
    if (block.expect_error.empty()) {
      EXPECT_TRUE(result.errors.empty()) << Errors(result);
      EXPECT_NE(result.policy, nullptr);
    } else {
      ++broken;
      EXPECT_EQ(result.policy, nullptr);
      EXPECT_THAT(Errors(result), ::testing::HasSubstr(block.expect_error));
    }
  }
  EXPECT_GE(broken, 3);
}

TEST(Docs, ReferenceNamesEveryMessageAndField) {
  const std::string markdown = orb::testing::ReadSourceFile("docs/policy.md");
  const google::protobuf::FileDescriptor* file = orb::v1::Policy::descriptor()->file();
  std::vector<const google::protobuf::Descriptor*> pending;
  for (int i = 0; i < file->message_type_count(); ++i) pending.push_back(file->message_type(i));
  while (!pending.empty()) {
    const google::protobuf::Descriptor* d = pending.back();
    pending.pop_back();
    EXPECT_TRUE(absl::StrContains(markdown, absl::StrCat("`", d->name(), "`")))
        << "docs/policy.md does not mention message " << d->name();
    for (int i = 0; i < d->field_count(); ++i) {
      EXPECT_TRUE(absl::StrContains(markdown, absl::StrCat("`", d->field(i)->name())))
          << "docs/policy.md does not mention field " << d->full_name() << "."
          << d->field(i)->name();
    }
    for (int i = 0; i < d->nested_type_count(); ++i) pending.push_back(d->nested_type(i));
  }
}

}  // namespace
}  // namespace orb::policy
