// The blog demo end to end through BrokerCore: the whole permission matrix,
// class vs instance views, and the names nobody reaches.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "orb/demo/blog.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/broker_fixture.h"
#include "tests/testing/test_support.h"

namespace orb::testing {

using orb::broker::TypeRegistry;
using orb::broker::kErrorInfoTypeUrl;
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

enum class Who { kAnonymous, kBob, kAlice };
enum class Target { kBlog, kBobsEntry, kAlicesEntry };
enum class Kind { kGet, kSet, kDel, kCall };

policy::Identity IdentityOf(Who who) {
  switch (who) {
    case Who::kAnonymous:
      return Anonymous();
    case Who::kBob:
      return Bob();
    case Who::kAlice:
      return Alice();
  }
  return Anonymous();
}

std::string WhoName(Who who) {
  return who == Who::kAnonymous ? "anonymous" : who == Who::kBob ? "bob" : "alice";
}
std::string TargetName(Target t) {
  return t == Target::kBlog ? "blog" : t == Target::kBobsEntry ? "bob's entry" : "alice's entry";
}

struct Row {
  Who who;
  Target target;
  Kind kind;
  std::string name;
  absl::StatusCode expected;
};

constexpr auto kOk = absl::StatusCode::kOk;
constexpr auto kDenied = absl::StatusCode::kPermissionDenied;

std::vector<Row> Matrix() {
  std::vector<Row> rows;
  for (Who who : {Who::kAnonymous, Who::kBob, Who::kAlice}) {
    const bool authenticated = who != Who::kAnonymous;
    const bool editor = who == Who::kAlice;
    // The blog.
    for (const char* name : {"title", "entry_count", "Entry"}) {
      rows.push_back({who, Target::kBlog, Kind::kGet, name, kOk});
    }
    rows.push_back({who, Target::kBlog, Kind::kSet, "title", editor ? kOk : kDenied});
    rows.push_back({who, Target::kBlog, Kind::kCall, "add_entry", authenticated ? kOk : kDenied});
    rows.push_back({who, Target::kBlog, Kind::kCall, "entries", kOk});
    rows.push_back({who, Target::kBlog, Kind::kCall, "entry", kOk});
    // Entries: everyone reads; the owner and editors write and delete.
    for (Target t : {Target::kBobsEntry, Target::kAlicesEntry}) {
      const bool owner = (t == Target::kBobsEntry && who == Who::kBob) ||
                         (t == Target::kAlicesEntry && who == Who::kAlice);
      const auto write = owner || editor ? kOk : kDenied;
      for (const char* name : {"title", "body", "owner"}) rows.push_back({who, t, Kind::kGet, name, kOk});
      rows.push_back({who, t, Kind::kSet, "title", write});
      rows.push_back({who, t, Kind::kSet, "body", write});
      rows.push_back({who, t, Kind::kDel, "body", write});
      rows.push_back({who, t, Kind::kCall, "delete", write});
    }
  }
  return rows;
}

TEST(DemoBlog, PermissionMatrix) {
  for (const Row& row : Matrix()) {
    SCOPED_TRACE(absl::StrCat(WhoName(row.who), " on ", TargetName(row.target), ": ",
                              static_cast<int>(row.kind), " '", row.name, "'"));
    Harness h;
    Client bob(h, Bob());
    bob.Open();
    ASSERT_TRUE(bob.Call(bob.root(), "add_entry", {Str("Bob's post"), Str("hello")}).ok());
    Client alice(h, Alice());
    alice.Open();
    ASSERT_TRUE(alice.Call(alice.root(), "add_entry", {Str("Alice's post"), Str("hi")}).ok());

    Client c(h, IdentityOf(row.who));
    c.Open();
    absl::StatusOr<v1::Value> entries = c.Call(c.root(), "entries");
    ASSERT_TRUE(entries.ok()) << entries.status();
    ASSERT_EQ(entries->list_value().values_size(), 2);
    v1::HandleRef target = c.root();
    if (row.target == Target::kBobsEntry) target = entries->list_value().values(0).handle();
    if (row.target == Target::kAlicesEntry) target = entries->list_value().values(1).handle();

    absl::Status status;
    switch (row.kind) {
      case Kind::kGet:
        status = c.Get(target, row.name).status();
        break;
      case Kind::kSet:
        status = c.Set(target, row.name, Str("changed"));
        break;
      case Kind::kDel:
        status = c.Del(target, row.name);
        break;
      case Kind::kCall: {
        std::vector<v1::Value> args;
        if (row.name == "add_entry") args = {Str("t"), Str("b")};
        if (row.name == "entry") args = {Str("entry-1")};
        status = c.Call(target, row.name, args).status();
        break;
      }
    }
    EXPECT_EQ(status.code(), row.expected) << status;
    if (row.expected == kDenied) {
      EXPECT_EQ(Reason(status), "ACL_DENIED");
    }
  }
}

TEST(DemoBlog, AddEntryIsOwnedByTheCallerAndChildOfTheBlog) {
  Harness h;
  Client bob(h, Bob());
  bob.Open();
  v1::HandleRef entry = bob.CallForHandle(bob.root(), "add_entry", {Str("T"), Str("B")});
  EXPECT_EQ(entry.type_name(), "demo.Entry");
  EXPECT_FALSE(entry.is_class());
  EXPECT_EQ(bob.Get(entry, "owner")->string_value(), "bob");
  EXPECT_EQ(bob.Get(entry, "title")->string_value(), "T");
  EXPECT_EQ(bob.Get(bob.root(), "entry_count")->int_value(), 1);
  auto found = bob.Call(bob.root(), "entry", {Str("entry-1")});
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->handle().id(), entry.id()) << "the same object is the same handle";
  ASSERT_EQ(h.blog()->Entries().size(), 1u);
  EXPECT_EQ(h.blog()->Entries()[0]->parent(), h.blog());
}

TEST(DemoBlog, AnonymousCannotAddAndIsToldWhichPermission) {
  Harness h;
  Client anon(h, Anonymous());
  anon.Open();
  absl::Status s = anon.Call(anon.root(), "add_entry", {Str("t"), Str("b")}).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kPermissionDenied,
                          HasSubstr("call 'add_entry' on 'demo.Blog' object needs permission 'add'")));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("ACE"))) << "no ACL internals without debug";
  EXPECT_EQ(h.blog()->entry_count(), 0);
}

TEST(DemoBlog, DeleteRemovesTheEntryOnce) {
  Harness h;
  Client bob(h, Bob());
  bob.Open();
  v1::HandleRef entry = bob.CallForHandle(bob.root(), "add_entry", {Str("T"), Str("B")});
  EXPECT_TRUE(bob.Call(entry, "delete").ok());
  EXPECT_EQ(bob.Get(bob.root(), "entry_count")->int_value(), 0);
  absl::Status again = bob.Call(entry, "delete").status();
  EXPECT_THAT(again, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Reason(again), "METHOD_ERROR");
}

TEST(DemoBlog, DelattrBodyThenReadsNull) {
  Harness h;
  Client bob(h, Bob());
  bob.Open();
  v1::HandleRef entry = bob.CallForHandle(bob.root(), "add_entry", {Str("T"), Str("B")});
  ASSERT_TRUE(bob.Del(entry, "body").ok());
  EXPECT_EQ(bob.Get(entry, "body")->kind_case(), v1::Value::kNullValue);
  ASSERT_TRUE(bob.Set(entry, "body", Str("new")).ok());
  EXPECT_EQ(bob.Get(entry, "body")->string_value(), "new");
}

TEST(DemoBlog, TitleTooLongIsTheMethodsInvalidArgument) {
  Harness h;
  Client alice(h, Alice());
  alice.Open();
  absl::Status s = alice.Set(alice.root(), "title", Str(std::string(201, 'x')));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most 200")));
  EXPECT_EQ(Reason(s), "METHOD_ERROR");
  EXPECT_EQ(alice.Get(alice.root(), "title")->string_value(), "Pyramid blog");
}

TEST(DemoBlog, ClassHandleReachesOnlyTheClassView) {
  Harness h;
  Client bob(h, Bob());
  bob.Open();
  v1::HandleRef cls = bob.GetHandle(bob.root(), "Entry");
  EXPECT_TRUE(cls.is_class());
  EXPECT_EQ(cls.type_name(), "demo.Entry");
  EXPECT_EQ(bob.Get(cls, "max_title_length")->int_value(), demo::kMaxTitleLength);
  // delete exists on instances only: through the class it is not there.
  EXPECT_THAT(bob.Call(cls, "delete").status(),
              StatusIs(absl::StatusCode::kNotFound,
                       "type object 'demo.Entry' has no attribute 'delete'"));
  EXPECT_THAT(bob.Get(cls, "title").status(), StatusIs(absl::StatusCode::kNotFound));
  // And the class attribute is not on instances.
  v1::HandleRef entry = bob.CallForHandle(bob.root(), "add_entry", {Str("T"), Str("B")});
  EXPECT_THAT(bob.Get(entry, "max_title_length").status(),
              StatusIs(absl::StatusCode::kNotFound,
                       "'demo.Entry' object has no attribute 'max_title_length'"));
  // Reading the class twice yields the same class handle.
  EXPECT_EQ(bob.GetHandle(bob.root(), "Entry").id(), cls.id());
}

TEST(DemoBlog, ClassHandleInheritsTheBlogsAcl) {
  // The class node has no ACL; the blog's ACL above it decides. A path ACL
  // on the root that denies view to everyone closes the class view too.
  Harness h(absl::StrCat(kBasePolicy, R"pb(
    path_acl { path: "/" acl { ace { deny_all: true } } }
  )pb"));
  Client bob(h, Bob());
  bob.Open();
  EXPECT_THAT(bob.Get(bob.root(), "Entry").status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

// `_secret` (bound but never in an OLP), a missing name and a name the
// policy hides answer byte for byte alike (apart from the name itself).
TEST(DemoBlog, SecretMissingAndHiddenAreIndistinguishable) {
  Harness h(absl::StrCat(kBasePolicy, R"pb(
    type {
      name: "demo.Blog"
      olp { instance { getattr { name: "*" permission: "view" } } }
    }
  )pb"));
  Client alice(h, Alice());
  alice.Open();
  // The wildcard reaches bound names, but never one starting with "_".
  EXPECT_TRUE(alice.Get(alice.root(), "entry_count").ok());

  std::vector<absl::Status> answers;
  for (const std::string name : {"_secret", "no_such_member", "add_entry_x"}) {
    absl::Status s = alice.Get(alice.root(), name).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
    EXPECT_EQ(s.message(), absl::StrCat("'demo.Blog' object has no attribute '", name, "'"));
    answers.push_back(s);
  }
  // Hidden: bound, but this policy's OLP exposes nothing for setattr.
  absl::Status hidden = alice.Set(alice.root(), "title", Str("x"));
  absl::Status secret_set = alice.Set(alice.root(), "_secret", Str("x"));
  absl::Status missing_set = alice.Set(alice.root(), "nothing", Str("x"));
  EXPECT_EQ(hidden.message(), "'demo.Blog' object has no attribute 'title'");
  answers.push_back(hidden);
  answers.push_back(secret_set);
  answers.push_back(missing_set);
  for (const absl::Status& s : answers) {
    EXPECT_EQ(s.code(), answers[0].code());
    EXPECT_EQ(s.GetPayload(kErrorInfoTypeUrl), answers[0].GetPayload(kErrorInfoTypeUrl));
    EXPECT_EQ(Reason(s), "NAME_NOT_FOUND");
  }
  for (auto op : {0, 1, 2}) {
    absl::Status s = op == 0 ? alice.Del(alice.root(), "_secret")
                     : op == 1 ? alice.Call(alice.root(), "_secret").status()
                               : alice.Get(alice.root(), "_secret").status();
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound,
                            "'demo.Blog' object has no attribute '_secret'"));
  }
}

TEST(DemoBlog, PolicyOlpWinsOverTheCompiledIn) {
  Harness h(absl::StrCat(kBasePolicy, R"pb(
    type {
      name: "demo.Blog"
      olp { instance { getattr { name: "title" permission: "view" } } }
    }
  )pb"));
  Client anon(h, Anonymous());
  anon.Open();
  EXPECT_TRUE(anon.Get(anon.root(), "title").ok());
  absl::Status hidden = anon.Get(anon.root(), "entry_count").status();
  absl::Status missing = anon.Get(anon.root(), "entry_countx").status();
  EXPECT_THAT(hidden, StatusIs(absl::StatusCode::kNotFound,
                               "'demo.Blog' object has no attribute 'entry_count'"));
  EXPECT_EQ(hidden.GetPayload(kErrorInfoTypeUrl), missing.GetPayload(kErrorInfoTypeUrl));
}

TEST(DemoBlog, PolicyTypeAclReplacesTheCompiledIn) {
  Harness h(absl::StrCat(kBasePolicy, R"pb(
    type {
      name: "demo.Blog"
      acl { ace { action: ALLOW principal: "bob" permission: "edit" } ace { deny_all: true } }
    }
  )pb"));
  Client bob(h, Bob());
  bob.Open();
  EXPECT_TRUE(bob.Set(bob.root(), "title", Str("Bob's blog now")).ok());
  Client anon(h, Anonymous());
  anon.Open();
  EXPECT_THAT(anon.Get(anon.root(), "title").status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(DemoBlog, PathAclOnAnEntryWinsOverItsDynamicAcl) {
  Harness h(absl::StrCat(kBasePolicy, R"pb(
    path_acl { path: "/entry-1" acl { ace { deny_all: true } } }
  )pb"));
  Client bob(h, Bob());
  bob.Open();
  v1::HandleRef first = bob.CallForHandle(bob.root(), "add_entry", {Str("1"), Str("b")});
  v1::HandleRef second = bob.CallForHandle(bob.root(), "add_entry", {Str("2"), Str("b")});
  EXPECT_THAT(bob.Get(first, "title").status(), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_TRUE(bob.Set(second, "title", Str("mine")).ok());
}

TEST(DemoBlog, DescribeReportsLocksAndWhatTheCallerHolds) {
  Harness h;
  Client bob(h, Bob());
  bob.Open();
  auto d = bob.Describe(bob.root());
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->type_name(), "demo.Blog");
  EXPECT_EQ(d->view(), "instance");
  EXPECT_FALSE(d->is_class());
  EXPECT_FALSE(d->restricted());
  std::vector<std::string> members;
  for (const auto& m : d->members()) {
    members.push_back(absl::StrCat(m.op(), " ", m.name(), " ", m.lock(), " ",
                                   m.allowed() ? "yes" : "no"));
  }
  EXPECT_THAT(members, Contains("getattr title view yes"));
  EXPECT_THAT(members, Contains("setattr title edit no"));
  EXPECT_THAT(members, Contains("call add_entry add yes"));
  EXPECT_THAT(members, Contains("getattr Entry view yes"));
  for (const std::string& m : members) {
    EXPECT_THAT(m, Not(HasSubstr("_secret")));
  }
  bool olp_has_title = false;
  for (const auto& e : d->olp()) {
    olp_has_title |= e.view() == "instance" && e.op() == "setattr" && e.name() == "title" &&
                     e.lock() == "edit";
  }
  EXPECT_TRUE(olp_has_title);

  v1::HandleRef cls = bob.GetHandle(bob.root(), "Entry");
  auto dc = bob.Describe(cls);
  ASSERT_TRUE(dc.ok());
  EXPECT_TRUE(dc->is_class());
  EXPECT_EQ(dc->view(), "class");
  ASSERT_EQ(dc->members_size(), 1);
  EXPECT_EQ(dc->members(0).name(), "max_title_length");
  EXPECT_TRUE(dc->members(0).allowed());
}

TEST(DemoBlog, DebugAuthorizationLogsTheDecision) {
  Harness h(absl::StrCat(kBasePolicy, "debug_authorization: true\n"));
  Client anon(h, Anonymous());
  anon.Open();
  absl::Status s = anon.Call(anon.root(), "add_entry", {Str("t"), Str("b")}).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("ACLDenied")));
  std::vector<std::string> lines = h.debug_lines();
  ASSERT_FALSE(lines.empty());
  EXPECT_THAT(lines.back(), HasSubstr("add_entry"));
  EXPECT_THAT(lines.back(), HasSubstr("ACLDenied"));
}

TEST(DemoBlog, RegisteringTwiceIsAlreadyExists) {
  TypeRegistry registry;
  ASSERT_TRUE(demo::RegisterBlogTypes(registry).ok());
  EXPECT_THAT(demo::RegisterBlogTypes(registry), StatusIs(absl::StatusCode::kAlreadyExists));
}

}  // namespace
}  // namespace orb::testing
