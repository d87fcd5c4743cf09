// SessionTable and Session (broker/session_table.h), driven directly with
// explicit times: ownership, the one NOT_FOUND, leases and expiry, Close,
// the per-identity session quota, and a few threads on one table.
#include "broker/session_table.h"
#include "orb/broker/audit.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "orb/broker/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orb/policy/identity.h"
#include "tests/testing/test_support.h"

namespace orb::testing {

using orb::broker::GetErrorInfo;
using orb::broker::HandleTarget;
using orb::broker::Object;
using orb::broker::Session;
using orb::broker::SessionTable;
namespace {

using ::testing::ElementsAre;
using ::testing::SizeIs;

class Thing final : public Object {};

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);
constexpr absl::Duration kTtl = absl::Seconds(60);

policy::Identity User(std::string userid, std::vector<std::string> groups = {},
                      std::string method = "bearer") {
  policy::Identity id;
  id.userid = std::move(userid);
  id.groups = std::move(groups);
  id.method = std::move(method);
  return id;
}

// Ids "s1", "s2", ... for sessions and their handles alike; thread-safe.
std::function<std::string()> SequentialIds() {
  auto next = std::make_shared<std::atomic<int>>(0);
  return [next] { return absl::StrCat("s", ++*next); };
}

class SessionTableTest : public ::testing::Test {
 protected:
  // A session the test expects to get.
  std::shared_ptr<Session> Open(const policy::Identity& who, absl::Time now = kT0,
                                uint32_t max_per_identity = 100) {
    absl::StatusOr<std::shared_ptr<Session>> s =
        table_.Open(who, "test-client", now, kTtl, max_per_identity);
    EXPECT_THAT(s, IsOk());
    return s.ok() ? *s : nullptr;
  }

  // Gives `session` a handle on a new object, watched through `watch`.
  static void AddHandle(Session& session, std::vector<std::weak_ptr<Object>>* watch) {
    auto object = std::make_shared<Thing>();
    watch->push_back(object);
    // The session table never looks at the type; null keeps this file free
    // of a registry.
    EXPECT_THAT(session.handles().Add({HandleTarget{object, nullptr, false, nullptr}}, 100),
                IsOk());
  }

  static bool AllExpired(const std::vector<std::weak_ptr<Object>>& watch) {
    for (const auto& w : watch) {
      if (!w.expired()) return false;
    }
    return true;
  }

  std::atomic<int64_t> live_{0};
  SessionTable table_{SequentialIds(), &live_};
};

TEST_F(SessionTableTest, OpenGivesASessionOwnedByItsIdentity) {
  std::shared_ptr<Session> s = Open(User("bob", {"group:ops"}));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->id(), "s1");
  EXPECT_EQ(s->owner_key(), "user:bob");
  EXPECT_EQ(s->identity().userid, "bob");
  EXPECT_EQ(s->client_name(), "test-client");
  EXPECT_THAT(s->principals().as_given(),
              ElementsAre("system.Everyone", "system.Authenticated", "bob", "group:ops"));
  EXPECT_EQ(s->handles().size(), 0u);
  EXPECT_EQ(table_.size(), 1u);

  std::shared_ptr<Session> anonymous = Open(policy::Identity{});
  ASSERT_NE(anonymous, nullptr);
  EXPECT_EQ(anonymous->owner_key(), "anonymous");
  EXPECT_NE(anonymous->id(), s->id());
  EXPECT_EQ(table_.size(), 2u);
}

TEST_F(SessionTableTest, AnIdThatIsAlreadyLiveIsDrawnAgain) {
  std::vector<std::string> ids = {"same", "same", "other"};
  size_t next = 0;
  SessionTable table([&ids, &next] { return ids[next++]; }, nullptr);
  auto first = table.Open(User("bob"), "", kT0, kTtl, 10);
  auto second = table.Open(User("bob"), "", kT0, kTtl, 10);
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ((*first)->id(), "same");
  EXPECT_EQ((*second)->id(), "other");
  EXPECT_EQ(table.size(), 2u);
}

TEST_F(SessionTableTest, FindReturnsTheOwnersSessionAndRenewsItsLease) {
  std::shared_ptr<Session> s = Open(User("bob"));
  ASSERT_NE(s, nullptr);
  // Each lookup moves the lease to now + ttl: well past the first lease.
  for (absl::Time now = kT0 + absl::Seconds(59); now < kT0 + absl::Seconds(300);
       now += absl::Seconds(59)) {
    absl::StatusOr<std::shared_ptr<Session>> found = table_.Find(s->id(), "user:bob", now, kTtl);
    ASSERT_THAT(found, IsOk()) << now;
    EXPECT_EQ(*found, s);
  }
}

TEST_F(SessionTableTest, ALeaseLapsesAtItsExpiryInstantAndTheSessionIsDropped) {
  std::shared_ptr<Session> s = Open(User("bob"));
  std::shared_ptr<Session> t = Open(User("bob"));
  std::vector<std::weak_ptr<Object>> watch;
  AddHandle(*s, &watch);
  EXPECT_THAT(table_.Find(t->id(), "user:bob", kT0 + kTtl - absl::Nanoseconds(1), kTtl), IsOk());
  EXPECT_EQ(table_.Find(s->id(), "user:bob", kT0 + kTtl, kTtl).status(), SessionTable::NotFound());
  EXPECT_EQ(table_.size(), 1u);
  EXPECT_TRUE(AllExpired(watch));
  EXPECT_EQ(live_.load(), 0);
  // Gone for good, even at an earlier time.
  EXPECT_EQ(table_.Find(s->id(), "user:bob", kT0, kTtl).status(), SessionTable::NotFound());
}

TEST_F(SessionTableTest, OwnedNeitherRenewsNorExpires) {
  std::shared_ptr<Session> s = Open(User("bob"));
  ASSERT_THAT(table_.Owned(s->id(), "user:bob"), IsOk());
  // Owned() took no time argument and did not renew: the first lease holds.
  EXPECT_EQ(table_.Find(s->id(), "user:bob", kT0 + kTtl, kTtl).status(), SessionTable::NotFound());

  std::shared_ptr<Session> lapsed = Open(User("bob"));
  EXPECT_THAT(table_.Owned(lapsed->id(), "user:bob"),
              IsOk());  // still there until dropped
  EXPECT_EQ(table_.size(), 1u);
  EXPECT_EQ(table_.Owned(lapsed->id(), "user:alice").status(), SessionTable::NotFound());
}

TEST_F(SessionTableTest, TheNotFoundIsOneStatusWithItsReason) {
  absl::Status s = SessionTable::NotFound();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound, "session not found"));
  ASSERT_TRUE(GetErrorInfo(s).has_value());
  EXPECT_EQ(GetErrorInfo(s)->reason(), "SESSION_NOT_FOUND");
  EXPECT_EQ(GetErrorInfo(s)->gate(), "session");
}

TEST_F(SessionTableTest, UnknownForeignClosedAndExpiredSessionsAreTheSameNotFound) {
  std::shared_ptr<Session> foreign = Open(User("alice"));
  std::shared_ptr<Session> closed = Open(User("bob"));
  ASSERT_THAT(table_.Close(closed->id(), "user:bob", kT0), IsOk());
  std::shared_ptr<Session> expired = Open(User("bob"));
  std::shared_ptr<Session> expired_unseen = Open(User("bob"));
  ASSERT_EQ(table_.Find(expired->id(), "user:bob", kT0 + kTtl, kTtl).status(),
            SessionTable::NotFound());

  const absl::Time now = kT0 + absl::Seconds(1);
  for (const std::string& id :
       {std::string("s999"), std::string(""), foreign->id(), closed->id(), expired->id()}) {
    EXPECT_EQ(table_.Find(id, "user:bob", now, kTtl).status(), SessionTable::NotFound()) << id;
    EXPECT_EQ(table_.Owned(id, "user:bob").status(), SessionTable::NotFound()) << id;
    EXPECT_EQ(table_.Close(id, "user:bob", now).status(), SessionTable::NotFound()) << id;
  }
  // A lapsed session not yet dropped answers the same, to Find and Close.
  EXPECT_EQ(table_.Close(expired_unseen->id(), "user:bob", kT0 + kTtl).status(),
            SessionTable::NotFound());
}

TEST_F(SessionTableTest, AnotherIdentitysLookupNeitherRenewsNorClosesTheSession) {
  std::shared_ptr<Session> s = Open(User("bob"));
  const absl::Time later = kT0 + absl::Seconds(59);
  EXPECT_EQ(table_.Find(s->id(), "user:alice", later, kTtl).status(), SessionTable::NotFound());
  EXPECT_EQ(table_.Find(s->id(), "anonymous", later, kTtl).status(), SessionTable::NotFound());
  EXPECT_EQ(table_.Close(s->id(), "user:alice", later).status(), SessionTable::NotFound());
  EXPECT_EQ(table_.size(), 1u);
  // Alice's lookups did not renew Bob's lease.
  EXPECT_EQ(table_.Find(s->id(), "user:bob", kT0 + kTtl, kTtl).status(), SessionTable::NotFound());
}

TEST_F(SessionTableTest, OwnershipGoesByUseridWhateverTheCredential) {
  std::shared_ptr<Session> s = Open(User("bob", {}, "bearer"));
  const std::string other_credential = User("bob", {"group:ops"}, "ticket").OwnerKey();
  EXPECT_THAT(table_.Find(s->id(), other_credential, kT0, kTtl), IsOk());
  // Every anonymous caller is the one identity "anonymous".
  std::shared_ptr<Session> anon = Open(policy::Identity{});
  EXPECT_THAT(table_.Find(anon->id(), policy::Identity{}.OwnerKey(), kT0, kTtl), IsOk());
  EXPECT_EQ(table_.Find(anon->id(), "user:", kT0, kTtl).status(), SessionTable::NotFound());
}

TEST_F(SessionTableTest, CloseReleasesEveryHandleOnce) {
  std::shared_ptr<Session> s = Open(User("bob"));
  std::shared_ptr<Session> other = Open(User("bob"));
  std::vector<std::weak_ptr<Object>> watch;
  std::vector<std::weak_ptr<Object>> other_watch;
  AddHandle(*s, &watch);
  AddHandle(*s, &watch);
  AddHandle(*other, &other_watch);
  EXPECT_EQ(live_.load(), 3);

  absl::StatusOr<size_t> closed = table_.Close(s->id(), "user:bob", kT0 + absl::Seconds(1));
  ASSERT_THAT(closed, IsOk());
  EXPECT_EQ(*closed, 2u);
  EXPECT_TRUE(AllExpired(watch));
  EXPECT_FALSE(AllExpired(other_watch));
  EXPECT_EQ(live_.load(), 1);
  EXPECT_EQ(table_.size(), 1u);
  EXPECT_EQ(table_.Close(s->id(), "user:bob", kT0).status(), SessionTable::NotFound());

  // A caller still holding the session cannot give it new handles.
  absl::Status late =
      s->handles()
          .Add({HandleTarget{std::make_shared<Thing>(), nullptr, false, nullptr}}, 100)
          .status();
  EXPECT_THAT(late, StatusIs(absl::StatusCode::kNotFound, "session not found"));
  EXPECT_EQ(live_.load(), 1);
}

TEST_F(SessionTableTest, ClosingALapsedSessionIsNotFoundAndDropsIt) {
  std::shared_ptr<Session> s = Open(User("bob"));
  std::vector<std::weak_ptr<Object>> watch;
  AddHandle(*s, &watch);
  EXPECT_EQ(table_.Close(s->id(), "user:bob", kT0 + kTtl).status(), SessionTable::NotFound());
  EXPECT_EQ(table_.size(), 0u);
  EXPECT_TRUE(AllExpired(watch));
  EXPECT_EQ(live_.load(), 0);
}

TEST_F(SessionTableTest, ExpireDropsLapsedSessionsOnly) {
  std::shared_ptr<Session> early = Open(User("bob"), kT0);
  std::shared_ptr<Session> late = Open(User("alice"), kT0 + absl::Seconds(30));
  std::vector<std::weak_ptr<Object>> early_watch;
  std::vector<std::weak_ptr<Object>> late_watch;
  AddHandle(*early, &early_watch);
  AddHandle(*late, &late_watch);

  EXPECT_EQ(table_.Expire(kT0 + kTtl - absl::Nanoseconds(1)), 0u);
  EXPECT_EQ(table_.Expire(kT0 + kTtl), 1u);
  EXPECT_EQ(table_.size(), 1u);
  EXPECT_TRUE(AllExpired(early_watch));
  EXPECT_FALSE(AllExpired(late_watch));
  EXPECT_EQ(live_.load(), 1);
  EXPECT_EQ(table_.Expire(kT0 + kTtl), 0u);  // nothing twice
  EXPECT_THAT(table_.Find(late->id(), "user:alice", kT0 + kTtl, kTtl), IsOk());
  EXPECT_EQ(table_.Find(early->id(), "user:bob", kT0, kTtl).status(), SessionTable::NotFound());
}

TEST_F(SessionTableTest, TheSessionQuotaIsPerIdentityAndNamesTheLimit) {
  ASSERT_NE(Open(User("bob"), kT0, 2), nullptr);
  std::shared_ptr<Session> second = Open(User("bob", {"group:ops"}, "ticket"), kT0, 2);
  ASSERT_NE(second, nullptr);

  absl::Status s = table_.Open(User("bob"), "", kT0, kTtl, 2).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kResourceExhausted,
                          "this identity already has max_sessions_per_identity (2) open "
                          "sessions; close one first"));
  ASSERT_TRUE(GetErrorInfo(s).has_value());
  EXPECT_EQ(GetErrorInfo(s)->reason(), "QUOTA_SESSIONS");
  EXPECT_EQ(GetErrorInfo(s)->gate(), "quota");
  EXPECT_EQ(table_.size(), 2u);

  // Other identities have their own count.
  EXPECT_NE(Open(User("alice"), kT0, 2), nullptr);
  EXPECT_NE(Open(policy::Identity{}, kT0, 2), nullptr);

  // Closing one makes room.
  ASSERT_THAT(table_.Close(second->id(), "user:bob", kT0), IsOk());
  EXPECT_NE(Open(User("bob"), kT0, 2), nullptr);
}

TEST_F(SessionTableTest, AQuotaOfZeroRefusesEveryOpen) {
  EXPECT_THAT(table_.Open(User("bob"), "", kT0, kTtl, 0),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       ::testing::HasSubstr("max_sessions_per_identity (0)")));
  EXPECT_EQ(table_.size(), 0u);
  EXPECT_NE(Open(User("bob"), kT0, 1), nullptr);
}

TEST_F(SessionTableTest, LapsedSessionsGiveTheirPlaceToANewOne) {
  std::shared_ptr<Session> a = Open(User("bob"), kT0, 2);
  std::shared_ptr<Session> b = Open(User("bob"), kT0 + absl::Seconds(10), 2);
  // At kT0 + 60 s only `a` has lapsed: it is dropped to make room.
  EXPECT_NE(Open(User("bob"), kT0 + kTtl, 2), nullptr);
  EXPECT_EQ(table_.size(), 2u);
  EXPECT_EQ(table_.Owned(a->id(), "user:bob").status(), SessionTable::NotFound());
  EXPECT_THAT(table_.Owned(b->id(), "user:bob"), IsOk());
}

TEST_F(SessionTableTest, EveryWayASessionGoesGivesItsQuotaPlaceBack) {
  // Closed, dropped by a lookup after lapsing, dropped by Expire(), dropped
  // by Close() after lapsing: each frees the identity's only place.
  std::shared_ptr<Session> s = Open(User("bob"), kT0, 1);
  ASSERT_THAT(table_.Close(s->id(), "user:bob", kT0), IsOk());
  s = Open(User("bob"), kT0, 1);
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(table_.Find(s->id(), "user:bob", kT0 + kTtl, kTtl).status(), SessionTable::NotFound());
  s = Open(User("bob"), kT0 + kTtl, 1);
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(table_.Expire(kT0 + 2 * kTtl), 1u);
  s = Open(User("bob"), kT0 + 2 * kTtl, 1);
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(table_.Close(s->id(), "user:bob", kT0 + 3 * kTtl).status(), SessionTable::NotFound());
  // Each time nothing lapsed was left for Open() to drop: only a count that
  // went back down lets it succeed.
  EXPECT_NE(Open(User("bob"), kT0 + 3 * kTtl, 1), nullptr);
  EXPECT_EQ(table_.size(), 1u);
}

TEST_F(SessionTableTest, DestroyingTheTableReleasesEveryHandle) {
  std::vector<std::weak_ptr<Object>> watch;
  {
    SessionTable table(SequentialIds(), &live_);
    auto s = table.Open(User("bob"), "", kT0, kTtl, 10);
    ASSERT_THAT(s, IsOk());
    AddHandle(**s, &watch);
    AddHandle(**s, &watch);
    EXPECT_EQ(live_.load(), 2);
  }
  EXPECT_TRUE(AllExpired(watch));
  EXPECT_EQ(live_.load(), 0);
}

TEST(Session, RenewExtendsALiveLeaseOnly) {
  Session s("id", User("bob"), "", SequentialIds(), nullptr, kT0, kT0 + kTtl);
  EXPECT_TRUE(s.Renew(kT0 + absl::Seconds(30), kTtl));  // now until kT0 + 90 s
  EXPECT_FALSE(s.ExpireIfDue(kT0 + absl::Seconds(89)));
  EXPECT_TRUE(s.Renew(kT0 + absl::Seconds(89), kTtl));  // now until kT0 + 149 s
  // Lapsed: Renew() changes nothing, so it stays lapsed.
  EXPECT_FALSE(s.Renew(kT0 + absl::Seconds(149), kTtl));
  EXPECT_FALSE(s.Renew(kT0 + absl::Seconds(149), kTtl));
  EXPECT_TRUE(s.ExpireIfDue(kT0 + absl::Seconds(149)));
}

TEST(Session, RenewRecordsTheLastActivityAndTheLease) {
  Session s("id", User("bob"), "", SequentialIds(), nullptr, kT0, kT0 + kTtl);
  EXPECT_EQ(s.opened(), kT0);
  EXPECT_EQ(s.lease().last_activity, kT0);
  ASSERT_TRUE(s.Renew(kT0 + absl::Seconds(30), kTtl));
  EXPECT_EQ(s.lease().last_activity, kT0 + absl::Seconds(30));
  EXPECT_EQ(s.lease().expires, kT0 + absl::Seconds(30) + kTtl);
  EXPECT_EQ(s.opened(), kT0);
  EXPECT_EQ(s.ref(), broker::RedactId("id"));
}

TEST(Session, OnlyTheFirstToMarkItDeadIsTold) {
  Session expiring("a", User("bob"), "", SequentialIds(), nullptr, kT0, kT0 + kTtl);
  EXPECT_TRUE(expiring.ExpireIfDue(kT0 + kTtl));
  EXPECT_FALSE(expiring.ExpireIfDue(kT0 + kTtl));
  EXPECT_FALSE(expiring.MarkDead());

  Session closing("b", User("bob"), "", SequentialIds(), nullptr, kT0, kT0 + kTtl);
  EXPECT_TRUE(closing.MarkDead());
  EXPECT_FALSE(closing.MarkDead());
  EXPECT_FALSE(closing.ExpireIfDue(kT0 + kTtl));
  EXPECT_FALSE(closing.Renew(kT0, kTtl));  // dead, though its lease has not lapsed
}

TEST_F(SessionTableTest, ConcurrentOpensNeverExceedTheQuota) {
  constexpr int kThreads = 8;
  constexpr uint32_t kMax = 3;
  std::atomic<int> opened{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      absl::Status s = table_.Open(User("bob"), "", kT0, kTtl, kMax).status();
      if (s.ok()) {
        ++opened;
      } else if (s.code() == absl::StatusCode::kResourceExhausted) {
        ++refused;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(opened.load(), static_cast<int>(kMax));
  EXPECT_EQ(refused.load(), kThreads - static_cast<int>(kMax));
  EXPECT_EQ(table_.size(), kMax);
}

TEST_F(SessionTableTest, OfConcurrentClosesExactlyOneSucceeds) {
  std::shared_ptr<Session> s = Open(User("bob"));
  std::vector<std::weak_ptr<Object>> watch;
  AddHandle(*s, &watch);
  AddHandle(*s, &watch);
  constexpr int kThreads = 4;
  std::vector<absl::StatusOr<size_t>> results(kThreads, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] { results[t] = table_.Close(s->id(), "user:bob", kT0); });
  }
  for (std::thread& t : threads) t.join();
  int succeeded = 0;
  for (const auto& r : results) {
    if (r.ok()) {
      ++succeeded;
      EXPECT_EQ(*r, 2u);
    } else {
      EXPECT_EQ(r.status(), SessionTable::NotFound());
    }
  }
  EXPECT_EQ(succeeded, 1);
  EXPECT_TRUE(AllExpired(watch));
  EXPECT_EQ(table_.size(), 0u);
  EXPECT_EQ(live_.load(), 0);
}

TEST_F(SessionTableTest, ThreadsOpeningUsingAndClosingSessionsLeaveNothingBehind) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 100;
  std::atomic<int> failures{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const policy::Identity who = User(absl::StrCat("user", t));
      for (int i = 0; i < kRounds; ++i) {
        auto s = table_.Open(who, "", kT0, kTtl, 2);
        if (!s.ok()) {
          ++failures;
          continue;
        }
        auto target = HandleTarget{std::make_shared<Thing>(), nullptr, false, nullptr};
        if (!(*s)->handles().Add({target}, 10).ok()) ++failures;
        if (!table_.Find((*s)->id(), who.OwnerKey(), kT0, kTtl).ok()) ++failures;
        auto closed = table_.Close((*s)->id(), who.OwnerKey(), kT0);
        if (!closed.ok() || *closed != 1) ++failures;
      }
    });
  }
  // Expiry sweeps run alongside and must drop nothing: nothing has lapsed.
  std::thread sweeper([&] {
    while (!done.load()) {
      if (table_.Expire(kT0) != 0) ++failures;
      std::this_thread::yield();
    }
  });
  for (std::thread& t : threads) t.join();
  done = true;
  sweeper.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(table_.size(), 0u);
  EXPECT_EQ(live_.load(), 0);
}

}  // namespace
}  // namespace orb::testing
