#include "orb/policy/policy_loader.h"

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orb/policy/authn.h"
#include "tests/testing/test_support.h"
#include "tests/policy/olp_peer.h"

namespace orb::policy {
namespace {

using ::orb::testing::IsOk;
using ::orb::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// sha256("alice-demo-token") and sha256("bob-demo-token").
const std::string kAliceHash = Sha256Hex("alice-demo-token");
const std::string kBobHash = Sha256Hex("bob-demo-token");
constexpr char kKeyHex[] = "5f0c8a4e2b7d9c1a3e6f8b0d2c4a6e8f1b3d5f7a9c0e2b4d6f8a0c2e4b6d8f0a";

std::string Errors(const LoadResult& result) {
  std::vector<std::string> lines;
  for (const PolicyError& e : result.errors) lines.push_back(e.ToString());
  return absl::StrJoin(lines, "\n");
}

PolicyPtr CompileOk(const std::string& text) {
  LoadResult result = CompilePolicyText(text, "good.textproto");
  EXPECT_THAT(result.errors, IsEmpty()) << Errors(result);
  EXPECT_NE(result.policy, nullptr);
  return result.policy;
}

// One broken policy: the error expected at `line` (1-based) whose message
// contains `message`, and how many errors the policy has in all.
struct Broken {
  const char* label;
  std::string text;
  int line;
  std::string message;
  int count = 1;
};

std::vector<Broken> BrokenPolicies() {
  return {
      {"syntax error names line and column",
       "user { userid: \"a\" }\nuser { userid \"b\" }\n", 2,
       "syntax error at column 15: Expected \":\""},
      {"unterminated message", "user {\n  userid: \"a\"\n", 3, "unexpected end of file"},
      {"unknown field, with the fields that exist",
       "user { userid: \"a\" }\ntype {\n  name: \"t\"\n  acll {}\n}\n", 4,
       "unknown field 'acll' in TypePolicy: did you mean 'acl'? The fields of TypePolicy are name, "
       "acl, olp"},
      {"every unknown field is reported", "foo: 1\nbar: 2\n", 2, "unknown field 'bar' in Policy",
       2},
      {"unknown enum value lists the values",
       "type { name: \"t\" acl {\n  ace { action: PERMIT principal: \"a\" permission: \"v\" }\n} }",
       2, "unknown value 'PERMIT' for action: write one of ALLOW, DENY"},
      {"a misspelt enum value gets the close one",
       "type { name: \"t\" acl {\n  ace { action: ALOW principal: \"a\" permission: \"v\" }\n} }",
       2, "unknown value 'ALOW' for action: did you mean 'ALLOW'? Write one of ALLOW, DENY"},
      {"an enum value in the wrong case gets the right spelling",
       "type { name: \"t\" acl {\n  ace { action: deny principal: \"a\" permission: \"v\" }\n} }",
       2, "unknown value 'deny' for action: did you mean 'DENY'? Write one of ALLOW, DENY"},
      {"no *_UNSPECIFIED value is offered, whatever the enum",
       "authentication { mtls {\n  userid_from: FINGERPRINT }\n}", 2,
       "unknown value 'FINGERPRINT' for userid_from: write one of SUBJECT_CN, SAN_DNS, SAN_URI, "
       "SAN_EMAIL"},
      {"a misspelt field gets the close one",
       "authentication {\n  allow_anonymus: true\n}", 2,
       "unknown field 'allow_anonymus' in Authentication: did you mean 'allow_anonymous'? The "
       "fields of Authentication are"},
      {"an unknown field far from every field gets only the list", "user { userid: \"a\" }\nquux: 1\n",
       2, "unknown field 'quux' in Policy: the fields of Policy are"},
      {"oneof given twice",
       "type { name: \"t\" olp { instance { getattr {\n  name: \"a\"\n  lock { permission: \"v\" "
       "blocked: true }\n} } } }",
       3, "another member of oneof \"kind\""},
      {"ACE action unspecified",
       "type {\n  name: \"t\"\n  acl {\n    ace { principal: \"bob\" permission: \"view\" }\n  }\n}",
       4, "ACE has no action: add action: ALLOW or action: DENY"},
      {"ACE action out of range",
       "type { name: \"t\" acl {\n  ace { action: 7 principal: \"bob\" permission: \"view\" }\n} }",
       2, "ACE action 7 is not valid"},
      {"ACE without permissions",
       "type { name: \"t\" acl {\n  ace {\n    action: ALLOW\n    principal: \"bob\"\n  }\n} }", 2,
       "ACE names no permission: give exactly one of permission"},
      {"ACE with permission and permissions",
       "type { name: \"t\" acl { ace {\n  action: ALLOW\n  principal: \"bob\"\n  permission: "
       "\"view\"\n  permissions: \"edit\"\n} } }",
       5, "ACE gives permission and permissions: give exactly one"},
      {"ACE with all_permissions and permissions_empty",
       "type { name: \"t\" acl { ace {\n  action: DENY principal: \"bob\"\n  all_permissions: "
       "true\n  permissions_empty: true\n} } }",
       4, "ACE gives all_permissions and permissions_empty"},
      {"deny_all with action and principal",
       "type { name: \"t\" acl {\n  ace { action: DENY principal: \"system.Everyone\"\n    "
       "deny_all: true }\n} }",
       3, "deny_all: true is a whole ACE, (Deny, system.Everyone, ALL_PERMISSIONS); remove "
          "action and principal"},
      {"empty principal",
       "type { name: \"t\" acl {\n  ace { action: ALLOW\n    principal: \"\"\n    permission: "
       "\"view\" }\n} }",
       3, "ACE has an empty principal"},
      {"unknown system principal",
       "type { name: \"t\" acl {\n  ace { action: ALLOW principal: \"system.Everybody\" "
       "permission: \"view\" }\n} }",
       2, "unknown system principal 'system.Everybody'"},
      {"empty permission name in a list",
       "type { name: \"t\" acl { ace {\n  action: ALLOW principal: \"bob\"\n  permissions: "
       "\"view\"\n  permissions: \"\"\n} } }",
       4, "empty permission name in an ACE"},
      {"explicitly empty permission",
       "type { name: \"t\" acl { ace {\n  action: ALLOW principal: \"bob\"\n  permission: \"\"\n} "
       "} }",
       3, "empty permission name in an ACE"},
      {"ALL_PERMISSIONS used as a permission name",
       "type { name: \"t\" acl { ace {\n  action: ALLOW principal: \"bob\"\n  permission: "
       "\"ALL_PERMISSIONS\"\n} } }",
       3, "'ALL_PERMISSIONS' is reserved and cannot be used as a permission name in an ACE: "
          "write all_permissions: true instead"},
      {"ALL_PERMISSIONS as an OLP permission",
       "type { name: \"t\" olp { instance {\n  getattr { name: \"a\" permission: "
       "\"ALL_PERMISSIONS\" }\n} } }",
       2, "'ALL_PERMISSIONS' is reserved"},
      {"NO_PERMISSION_REQUIRED as a permission name",
       "type { name: \"t\" olp { instance {\n  getattr { name: \"a\" permission: "
       "\"NO_PERMISSION_REQUIRED\" }\n} } }",
       2, "write lock { no_permission_required: true }"},
      {"duplicate type names",
       "type { name: \"demo.Blog\" acl {} }\n\ntype {\n  name: \"demo.Blog\"\n  acl {}\n}\n", 4,
       "duplicate type 'demo.Blog' (first declared at line 1)"},
      {"type with neither acl nor olp", "type {\n  name: \"demo.Blog\"\n}\n", 1,
       "type 'demo.Blog' declares neither acl nor olp"},
      {"empty type name", "type {\n  name: \"\"\n  acl {}\n}\n", 2, "type has an empty name"},
      {"duplicate path ACLs",
       "path_acl { path: \"/a\" acl {} }\npath_acl {\n  path: \"/a\"\n  acl {}\n}\n", 3,
       "duplicate path_acl for '/a' (first at line 1)"},
      {"path not starting with a slash", "path_acl {\n  path: \"blog/a\"\n  acl {}\n}\n", 2,
       "path 'blog/a' does not start with '/': object paths are absolute, e.g. \"/blog/a\""},
      {"path with a trailing slash", "path_acl {\n  path: \"/blog/\"\n  acl {}\n}\n", 2,
       "ends with '/'"},
      {"path with an empty segment", "path_acl {\n  path: \"/blog//a\"\n  acl {}\n}\n", 2,
       "has an empty segment"},
      {"path with a dot-dot segment", "path_acl {\n  path: \"/blog/../x\"\n  acl {}\n}\n", 2,
       "has a '..' segment"},
      {"path ACL without acl", "path_acl {\n  path: \"/blog\"\n}\n", 1,
       "path_acl '/blog' has no acl"},
      {"duplicate OLP entry in one table",
       "default_permission: \"view\"\ntype { name: \"t\" olp { instance {\n  getattr { name: "
       "\"title\" }\n  setattr { name: \"title\" }\n  getattr { name: \"title\" }\n} } }",
       5, "duplicate entry 'title' in the instance getattr table (first at line 3)"},
      {"lock with no kind",
       "type { name: \"t\" olp { cls {\n  call {\n    name: \"make\"\n    lock {}\n  }\n} } }", 4,
       "lock has no kind: give exactly one of"},
      {"nested lock with no kind",
       "type { name: \"t\" olp { instance { call { name: \"f\" lock { all_of {\n  lock { "
       "permission: \"a\" }\n  lock { }\n} } } } } }",
       3, "lock has no kind"},
      {"blocked: false",
       "type { name: \"t\" olp { instance { getattr { name: \"f\" lock {\n  blocked: false\n} } } "
       "} }",
       2, "blocked: false means nothing"},
      {"empty entry name",
       "default_permission: \"view\"\ntype { name: \"t\" olp { instance {\n  getattr { name: \"\" "
       "}\n} } }",
       3, "entry with an empty name in the instance getattr table"},
      {"a pattern meant to reach '_' names",
       "default_permission: \"view\"\ntype { name: \"t\" olp { instance {\n  getattr { name: \"*\" "
       "}\n  getattr { name: \"_*\" }\n} } }",
       4, "'_*' is not a member name: wildcards never reach names that start with '_' and "
          "there are no patterns; list each '_' name by its exact name"},
      {"a glob pattern",
       "default_permission: \"view\"\ntype { name: \"t\" olp { cls {\n  getattr { name: \"get*\" "
       "}\n} } }",
       3, "'get*' is not a member name: the only wildcards are the whole names '*'"},
      {"a name that is not an identifier",
       "default_permission: \"view\"\ntype { name: \"t\" olp { instance {\n  getattr { name: "
       "\"a.b\" }\n} } }",
       3, "'a.b' is not a member name: use an identifier"},
      {"entry with both permission and lock",
       "type { name: \"t\" olp { instance { getattr {\n  name: \"a\"\n  permission: \"view\"\n  "
       "lock { blocked: true }\n} } } }",
       4, "entry 'a' gives both permission and lock"},
      {"entry with neither and no default_permission",
       "type { name: \"t\" olp { instance {\n  getattr { name: \"title\" }\n} } }", 2,
       "entry 'title' names no lock and the policy has no default_permission"},
      {"'|' granting everything to everyone",
       "type { name: \"t\" olp { instance {\n  getattr { name: \"|\"\n    lock { "
       "no_permission_required: true } }\n} } }",
       3, "'|' with no_permission_required grants every name"},
      {"inherit of an unknown type",
       "type {\n  name: \"a\"\n  olp {\n    inherit: \"nope\"\n  }\n}\n", 4,
       "type 'a' inherits from 'nope', which this policy does not declare"},
      {"inherit of a type without olp",
       "type { name: \"b\" acl {} }\ntype { name: \"a\" olp {\n  inherit: \"b\"\n} }\n", 3,
       "inherits from 'b', which declares no olp"},
      {"inherit cycle names its path",
       "type { name: \"a\" olp { inherit: \"b\" } }\ntype { name: \"b\" olp { inherit: \"c\" } "
       "}\ntype { name: \"c\" olp {\n  inherit: \"a\" } }\n",
       1, "inherit cycle: a -> b -> c -> a"},
      {"inherit of itself", "type { name: \"a\" olp {\n  inherit: \"a\" } }\n", 2,
       "inherit cycle: a -> a"},
      {"duplicate userid",
       "user { userid: \"alice\" }\nuser { userid: \"bob\" }\nuser {\n  userid: \"alice\"\n}\n", 4,
       "duplicate user 'alice' (first declared at line 1)"},
      {"empty userid", "user {\n  userid: \"\"\n  group: \"group:x\"\n}\n", 2,
       "user has an empty userid"},
      {"userid with the system. prefix", "user {\n  userid: \"system.Everyone\"\n}\n", 2,
       "userid 'system.Everyone' starts with 'system.'"},
      {"group with the system. prefix",
       "user {\n  userid: \"eve\"\n  group: \"system.Authenticated\"\n}\n", 3,
       "group 'system.Authenticated' starts with 'system.'"},
      {"userid that is also a group",
       "user { userid: \"alice\" group: \"editors\" }\nuser {\n  userid: \"editors\"\n}\n", 3,
       "userid 'editors' is also used as a group name"},
      {"bearer token hash not hex",
       "user { userid: \"alice\" }\nauthentication {\n  bearer_token {\n    userid: \"alice\"\n    "
       "sha256: \"alice-demo-token\"\n  }\n}\n",
       5, "bearer_token.sha256 must be 64 lower-case hex digits"},
      {"bearer token hash in upper case",
       "user { userid: \"alice\" }\nauthentication { bearer_token {\n  userid: \"alice\"\n  sha256: "
       "\"" + absl::AsciiStrToUpper(kAliceHash) + "\"\n} }\n",
       4, "bearer_token.sha256 must be 64 lower-case hex digits"},
      {"bearer token for an undeclared user",
       "user { userid: \"alice\" }\nauthentication { bearer_token {\n  userid: \"mallory\"\n  "
       "sha256: \"" + kAliceHash + "\"\n} }\n",
       3, "bearer_token names user 'mallory', which the users table does not declare"},
      {"one token hash for two users",
       "user { userid: \"alice\" }\nuser { userid: \"bob\" }\nauthentication {\n  bearer_token { "
       "userid: \"alice\" sha256: \"" + kAliceHash + "\" }\n  bearer_token { userid: \"bob\"\n    "
       "sha256: \"" + kAliceHash + "\" }\n}\n",
       6, "this bearer token hash is already configured at line 4 (for user 'alice'): one "
          "secret is never reused for two purposes"},
      {"ticket key that is also a bearer token",
       "user { userid: \"alice\" }\nauthentication {\n  bearer_token { userid: \"alice\" sha256: "
       "\"" + Sha256Hex(kKeyHex) + "\" }\n  tickets {\n    hmac_key_hex: \"" + kKeyHex +
           "\"\n  }\n}\n",
       4, "the ticket signing key is also configured as the bearer token of user 'alice' (line "
          "3): one secret is never reused for two purposes"},
      {"ticket key equal to a bearer token hash",
       "user { userid: \"alice\" }\nauthentication {\n  bearer_token { userid: \"alice\" sha256: "
       "\"" + kAliceHash + "\" }\n  tickets { hmac_key_hex: \"" + kAliceHash + "\" }\n}\n",
       4, "the ticket signing key equals the bearer token hash of user 'alice' (line 3)"},
      {"ticket key too short",
       "authentication { tickets {\n  hmac_key_hex: \"00112233445566778899aabbccddeeff\"\n} }\n",
       2, "tickets.hmac_key_hex is too short: 16 bytes; a ticket key needs at least 32 bytes"},
      {"ticket key not hex",
       "authentication { tickets {\n  hmac_key_hex: \"not-hex-at-all\"\n} }\n", 2,
       "tickets.hmac_key_hex must be lower-case hex digits"},
      {"ticket key both hex and file",
       std::string("authentication { tickets {\n  hmac_key_hex: \"") + kKeyHex +
           "\"\n  hmac_key_file: \"ticket.key\"\n} }\n",
       3, "tickets gives both hmac_key_hex and hmac_key_file: give exactly one"},
      {"ticket key missing", "authentication {\n  tickets { max_lifetime_seconds: 60 }\n}\n", 2,
       "tickets has no key"},
      {"ticket key file unreadable",
       "authentication { tickets {\n  hmac_key_file: \"/nonexistent/orb/ticket.key\"\n} }\n", 2,
       "cannot read tickets.hmac_key_file '/nonexistent/orb/ticket.key': No such file or "
       "directory"},
      {"ticket lifetime out of range",
       std::string("authentication { tickets { hmac_key_hex: \"") + kKeyHex +
           "\"\n  max_lifetime_seconds: 40000000\n} }\n",
       2, "tickets.max_lifetime_seconds 40000000 is out of range"},
      {"mtls map duplicates",
       "user { userid: \"alice\" }\nauthentication { mtls {\n  map { certificate_name: \"laptop\" "
       "userid: \"alice\" }\n  map { certificate_name: \"laptop\"\n    userid: \"alice\" }\n} }\n",
       4, "certificate_name 'laptop' is already mapped at line 3"},
      {"mtls map to an undeclared user",
       "authentication { mtls {\n  map { certificate_name: \"laptop\"\n    userid: \"alice\" }\n} "
       "}\n",
       3, "mtls.map names user 'alice', which the users table does not declare"},
      {"mtls source out of range", "authentication { mtls {\n  userid_from: 9\n} }\n", 2,
       "mtls.userid_from 9 is not valid"},
      {"max_value_depth above 64", "limits {\n  max_handles_per_session: 5\n  max_value_depth: "
                                   "65\n}\n",
       3, "limits.max_value_depth 65 is out of range: write 1..64, or 0 for the default"},
      {"max_message_bytes too small", "limits {\n  max_message_bytes: 10\n}\n", 2,
       "limits.max_message_bytes 10 is out of range"},
      {"max_member_calls_per_identity above a million",
       "limits {\n  session_ttl_seconds: 60\n  max_member_calls_per_identity: 1000001\n}\n", 3,
       "limits.max_member_calls_per_identity 1000001 is out of range: write 1..1000000, or 0 "
       "for the default"},
      {"default_permission reserved", "\ndefault_permission: \"ALL_PERMISSIONS\"\n", 2,
       "'ALL_PERMISSIONS' is reserved and cannot be used as a permission name in "
       "default_permission"},
  };
}

TEST(PolicyLoader, EveryBrokenPolicyReportsItsMessageAndLine) {
  const std::vector<Broken> cases = BrokenPolicies();
  ASSERT_GE(cases.size(), 25u);
  for (const Broken& c : cases) {
    SCOPED_TRACE(c.label);
    LoadResult result = CompilePolicyText(c.text, "broken.textproto", "/nonexistent");
    EXPECT_EQ(result.policy, nullptr);
    EXPECT_EQ(static_cast<int>(result.errors.size()), c.count) << Errors(result);
    bool found = false;
    for (const PolicyError& error : result.errors) {
      EXPECT_EQ(error.file, "broken.textproto");
      if (error.line == c.line && absl::StrContains(error.message, c.message)) found = true;
    }
    EXPECT_TRUE(found) << "expected line " << c.line << ": " << c.message << "\ngot:\n"
                       << Errors(result);
  }
}

TEST(PolicyLoader, CollectsEveryErrorInFileOrder) {
  const std::string text = R"pb(
user { userid: "" }
type { name: "t" acl { ace { principal: "bob" permission: "view" } } }
path_acl { path: "nope" acl {} }
limits { max_value_depth: 100 }
)pb";
  LoadResult result = CompilePolicyText(text, "p.textproto");
  ASSERT_EQ(result.errors.size(), 4u) << Errors(result);
  EXPECT_EQ(result.errors[0].line, 2);
  EXPECT_EQ(result.errors[1].line, 3);
  EXPECT_EQ(result.errors[2].line, 4);
  EXPECT_EQ(result.errors[3].line, 5);
  EXPECT_THAT(result.errors[1].ToString(), HasSubstr("p.textproto:3: ACE has no action"));
}

TEST(PolicyError, ToStringWithAndWithoutLine) {
  EXPECT_EQ((PolicyError{"f.textproto", 7, "bad"}).ToString(), "f.textproto:7: bad");
  EXPECT_EQ((PolicyError{"f.textproto", 0, "bad"}).ToString(), "f.textproto: bad");
}

TEST(PolicyLoader, ErrorsNeverContainSecrets) {
  const std::string short_key = "00112233445566778899aabbccddeeff";
  const std::vector<std::string> texts = {
      "user { userid: \"alice\" }\nauthentication { bearer_token { userid: \"alice\" sha256: "
      "\"alice-demo-token\" } }",
      "user { userid: \"alice\" }\nauthentication { bearer_token { userid: \"alice\" sha256: \"" +
          absl::AsciiStrToUpper(kAliceHash) + "\" } }",
      "user { userid: \"a\" }\nuser { userid: \"b\" }\nauthentication { bearer_token { userid: "
      "\"a\" sha256: \"" + kAliceHash + "\" } bearer_token { userid: \"b\" sha256: \"" +
          kAliceHash + "\" } }",
      "user { userid: \"a\" }\nauthentication { bearer_token { userid: \"a\" sha256: \"" +
          Sha256Hex(kKeyHex) + "\" } tickets { hmac_key_hex: \"" + kKeyHex + "\" } }",
      "authentication { tickets { hmac_key_hex: \"" + short_key + "\" } }",
      "authentication { tickets { hmac_key_hex: \"" + std::string(kKeyHex) + "X\" } }",
      "authentication { bearer_token { userid: \"x\" sha256: \"" + kBobHash + "\" } }",
      // Typos that put the secret where messages quote the text: a missing
      // colon (a syntax error quotes the token) and a value glued to its
      // field name (an unknown field is quoted).
      "authentication { tickets { hmac_key_hex \"" + std::string(kKeyHex) + "\" } }",
      "authentication { bearer_token { userid: \"x\" sha256" + kBobHash + " } }",
  };
  const std::vector<std::string> secrets = {"alice-demo-token", kAliceHash,
                                            absl::AsciiStrToUpper(kAliceHash),
                                            kBobHash,
                                            kKeyHex,
                                            Sha256Hex(kKeyHex),
                                            short_key};
  for (const std::string& text : texts) {
    LoadResult result = CompilePolicyText(text, "s.textproto");
    ASSERT_FALSE(result.errors.empty()) << text;
    for (const PolicyError& error : result.errors) {
      for (const std::string& secret : secrets) {
        EXPECT_THAT(error.ToString(), Not(HasSubstr(secret)));
      }
    }
  }
}

TEST(PolicyLoader, AclsKeepOrderAndForms) {
  PolicyPtr policy = CompileOk(R"pb(
    type {
      name: "demo.Blog"
      acl {
        ace { action: ALLOW principal: "system.Everyone" permission: "view" }
        ace { action: ALLOW principal: "group:editors" permissions: [ "add", "edit" ] }
        ace { action: DENY principal: "bob" permissions_empty: true }
        ace { action: ALLOW principal: "admin" all_permissions: true }
        ace { deny_all: true }
      }
    }
  )pb");
  ASSERT_NE(policy, nullptr);
  const TypeRules* rules = policy->FindType("demo.Blog");
  ASSERT_NE(rules, nullptr);
  EXPECT_EQ(rules->name, "demo.Blog");
  EXPECT_EQ(rules->olp, nullptr);
  ASSERT_NE(rules->acl, nullptr);
  const std::vector<AceSpec>& aces = rules->acl->aces();
  ASSERT_EQ(aces.size(), 5u);
  EXPECT_EQ(aces[0].action, AceAction::kAllow);
  EXPECT_EQ(aces[0].principal, "system.Everyone");
  EXPECT_EQ(aces[0].form, PermissionForm::kString);
  EXPECT_THAT(aces[0].permissions, ElementsAre("view"));
  EXPECT_EQ(aces[1].form, PermissionForm::kList);
  EXPECT_THAT(aces[1].permissions, ElementsAre("add", "edit"));
  EXPECT_EQ(aces[2].action, AceAction::kDeny);
  EXPECT_EQ(aces[2].form, PermissionForm::kList);
  EXPECT_THAT(aces[2].permissions, IsEmpty());
  EXPECT_EQ(aces[3].form, PermissionForm::kAllPermissions);
  EXPECT_EQ(aces[4].action, AceAction::kDeny);
  EXPECT_EQ(aces[4].principal, "system.Everyone");
  EXPECT_EQ(aces[4].form, PermissionForm::kAllPermissions);
  EXPECT_EQ(rules->acl->repr(),
            "[('Allow', 'system.Everyone', 'view'), ('Allow', 'group:editors', ('add', 'edit')), "
            "('Deny', 'bob', ()), ('Allow', 'admin', ALL_PERMISSIONS), ('Deny', "
            "'system.Everyone', ALL_PERMISSIONS)]");
  EXPECT_EQ(policy->FindType("demo.Entry"), nullptr);
}

TEST(PolicyLoader, EmptyAclIsKeptDistinctFromAbsent) {
  PolicyPtr policy = CompileOk(R"pb(
    type { name: "a" acl {} }
    path_acl { path: "/x" acl {} }
  )pb");
  ASSERT_NE(policy, nullptr);
  ASSERT_NE(policy->FindType("a")->acl, nullptr);
  EXPECT_TRUE(policy->FindType("a")->acl->empty());
  ASSERT_NE(policy->FindPathAcl("/x"), nullptr);
  EXPECT_TRUE(policy->FindPathAcl("/x")->empty());
  EXPECT_EQ(policy->FindPathAcl("/y"), nullptr);
}

TEST(PolicyLoader, PathAcls) {
  PolicyPtr policy = CompileOk(R"pb(
    path_acl {
      path: "/"
      acl { ace { action: ALLOW principal: "system.Everyone" permission: "view" } }
    }
    path_acl {
      path: "/blog/entry-1"
      acl {
        ace { action: ALLOW principal: "alice" permission: "edit" }
        ace { deny_all: true }
      }
    }
  )pb");
  ASSERT_NE(policy, nullptr);
  ASSERT_NE(policy->FindPathAcl("/"), nullptr);
  EXPECT_EQ(policy->FindPathAcl("/")->size(), 1u);
  AclPtr entry = policy->FindPathAcl("/blog/entry-1");
  ASSERT_NE(entry, nullptr);
  ASSERT_EQ(entry->size(), 2u);
  EXPECT_EQ(entry->aces()[0].principal, "alice");
  EXPECT_EQ(policy->FindPathAcl("/blog"), nullptr);
  EXPECT_EQ(policy->FindPathAcl("/blog/entry-1/"), nullptr);
}

std::string LockOf(const Olp& olp, View view, Op op, const std::string& name) {
  const OlpTable& table = OlpPeer::Table(olp, view, op);
  auto it = table.find(name);
  return it == table.end() ? "<absent>" : it->second.ToString();
}

TEST(PolicyLoader, OlpEntriesWithDefaultPermissionAndLocks) {
  PolicyPtr policy = CompileOk(R"pb(
    default_permission: "view"
    type {
      name: "demo.Blog"
      olp {
        instance {
          getattr { name: "title" }
          getattr { name: "entries" permission: "list" }
          getattr { name: "_secret" lock { blocked: true } }
          getattr { name: "*" lock { no_permission_required: true } }
          setattr { name: "title" permission: "edit" }
          delattr { name: "&" lock { blocked: true } }
          call {
            name: "add_entry"
            lock {
              any_of {
                lock { permission: "add" }
                lock { all_of { lock { permission: "edit" } lock { permission: "admin" } } }
              }
            }
          }
          call { name: "ping" lock { all_of {} } }
        }
        cls { call { name: "create" permission: "create" } }
      }
    }
  )pb");
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->default_permission(), "view");
  const TypeRules* rules = policy->FindType("demo.Blog");
  ASSERT_NE(rules, nullptr);
  EXPECT_EQ(rules->acl, nullptr);
  ASSERT_NE(rules->olp, nullptr);
  const Olp& olp = *rules->olp;
  EXPECT_EQ(LockOf(olp, View::kInstance, Op::kGetAttr, "title"), "view");
  EXPECT_EQ(LockOf(olp, View::kInstance, Op::kGetAttr, "entries"), "list");
  EXPECT_EQ(LockOf(olp, View::kInstance, Op::kGetAttr, "_secret"), "BLOCKED");
  EXPECT_EQ(LockOf(olp, View::kInstance, Op::kGetAttr, "*"), "NO_PERMISSION_REQUIRED");
  EXPECT_EQ(LockOf(olp, View::kInstance, Op::kSetAttr, "title"), "edit");
  EXPECT_EQ(LockOf(olp, View::kInstance, Op::kDelAttr, "&"), "BLOCKED");
  EXPECT_EQ(LockOf(olp, View::kInstance, Op::kCall, "add_entry"), "[add | [edit & admin]]");
  EXPECT_EQ(OlpPeer::Table(olp, View::kInstance, Op::kCall).at("ping").kind(),
            Lock::Kind::kAllOf);
  EXPECT_EQ(LockOf(olp, View::kClass, Op::kCall, "create"), "create");
  EXPECT_EQ(LockOf(olp, View::kClass, Op::kGetAttr, "title"), "<absent>");
  EXPECT_TRUE(olp.Exposes(View::kInstance, Op::kGetAttr, "anything"));
  EXPECT_FALSE(olp.Exposes(View::kInstance, Op::kGetAttr, "_secret"));
  EXPECT_FALSE(olp.Exposes(View::kInstance, Op::kGetAttr, "_other"));
  EXPECT_FALSE(olp.Exposes(View::kClass, Op::kGetAttr, "title"));
}

TEST(PolicyLoader, InheritIsResolvedInAnyDeclarationOrder) {
  // The child comes first in the file; its base is compiled first anyway.
  PolicyPtr policy = CompileOk(R"pb(
    type {
      name: "demo.Special"
      olp {
        inherit: "demo.Entry"
        instance {
          getattr { name: "body" permission: "read_special" }
          getattr { name: "extra" permission: "view" }
          getattr { name: "&" permission: "special" }
        }
      }
    }
    type {
      name: "demo.Entry"
      olp {
        inherit: "demo.Base"
        instance {
          getattr { name: "title" permission: "view" }
          getattr { name: "body" permission: "view" }
          getattr { name: "&" permission: "entry" }
        }
      }
    }
    type {
      name: "demo.Base"
      olp { instance { getattr { name: "id" permission: "view" } } }
    }
  )pb");
  ASSERT_NE(policy, nullptr);
  const Olp& special = *policy->FindType("demo.Special")->olp;
  EXPECT_EQ(LockOf(special, View::kInstance, Op::kGetAttr, "id"), "view");
  EXPECT_EQ(LockOf(special, View::kInstance, Op::kGetAttr, "title"), "view");
  EXPECT_EQ(LockOf(special, View::kInstance, Op::kGetAttr, "body"), "read_special");
  EXPECT_EQ(LockOf(special, View::kInstance, Op::kGetAttr, "extra"), "view");
  EXPECT_EQ(LockOf(special, View::kInstance, Op::kGetAttr, "&"), "[entry & special]");
  const Olp& entry = *policy->FindType("demo.Entry")->olp;
  EXPECT_EQ(LockOf(entry, View::kInstance, Op::kGetAttr, "body"), "view");
  EXPECT_EQ(LockOf(entry, View::kInstance, Op::kGetAttr, "extra"), "<absent>");
}

TEST(PolicyLoader, NoPermissionRequiredAndDebugFlag) {
  PolicyPtr policy = CompileOk(R"pb(
    debug_authorization: true
    type {
      name: "t"
      olp { instance { call { name: "ping" lock { no_permission_required: true } } } }
    }
  )pb");
  ASSERT_NE(policy, nullptr);
  EXPECT_TRUE(policy->debug_authorization());
  EXPECT_EQ(policy->default_permission(), "");
  EXPECT_EQ(OlpPeer::Table(*policy->FindType("t")->olp, View::kInstance, Op::kCall)
                .at("ping")
                .kind(),
            Lock::Kind::kNoPermissionRequired);
}

TEST(PolicyLoader, LimitsDefaultsAndOverrides) {
  PolicyPtr defaults = CompileOk("");
  ASSERT_NE(defaults, nullptr);
  EXPECT_EQ(defaults->limits().max_handles_per_session, 10000u);
  EXPECT_EQ(defaults->limits().max_sessions_per_identity, 64u);
  EXPECT_EQ(defaults->limits().max_value_depth, 64u);
  EXPECT_EQ(defaults->limits().max_value_elements, 100000u);
  EXPECT_EQ(defaults->limits().max_message_bytes, 4u * 1024 * 1024);
  EXPECT_EQ(defaults->limits().session_ttl_seconds, 300u);
  EXPECT_EQ(defaults->limits().max_member_calls_per_identity, 64u);
  EXPECT_FALSE(defaults->debug_authorization());
  EXPECT_FALSE(defaults->authenticator().allow_anonymous());

  PolicyPtr custom = CompileOk(R"pb(
    limits { max_value_depth: 8 max_message_bytes: 65536 session_ttl_seconds: 60 }
  )pb");
  ASSERT_NE(custom, nullptr);
  EXPECT_EQ(custom->limits().max_value_depth, 8u);
  EXPECT_EQ(custom->limits().max_message_bytes, 65536u);
  EXPECT_EQ(custom->limits().session_ttl_seconds, 60u);
  EXPECT_EQ(custom->limits().max_handles_per_session, 10000u);
  EXPECT_EQ(custom->limits().max_member_calls_per_identity, 64u);
}

TEST(PolicyLoader, MaxMemberCallsPerIdentityIsReadAndZeroKeepsTheDefault) {
  PolicyPtr two = CompileOk("limits { max_member_calls_per_identity: 2 }");
  ASSERT_NE(two, nullptr);
  EXPECT_EQ(two->limits().max_member_calls_per_identity, 2u);
  PolicyPtr most = CompileOk("limits { max_member_calls_per_identity: 1000000 }");
  ASSERT_NE(most, nullptr);
  EXPECT_EQ(most->limits().max_member_calls_per_identity, 1000000u);
  PolicyPtr zero = CompileOk("limits { max_member_calls_per_identity: 0 }");
  ASSERT_NE(zero, nullptr);
  EXPECT_EQ(zero->limits().max_member_calls_per_identity, 64u);
}

TEST(PolicyLoader, AuthenticatorComesFromThePolicy) {
  const std::string text = "authentication {\n  allow_anonymous: true\n  bearer_token { userid: "
                           "\"alice\" sha256: \"" + kAliceHash +
                           "\" }\n  tickets { hmac_key_hex: \"" + kKeyHex +
                           "\" }\n}\nuser { userid: \"alice\" group: \"group:editors\" }\n";
  PolicyPtr policy = CompileOk(text);
  ASSERT_NE(policy, nullptr);
  EXPECT_TRUE(policy->authenticator().allow_anonymous());
  CallCredentials credentials;
  credentials.authorization = "Bearer alice-demo-token";
  auto identity = policy->authenticator().Authenticate(credentials, absl::Now());
  ASSERT_THAT(identity, IsOk());
  EXPECT_EQ(identity->userid, "alice");
  EXPECT_THAT(identity->groups, ElementsAre("group:editors"));
  std::string key;
  ASSERT_TRUE(DecodeLowerHex(kKeyHex, &key));
  credentials.authorization =
      "Ticket " + MintTicket(key, "alice", absl::Now() + absl::Minutes(5));
  EXPECT_THAT(policy->authenticator().Authenticate(credentials, absl::Now()), IsOk());
  EXPECT_EQ(policy->source().user(0).userid(), "alice");
  EXPECT_EQ(policy->file(), "good.textproto");
}

TEST(PolicyLoader, TicketKeyFileIsRelativeToThePolicy) {
  const std::string dir = orb::testing::MakeTempDir();
  {
    std::ofstream key(dir + "/ticket.key");
    key << kKeyHex << "\n";
  }
  {
    std::ofstream policy(dir + "/policy.textproto");
    policy << "authentication { tickets { hmac_key_file: \"ticket.key\" } }\n";
  }
  auto policy = LoadPolicyFile(dir + "/policy.textproto");
  ASSERT_THAT(policy, IsOk());
  std::string key;
  ASSERT_TRUE(DecodeLowerHex(kKeyHex, &key));
  CallCredentials credentials;
  credentials.authorization = "Ticket " + MintTicket(key, "carol", absl::Now() + absl::Hours(1));
  auto identity = (*policy)->authenticator().Authenticate(credentials, absl::Now());
  ASSERT_THAT(identity, IsOk());
  EXPECT_EQ(identity->userid, "carol");
  // The source stays as written: the key itself is not copied into it.
  EXPECT_EQ((*policy)->source().authentication().tickets().hmac_key_hex(), "");

  {
    std::ofstream bad(dir + "/bad.key");
    bad << "this is not hex\n";
  }
  LoadResult result = CompilePolicyText(
      "authentication {\n  tickets { hmac_key_file: \"bad.key\" }\n}\n", "p.textproto", dir);
  ASSERT_EQ(result.errors.size(), 1u) << Errors(result);
  EXPECT_EQ(result.errors[0].line, 2);
  EXPECT_THAT(result.errors[0].message, HasSubstr("must hold the key as lower-case hex digits"));
  EXPECT_THAT(result.errors[0].message, Not(HasSubstr("this is not hex")));

  {
    std::ofstream short_key(dir + "/short.key");
    short_key << "abcdef\n";
  }
  result = CompilePolicyText("authentication { tickets { hmac_key_file: \"short.key\" } }",
                             "p.textproto", dir);
  ASSERT_EQ(result.errors.size(), 1u) << Errors(result);
  EXPECT_THAT(result.errors[0].message, HasSubstr("is too short: 3 bytes"));
  orb::testing::RunCommand("rm -rf '" + dir + "'");
}

TEST(LoadPolicyFile, MissingFileIsNotFound) {
  EXPECT_THAT(LoadPolicyFile("/nonexistent/policy.textproto"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("cannot read policy file '/nonexistent/policy.textproto'")));
  EXPECT_THAT(LoadPolicyFile("/tmp"), StatusIs(absl::StatusCode::kNotFound,
                                               HasSubstr("is a directory")));
}

TEST(LoadPolicyFile, ErrorsAreListedOnePerLine) {
  const std::string dir = orb::testing::MakeTempDir();
  const std::string path = dir + "/p.textproto";
  {
    std::ofstream out(path);
    out << "user { userid: \"\" }\nlimits { max_value_depth: 65 }\n";
  }
  auto policy = LoadPolicyFile(path);
  EXPECT_THAT(policy, StatusIs(absl::StatusCode::kInvalidArgument,
                               AllOf(HasSubstr(path + ":1: user has an empty userid"),
                                     HasSubstr("\n" + path + ":2: limits.max_value_depth"))));
  orb::testing::RunCommand("rm -rf '" + dir + "'");
}

TEST(AceSpecsFromProto, ConvertsAndValidates) {
  orb::v1::Acl acl;
  auto* allow = acl.add_ace();
  allow->set_action(orb::v1::Ace::ALLOW);
  allow->set_principal("bob");
  allow->set_permission("view");
  acl.add_ace()->set_deny_all(true);
  auto specs = AceSpecsFromProto(acl);
  ASSERT_THAT(specs, IsOk());
  ASSERT_EQ(specs->size(), 2u);
  EXPECT_EQ((*specs)[0].form, PermissionForm::kString);
  EXPECT_EQ((*specs)[1].principal, "system.Everyone");

  auto* bad = acl.add_ace();
  bad->set_principal("bob");
  auto* reserved = acl.add_ace();
  reserved->set_action(orb::v1::Ace::ALLOW);
  reserved->set_principal("bob");
  reserved->add_permissions("ALL_PERMISSIONS");
  EXPECT_THAT(AceSpecsFromProto(acl),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("ace 2: ACE has no action"),
                             HasSubstr("ace 2: ACE names no permission"),
                             HasSubstr("ace 3: 'ALL_PERMISSIONS' is reserved"))));
}

}  // namespace
}  // namespace orb::policy
