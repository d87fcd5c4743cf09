// Sessions, handles, leases, quotas, value limits, deadlines and Restrict,
// driven through BrokerCore with a fake clock.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orb/policy/symbols.h"
#include "tests/testing/broker_fixture.h"
#include "tests/testing/test_support.h"

namespace orb::testing {

using orb::broker::RequestContext;
using orb::broker::kErrorInfoTypeUrl;
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(Session, OpenReportsProtocolIdentityAndRoot) {
  Harness h;
  Client bob(h, Bob());
  bob.Open();
  const v1::OpenSessionResponse& r = bob.open_response();
  EXPECT_EQ(r.protocol(), "orb.v1");
  EXPECT_EQ(r.protocol_revision(), 4u);
  EXPECT_EQ(r.lease_seconds(), 60u);
  EXPECT_EQ(r.userid(), "bob");
  EXPECT_THAT(r.principals(), ElementsAre("system.Everyone", "system.Authenticated", "bob"));
  EXPECT_THAT(r.features(), ::testing::Contains("restrict"));
  EXPECT_EQ(r.root().type_name(), "demo.Blog");
  EXPECT_FALSE(r.root().is_class());
  EXPECT_THAT(r.session(), ::testing::MatchesRegex(r.route() + "~[0-9a-f]{8}\\.[0-9a-f]{32}"))
      << "broker id, incarnation, 128-bit secret";
  EXPECT_EQ(r.route(), h.core().broker_id());
  EXPECT_EQ(r.root().id().size(), 32u);
  EXPECT_EQ(h.core().session_count(), 1u);
  EXPECT_EQ(h.core().handle_count(), 1u);

  Client anon(h, Anonymous());
  anon.Open();
  EXPECT_EQ(anon.open_response().userid(), "");
  EXPECT_THAT(anon.open_response().principals(), ElementsAre("system.Everyone"));
  EXPECT_NE(anon.session(), bob.session());
  EXPECT_NE(anon.root().id(), bob.root().id()) << "handle ids are per session";
}

TEST(Session, AnotherIdentitysSessionIsNotFoundLikeAnUnknownOne) {
  Harness h;
  Client bob(h, Bob());
  bob.Open();
  Client mallory(h, User("mallory"));
  mallory.set_session(bob.session());
  absl::Status foreign = mallory.Get(bob.root(), "title").status();
  mallory.set_session("00000000000000000000000000000000");
  absl::Status unknown = mallory.Get(bob.root(), "title").status();
  EXPECT_THAT(foreign, StatusIs(absl::StatusCode::kNotFound, "session not found"));
  EXPECT_EQ(foreign.message(), unknown.message());
  EXPECT_EQ(foreign.GetPayload(kErrorInfoTypeUrl), unknown.GetPayload(kErrorInfoTypeUrl));
  EXPECT_EQ(Reason(foreign), "SESSION_NOT_FOUND");
  // Every other operation answers the same, and the session survives.
  mallory.set_session(bob.session());
  EXPECT_THAT(mallory.KeepAlive(), StatusIs(absl::StatusCode::kNotFound, "session not found"));
  EXPECT_THAT(mallory.List().status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(mallory.Release({bob.root().id()}).status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(mallory.Close().status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_TRUE(bob.Get(bob.root(), "title").ok());
  // The anonymous identity does not own an authenticated user's session.
  Client anon(h, Anonymous());
  anon.set_session(bob.session());
  EXPECT_THAT(anon.KeepAlive(), StatusIs(absl::StatusCode::kNotFound));
}

TEST(Handles, ForeignReleasedAndInventedHandlesAreNotFound) {
  Harness h;
  Client bob(h, Bob());
  bob.Open();
  Client bob2(h, Bob());
  bob2.Open();
  v1::HandleRef entry = bob.CallForHandle(bob.root(), "add_entry", {Str("t"), Str("b")});

  // bob2 is the same identity, but the handle belongs to bob's session.
  absl::Status foreign = bob2.Get(entry, "title").status();
  EXPECT_THAT(foreign, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Reason(foreign), "HANDLE_NOT_FOUND");

  v1::HandleRef invented = entry;
  invented.set_id("0123456789abcdef0123456789abcdef");
  EXPECT_THAT(bob.Get(invented, "title").status(), StatusIs(absl::StatusCode::kNotFound));

  ASSERT_EQ(*bob.Release({entry.id()}), 1u);
  absl::Status released = bob.Get(entry, "title").status();
  EXPECT_THAT(released, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Reason(released), "HANDLE_NOT_FOUND");
  EXPECT_THAT(bob.Describe(entry).status(), StatusIs(absl::StatusCode::kNotFound));
}

TEST(Handles, ReleaseCountsReferencesAndIsAllOrNothing) {
  Harness h;
  Client bob(h, Bob());
  bob.Open();
  v1::HandleRef entry = bob.CallForHandle(bob.root(), "add_entry", {Str("t"), Str("b")});
  v1::HandleRef again = bob.CallForHandle(bob.root(), "entry", {Str("entry-1")});
  ASSERT_EQ(entry.id(), again.id());

  // One unknown id: nothing is released.
  absl::Status s = bob.Release({entry.id(), "nope"}).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound, HasSubstr("'nope'")));
  // More releases than references: nothing is released either.
  EXPECT_THAT(bob.Release({entry.id(), entry.id(), entry.id()}).status(),
              StatusIs(absl::StatusCode::kNotFound));
  auto list = bob.List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->handles_size(), 2);
  for (const auto& info : list->handles()) {
    EXPECT_EQ(info.references(), info.ref().id() == entry.id() ? 2u : 1u);
  }

  EXPECT_EQ(*bob.Release({entry.id()}), 1u);
  EXPECT_TRUE(bob.Get(entry, "title").ok()) << "one reference left";
  EXPECT_EQ(*bob.Release({entry.id()}), 1u);
  EXPECT_THAT(bob.Get(entry, "title").status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(h.core().handle_count(), 1u);
  // A fresh export after release gets a new id: ids are never reused.
  v1::HandleRef later = bob.CallForHandle(bob.root(), "entry", {Str("entry-1")});
  EXPECT_NE(later.id(), entry.id());
}

TEST(Handles, ListHandlesShowsOnlyTheSessionsOwn) {
  Harness h;
  Client bob(h, Bob());
  bob.Open();
  Client alice(h, Alice());
  alice.Open();
  bob.CallForHandle(bob.root(), "add_entry", {Str("t"), Str("b")});
  auto bobs = bob.List();
  auto alices = alice.List();
  ASSERT_TRUE(bobs.ok() && alices.ok());
  EXPECT_EQ(bobs->handles_size(), 2);
  ASSERT_EQ(alices->handles_size(), 1);
  EXPECT_EQ(alices->handles(0).ref().id(), alice.root().id());
  EXPECT_EQ(h.core().handle_count(), 3u);
}

TEST(Session, CloseReleasesEverythingOnce) {
  Harness h;
  Client bob(h, Bob());
  bob.Open();
  bob.CallForHandle(bob.root(), "add_entry", {Str("t"), Str("b")});
  bob.GetHandle(bob.root(), "Entry");
  EXPECT_EQ(h.core().handle_count(), 3u);
  EXPECT_EQ(*bob.Close(), 3u);
  EXPECT_EQ(h.core().handle_count(), 0u);
  EXPECT_EQ(h.core().session_count(), 0u);
  EXPECT_THAT(bob.Close().status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(bob.Get(bob.root(), "title").status(), StatusIs(absl::StatusCode::kNotFound));
  // The objects live on in the blog.
  EXPECT_EQ(h.blog()->entry_count(), 1);
}

TEST(Session, LeaseIsRenewedByEveryCallAndExpires) {
  Harness h;  // session_ttl_seconds: 60
  Client bob(h, Bob());
  bob.Open();
  for (int i = 0; i < 3; ++i) {
    h.clock().Advance(absl::Seconds(50));
    ASSERT_TRUE(bob.Get(bob.root(), "title").ok()) << "renewed at round " << i;
  }
  h.clock().Advance(absl::Seconds(50));
  EXPECT_TRUE(bob.KeepAlive().ok());
  h.clock().Advance(absl::Seconds(60));
  absl::Status s = bob.Get(bob.root(), "title").status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound, "session not found"));
  EXPECT_EQ(h.core().session_count(), 0u) << "dropped lazily on access";
  EXPECT_EQ(h.core().handle_count(), 0u);
}

TEST(Session, ExpireSessionsDropsLapsedOnesOnly) {
  Harness h;
  Client a(h, Bob());
  a.Open();
  Client b(h, Alice());
  b.Open();
  h.clock().Advance(absl::Seconds(40));
  Client c(h, Anonymous());
  c.Open();
  EXPECT_EQ(h.core().ExpireSessions(), 0u);
  h.clock().Advance(absl::Seconds(30));
  EXPECT_EQ(h.core().ExpireSessions(), 2u);
  EXPECT_EQ(h.core().session_count(), 1u);
  EXPECT_EQ(h.core().handle_count(), 1u);
  EXPECT_TRUE(c.KeepAlive().ok());
  EXPECT_THAT(a.KeepAlive(), StatusIs(absl::StatusCode::kNotFound));
}

TEST(Quota, HandlesPerSessionIsAllOrNothing) {
  Harness h(PolicyWithLimits("max_handles_per_session: 3"));
  Client bob(h, Bob());
  bob.Open();  // 1: the root
  bob.CallForHandle(bob.root(), "add_entry", {Str("1"), Str("b")});  // 2
  Client alice(h, Alice());
  alice.Open();
  ASSERT_TRUE(alice.Call(alice.root(), "add_entry", {Str("2"), Str("b")}).ok());
  ASSERT_TRUE(alice.Call(alice.root(), "add_entry", {Str("3"), Str("b")}).ok());
  // entries() would need three handles (one is held already): two new > one free.
  absl::Status s = bob.Call(bob.root(), "entries").status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kResourceExhausted,
                          HasSubstr("max_handles_per_session (3)")));
  EXPECT_EQ(Reason(s), "QUOTA_HANDLES");
  EXPECT_EQ(bob.List()->handles_size(), 2) << "nothing was added";
  // Everything else still works; re-exporting a held object needs no slot.
  EXPECT_TRUE(bob.Get(bob.root(), "title").ok());
  EXPECT_TRUE(bob.Call(bob.root(), "entry", {Str("entry-1")}).ok());
  EXPECT_TRUE(bob.Call(bob.root(), "entry", {Str("entry-2")}).ok());  // 3
  EXPECT_THAT(bob.Call(bob.root(), "entry", {Str("entry-3")}).status(),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(bob.Restrict(bob.root(), {"title"}).status(),
              StatusIs(absl::StatusCode::kResourceExhausted));
  // Other sessions are not disturbed.
  EXPECT_TRUE(alice.Call(alice.root(), "entry", {Str("entry-2")}).ok());
}

TEST(Quota, SessionsPerIdentity) {
  Harness h(PolicyWithLimits("max_sessions_per_identity: 2"));
  Client b1(h, Bob());
  b1.Open();
  Client b2(h, Bob());
  b2.Open();
  Client b3(h, Bob());
  v1::OpenSessionResponse resp;
  absl::Status s = h.core().OpenSession(b3.ctx(), v1::OpenSessionRequest(), &resp);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kResourceExhausted,
                          HasSubstr("max_sessions_per_identity (2)")));
  EXPECT_EQ(Reason(s), "QUOTA_SESSIONS");
  // Another identity is not affected, and closing one frees a slot.
  Client alice(h, Alice());
  alice.Open();
  ASSERT_TRUE(b1.Close().ok());
  EXPECT_TRUE(h.core().OpenSession(b3.ctx(), v1::OpenSessionRequest(), &resp).ok());
  // Lapsed sessions do not hold slots.
  h.clock().Advance(absl::Seconds(61));
  Client b4(h, Bob());
  b4.Open();
  Client b5(h, Bob());
  b5.Open();
}

TEST(Deadline, PassedDeadlineNeverStartsTheMethod) {
  Harness h;
  Client bob(h, Bob());
  bob.Open();
  bob.ctx().deadline = h.clock().Now();
  absl::Status s = bob.Call(bob.root(), "add_entry", {Str("t"), Str("b")}).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(h.blog()->entry_count(), 0);
  bob.ctx().deadline = h.clock().Now() + absl::Seconds(5);
  EXPECT_TRUE(bob.Call(bob.root(), "add_entry", {Str("t"), Str("b")}).ok());
}

TEST(Restrict, NarrowsAndNeverWidens) {
  Harness h;
  Client alice(h, Alice());
  alice.Open();
  auto narrow = alice.Restrict(alice.root(), {"title"}, {"title"});
  ASSERT_TRUE(narrow.ok()) << narrow.status();
  EXPECT_NE(narrow->id(), alice.root().id());
  EXPECT_TRUE(alice.Get(*narrow, "title").ok());
  EXPECT_TRUE(alice.Set(*narrow, "title", Str("New")).ok());
  // Not kept: indistinguishable from a missing name.
  absl::Status gone = alice.Get(*narrow, "entry_count").status();
  EXPECT_THAT(gone, StatusIs(absl::StatusCode::kNotFound,
                             "'demo.Blog' object has no attribute 'entry_count'"));
  EXPECT_THAT(alice.Call(*narrow, "add_entry", {Str("t"), Str("b")}).status(),
              StatusIs(absl::StatusCode::kNotFound));
  // The original handle is untouched.
  EXPECT_TRUE(alice.Get(alice.root(), "entry_count").ok());
  // Restricting again cannot bring a name back.
  auto again = alice.Restrict(*narrow, {"title", "entry_count"});
  ASSERT_TRUE(again.ok());
  EXPECT_THAT(alice.Get(*again, "entry_count").status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(alice.Set(*again, "title", Str("x")), StatusIs(absl::StatusCode::kNotFound));
  // The ACL still applies on a restricted handle.
  Client bob(h, Bob());
  bob.Open();
  auto bobs = bob.Restrict(bob.root(), {}, {"title"});
  ASSERT_TRUE(bobs.ok());
  EXPECT_THAT(bob.Set(*bobs, "title", Str("x")),
              StatusIs(absl::StatusCode::kPermissionDenied));

  auto d = alice.Describe(*narrow);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->restricted());
  EXPECT_EQ(d->members_size(), 2);
  bool listed_restricted = false;
  auto handles = alice.List();
  ASSERT_TRUE(handles.ok());
  for (const auto& info : handles->handles()) {
    if (info.ref().id() == narrow->id()) listed_restricted = info.restricted();
  }
  EXPECT_TRUE(listed_restricted);
}


TEST(Values, DepthOverTheLimitIsRefusedNamingTheLimit) {
  Harness h;
  Client alice(h, Alice());
  alice.Open();
  absl::Status deep = alice.Set(alice.root(), "title", Nested(65, Str("leaf")));
  EXPECT_THAT(deep, StatusIs(absl::StatusCode::kInvalidArgument,
                             "value of 'title': value nesting exceeds max_value_depth (64)"));
  EXPECT_EQ(Reason(deep), "VALUE_TOO_DEEP");
  // 64 levels pass the limit and fail only as the wrong type.
  EXPECT_THAT(alice.Set(alice.root(), "title", Nested(64, Str("leaf"))),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "value of 'title': expected string, got list"));
  absl::Status arg = alice.Call(alice.root(), "entry", {Nested(65, Str("leaf"))}).status();
  EXPECT_THAT(arg, StatusIs(absl::StatusCode::kInvalidArgument,
                            HasSubstr("argument 0: value nesting exceeds max_value_depth (64)")));
}

TEST(Values, ElementsUnsetKindAndUtf8) {
  Harness h(PolicyWithLimits("max_value_elements: 10"));
  Client alice(h, Alice());
  alice.Open();
  std::vector<v1::Value> many(20, Int(1));
  absl::Status big = alice.Call(alice.root(), "entry", {List(many)}).status();
  EXPECT_THAT(big, StatusIs(absl::StatusCode::kInvalidArgument,
                            "the request has more than max_value_elements (10) values"));
  EXPECT_EQ(Reason(big), "VALUE_TOO_LARGE");
  EXPECT_THAT(alice.Set(alice.root(), "title", v1::Value()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no kind set")));
  EXPECT_THAT(alice.Set(alice.root(), "title", Str("bad \xff utf8")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not valid UTF-8")));
  v1::Value bad_key;
  (*bad_key.mutable_map_value()->mutable_fields())["\xc0\x80"] = Int(1);
  EXPECT_THAT(alice.Call(alice.root(), "entry", {bad_key}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("map key")));
  EXPECT_EQ(alice.Get(alice.root(), "title")->string_value(), "Pyramid blog");
}

TEST(Values, HandleFromAnotherSessionInAnArgumentIsNotFound) {
  Harness h;
  Client bob(h, Bob());
  bob.Open();
  Client alice(h, Alice());
  alice.Open();
  absl::Status s = bob.Call(bob.root(), "entry", {Ref(alice.root())}).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Reason(s), "HANDLE_NOT_FOUND");
  // Nested inside a list, too.
  EXPECT_THAT(bob.Call(bob.root(), "entry", {List({Ref(alice.root())})}).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

// A userid no policy names is interned only while a session of it lives:
// a broker that serves many ticket users does not keep every name it saw.
TEST(Sessions, ManyDistinctUseridsLeaveTheInternedNamesFlat) {
  Harness h;
  policy::SymbolTable& symbols = policy::SymbolTable::Global();
  const auto open_and_close = [&h](const std::string& userid) {
    RequestContext ctx;
    ctx.identity = User(userid);
    ctx.identity.method = "ticket";
    v1::OpenSessionResponse opened;
    absl::Status s = h.core().OpenSession(ctx, v1::OpenSessionRequest(), &opened);
    if (!s.ok()) return s;
    v1::CloseSessionRequest close;
    close.set_session(opened.session());
    v1::CloseSessionResponse closed;
    return h.core().CloseSession(ctx, close, &closed);
  };
  // The well-known principals are interned by the first session.
  ASSERT_TRUE(open_and_close("ticket-user-warm-up").ok());
  const size_t names = symbols.size();
  const size_t capacity = symbols.capacity();
  for (int i = 0; i < 100000; ++i) {
    absl::Status s = open_and_close(absl::StrCat("ticket-user-", i));
    if (!s.ok()) {
      ADD_FAILURE() << "session " << i << ": " << s;
      break;
    }
  }
  EXPECT_EQ(symbols.size(), names);
  // The table's footprint: each name's slot was reused by the next one.
  EXPECT_LE(symbols.capacity(), capacity + 1);
  EXPECT_EQ(symbols.Find("ticket-user-99999"), policy::kNoSymbol);
  EXPECT_EQ(h.core().session_count(), 0u);
}

}  // namespace
}  // namespace orb::testing
