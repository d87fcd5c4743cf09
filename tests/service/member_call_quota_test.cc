// MemberCallQuota: the per-identity count of calls on the member threads
// (broker/service/member_call_quota.h).
#include "broker/service/member_call_quota.h"

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "orb/broker/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/joining_thread.h"
#include "tests/testing/test_support.h"

namespace orb::service {

using orb::broker::GetErrorInfo;
using orb::broker::MemberCallQuota;
namespace {

using ::orb::testing::IsOk;
using ::orb::testing::JoiningThread;
using ::orb::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

using Slot = MemberCallQuota::Slot;

// A slot the test expects to get (a failure, and an empty slot, otherwise).
Slot Take(MemberCallQuota& quota, absl::string_view key, uint32_t limit) {
  absl::StatusOr<Slot> slot = quota.Acquire(key, limit);
  EXPECT_THAT(slot.status(), IsOk()) << key;
  return slot.ok() ? *std::move(slot) : Slot();
}

TEST(MemberCallQuota, CountsEachSlotUntilItIsReleased) {
  MemberCallQuota quota;
  Slot first = Take(quota, "user:bob", 3);
  Slot second = Take(quota, "user:bob", 3);
  EXPECT_TRUE(first.held());
  EXPECT_EQ(quota.held("user:bob"), 2u);
  first.Release();
  EXPECT_FALSE(first.held());
  EXPECT_EQ(quota.held("user:bob"), 1u);
  first.Release();  // a second release gives nothing back
  EXPECT_EQ(quota.held("user:bob"), 1u);
}

TEST(MemberCallQuota, ADestroyedSlotGivesItsPlaceBack) {
  MemberCallQuota quota;
  {
    Slot slot = Take(quota, "anonymous", 1);
    EXPECT_EQ(quota.held("anonymous"), 1u);
  }
  EXPECT_EQ(quota.held("anonymous"), 0u);
  EXPECT_THAT(quota.Acquire("anonymous", 1).status(), IsOk());
}

TEST(MemberCallQuota, AMovedSlotIsCountedOnce) {
  MemberCallQuota quota;
  Slot moved = Take(quota, "user:bob", 2);
  Slot assigned;
  EXPECT_FALSE(assigned.held());
  assigned = std::move(moved);
  EXPECT_FALSE(moved.held());  // a moved-from slot holds nothing
  EXPECT_TRUE(assigned.held());
  EXPECT_EQ(quota.held("user:bob"), 1u);
  // Assigning over a held slot gives the old place back.
  Slot other = Take(quota, "user:bob", 2);
  EXPECT_EQ(quota.held("user:bob"), 2u);
  assigned = std::move(other);
  EXPECT_EQ(quota.held("user:bob"), 1u);
  assigned.Release();
  EXPECT_EQ(quota.held("user:bob"), 0u);
}

TEST(MemberCallQuota, TheCallOverTheLimitIsRefusedAndChangesNothing) {
  MemberCallQuota quota;
  Slot a = Take(quota, "user:bob", 2);
  Slot b = Take(quota, "user:bob", 2);
  absl::StatusOr<Slot> c = quota.Acquire("user:bob", 2);
  EXPECT_THAT(c.status(),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       AllOf(HasSubstr("this identity already has 2 calls running or waiting on "
                                       "the broker's member threads"),
                             HasSubstr("max_member_calls_per_identity is 2"),
                             HasSubstr("retry when one of them has finished"))));
  std::optional<v1::ErrorInfo> info = GetErrorInfo(c.status());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "IDENTITY_BUSY");
  EXPECT_EQ(info->gate(), "quota");
  EXPECT_EQ(quota.held("user:bob"), 2u);
  // One finishes: the next call is accepted.
  a.Release();
  EXPECT_THAT(quota.Acquire("user:bob", 2).status(), IsOk());
}

TEST(MemberCallQuota, ALoweredLimitRefusesNewCallsAndKeepsTheCountedOnes) {
  MemberCallQuota quota;
  std::vector<Slot> slots;
  for (int i = 0; i < 3; ++i) slots.push_back(Take(quota, "user:bob", 3));
  EXPECT_THAT(quota.Acquire("user:bob", 1).status(),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("already has 3 calls running or waiting")));
  EXPECT_EQ(quota.held("user:bob"), 3u);
  slots.pop_back();
  slots.pop_back();
  EXPECT_THAT(quota.Acquire("user:bob", 1).status(),
              StatusIs(absl::StatusCode::kResourceExhausted));
  slots.clear();
  EXPECT_THAT(quota.Acquire("user:bob", 1).status(), IsOk());
}

TEST(MemberCallQuota, IdentitiesAreCountedIndependently) {
  MemberCallQuota quota;
  Slot bob = Take(quota, "user:bob", 1);
  EXPECT_THAT(quota.Acquire("user:bob", 1).status(),
              StatusIs(absl::StatusCode::kResourceExhausted));
  Slot alice = Take(quota, "user:alice", 1);
  Slot anonymous = Take(quota, "anonymous", 1);
  EXPECT_EQ(quota.held("user:bob"), 1u);
  EXPECT_EQ(quota.held("user:alice"), 1u);
  EXPECT_EQ(quota.held("anonymous"), 1u);
  EXPECT_EQ(quota.identities(), 3u);
}

TEST(MemberCallQuota, IdentitiesWithNoCallsAreNotKept) {
  MemberCallQuota quota;
  for (int i = 0; i < 1000; ++i) {
    Slot slot = Take(quota, absl::StrCat("user:u", i), 4);
    EXPECT_EQ(quota.identities(), 1u);
  }
  EXPECT_EQ(quota.identities(), 0u);
  // A refusal does not leave an entry behind either.
  EXPECT_THAT(quota.Acquire("user:nobody", 0).status(),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(quota.identities(), 0u);
  EXPECT_EQ(quota.held("user:nobody"), 0u);
}

TEST(MemberCallQuota, ManyThreadsNeverHoldMoreThanTheLimit) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 5000;
  constexpr uint32_t kLimit = 3;
  MemberCallQuota quota;
  // Per key, how many slots are held right now, as the holders see it.
  std::atomic<int> holding[2] = {0, 0};
  std::atomic<int> over_limit{0};
  std::atomic<int> accepted{0};
  std::atomic<int> refused{0};
  std::vector<JoiningThread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const int k = t % 2;
      const std::string key = k == 0 ? "user:bob" : "anonymous";
      for (int i = 0; i < kRounds; ++i) {
        absl::StatusOr<Slot> slot = quota.Acquire(key, kLimit);
        if (!slot.ok()) {
          refused.fetch_add(1);
          continue;
        }
        accepted.fetch_add(1);
        if (holding[k].fetch_add(1) + 1 > static_cast<int>(kLimit)) over_limit.fetch_add(1);
        if (i % 7 == 0) std::this_thread::yield();
        holding[k].fetch_sub(1);
        // Alternate between an explicit release and the destructor.
        if (i % 2 == 0) slot->Release();
      }
    });
  }
  for (JoiningThread& t : threads) t.Join();
  EXPECT_EQ(over_limit.load(), 0);
  EXPECT_EQ(accepted.load() + refused.load(), kThreads * kRounds);
  EXPECT_GT(accepted.load(), 0);
  EXPECT_EQ(quota.held("user:bob"), 0u);
  EXPECT_EQ(quota.held("anonymous"), 0u);
  EXPECT_EQ(quota.identities(), 0u);
}

}  // namespace
}  // namespace orb::service
