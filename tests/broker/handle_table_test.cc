// HandleTable (broker/handle_table.h), driven directly: ids, sharing and
// reference counts, all-or-nothing Add and Release, restricted entries, the
// handle quota, Close, lineage pinning, the shared live-handle counter, and
// a few threads on one table. RandomId128's shape and uniqueness too.
#include "broker/handle_table.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "orb/broker/binding.h"
#include "orb/broker/errors.h"
#include "orb/broker/type_registry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orb/policy/olp.h"
#include "tests/testing/test_support.h"

namespace orb::testing {

using orb::broker::GetErrorInfo;
using orb::broker::HandleTable;
using orb::broker::HandleTarget;
using orb::broker::Object;
using orb::broker::RandomId128;
using orb::broker::TypeBuilder;
using orb::broker::TypeInfo;
using orb::broker::TypeRegistry;
namespace {

using ::testing::ElementsAre;
using ::testing::MatchesRegex;
using ::testing::SizeIs;

// An object that runs `on_destroy` (if set) from its destructor.
class Thing final : public Object {
 public:
  Thing() = default;
  explicit Thing(std::function<void()> on_destroy) : on_destroy_(std::move(on_destroy)) {}
  ~Thing() override {
    if (on_destroy_) on_destroy_();
  }

 private:
  std::function<void()> on_destroy_;
};

class Gadget final : public Object {};

// Ids "h1", "h2", ... so that tests can name them; thread-safe.
std::function<std::string()> SequentialIds() {
  auto next = std::make_shared<std::atomic<int>>(0);
  return [next] { return absl::StrCat("h", ++*next); };
}

// The NOT_FOUND every unknown, released or foreign id gets from Find().
std::string NotFoundText(absl::string_view id) {
  return absl::StrCat("handle '", id, "' not found in this session");
}

// What Release() returned, or -1 (and a failure) when it failed.
int64_t Released(HandleTable& table, const std::vector<std::string>& ids) {
  absl::StatusOr<uint32_t> n = table.Release(ids);
  EXPECT_THAT(n, IsOk());
  return n.ok() ? int64_t{*n} : -1;
}

std::string ReasonOf(const absl::Status& s) {
  std::optional<v1::ErrorInfo> info = GetErrorInfo(s);
  return info.has_value() ? info->reason() : "";
}

class HandleTableTest : public ::testing::Test {
 protected:
  HandleTableTest() {
    EXPECT_THAT(registry_.Register(TypeBuilder<Thing>("test.Thing")), IsOk());
    EXPECT_THAT(registry_.Register(TypeBuilder<Gadget>("test.Gadget")), IsOk());
    thing_ = registry_.FindByName("test.Thing");
    gadget_ = registry_.FindByName("test.Gadget");
  }

  HandleTarget Instance(const std::shared_ptr<Object>& o) const {
    return HandleTarget{o, registry_.FindFor(*o), false, nullptr};
  }
  // The class handle of `type`, obtained from `origin`.
  HandleTarget ClassOf(const TypeInfo* type, const std::shared_ptr<Object>& origin) const {
    return HandleTarget{origin, type, true, nullptr};
  }
  HandleTarget Restricted(const std::shared_ptr<Object>& o) const {
    return HandleTarget{o, registry_.FindFor(*o), false, policy::Olp::Empty()};
  }

  // One Add() that must succeed; its single id.
  static std::string AddOne(HandleTable& table, const HandleTarget& target,
                            uint32_t max_handles = 100) {
    absl::StatusOr<std::vector<v1::HandleRef>> refs = table.Add({target}, max_handles);
    EXPECT_THAT(refs, IsOk());
    EXPECT_THAT(refs.ok() ? *refs : std::vector<v1::HandleRef>(), SizeIs(1));
    return refs.ok() && refs->size() == 1 ? (*refs)[0].id() : "";
  }

  // id -> references, from List().
  static std::map<std::string, uint32_t> References(const HandleTable& table) {
    std::map<std::string, uint32_t> out;
    for (const v1::HandleInfo& info : table.List()) out[info.ref().id()] = info.references();
    return out;
  }

  TypeRegistry registry_;
  const TypeInfo* thing_ = nullptr;
  const TypeInfo* gadget_ = nullptr;
  std::atomic<int64_t> live_{0};
};

TEST(RandomId128, IsThirtyTwoLowerCaseHexDigits) {
  for (int i = 0; i < 100; ++i) {
    EXPECT_THAT(RandomId128(), MatchesRegex("[0-9a-f]{32}"));
  }
}

TEST(RandomId128, NeverRepeatsAcrossBlocksAndThreads) {
  // Far more ids than one thread's block holds, from several threads.
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  std::vector<std::vector<std::string>> drawn(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&drawn, t] {
      for (int i = 0; i < kPerThread; ++i) drawn[t].push_back(RandomId128());
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<std::string> all;
  for (const auto& ids : drawn) all.insert(ids.begin(), ids.end());
  EXPECT_EQ(all.size(), size_t{kThreads * kPerThread});
}

TEST(RandomId128, AForkedChildDoesNotHandOutItsParentsNextId) {
  (void)RandomId128();  // this thread now holds a part-used block
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const std::string id = RandomId128();
    const ssize_t written = write(pipe_fds[1], id.data(), id.size());
    _exit(written == static_cast<ssize_t>(id.size()) ? 0 : 1);
  }
  close(pipe_fds[1]);
  const std::string parent_id = RandomId128();
  std::string child_id(32, '\0');
  size_t got = 0;
  while (got < child_id.size()) {
    const ssize_t n = read(pipe_fds[0], &child_id[got], child_id.size() - got);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(pipe_fds[0]);
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
  ASSERT_EQ(got, child_id.size());
  EXPECT_NE(child_id, parent_id);
}

TEST_F(HandleTableTest, AddReturnsOneRefPerTargetWithTypeAndView) {
  HandleTable table(RandomId128, &live_);
  auto thing = std::make_shared<Thing>();
  auto refs = table.Add({Instance(thing), ClassOf(gadget_, thing)}, 10);
  ASSERT_THAT(refs, IsOk());
  ASSERT_THAT(*refs, SizeIs(2));
  EXPECT_THAT((*refs)[0].id(), MatchesRegex("[0-9a-f]{32}"));
  EXPECT_EQ((*refs)[0].type_name(), "test.Thing");
  EXPECT_FALSE((*refs)[0].is_class());
  EXPECT_EQ((*refs)[1].type_name(), "test.Gadget");
  EXPECT_TRUE((*refs)[1].is_class());
  EXPECT_NE((*refs)[0].id(), (*refs)[1].id());
  EXPECT_EQ(table.size(), 2u);
}

TEST_F(HandleTableTest, FindReturnsTheTargetAsAdded) {
  HandleTable table(SequentialIds(), nullptr);
  auto thing = std::make_shared<Thing>();
  const std::string instance = AddOne(table, Instance(thing));
  const std::string klass = AddOne(table, ClassOf(gadget_, thing));
  const std::string restricted = AddOne(table, Restricted(thing));

  absl::StatusOr<HandleTarget> t = table.Find(instance);
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(t->object, thing);
  EXPECT_EQ(t->type, thing_);
  EXPECT_FALSE(t->is_class);
  EXPECT_EQ(t->restricted_olp, nullptr);

  t = table.Find(klass);
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(t->object, thing);  // the origin it was obtained from
  EXPECT_EQ(t->type, gadget_);
  EXPECT_TRUE(t->is_class);

  t = table.Find(restricted);
  ASSERT_THAT(t, IsOk());
  EXPECT_NE(t->restricted_olp, nullptr);
}

TEST_F(HandleTableTest, TheSameObjectTypeAndViewShareOneEntry) {
  HandleTable table(SequentialIds(), &live_);
  auto thing = std::make_shared<Thing>();
  const std::string first = AddOne(table, Instance(thing));
  const std::string again = AddOne(table, Instance(thing));
  EXPECT_EQ(again, first);
  auto batch = table.Add({Instance(thing), Instance(thing)}, 10);
  ASSERT_THAT(batch, IsOk());
  EXPECT_EQ((*batch)[0].id(), first);
  EXPECT_EQ((*batch)[1].id(), first);
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(References(table), (std::map<std::string, uint32_t>{{first, 4}}));
  EXPECT_EQ(live_.load(), 1);
}

TEST_F(HandleTableTest, ANewTargetTwiceInOneBatchIsOneEntryWithTwoReferences) {
  HandleTable table(SequentialIds(), nullptr);
  auto thing = std::make_shared<Thing>();
  auto batch = table.Add({Instance(thing), Instance(thing)}, 10);
  ASSERT_THAT(batch, IsOk());
  EXPECT_EQ((*batch)[0].id(), (*batch)[1].id());
  EXPECT_EQ(References(table), (std::map<std::string, uint32_t>{{(*batch)[0].id(), 2}}));
}

TEST_F(HandleTableTest, InstanceAndClassViewsOfOneObjectAreSeparateEntries) {
  HandleTable table(SequentialIds(), nullptr);
  auto thing = std::make_shared<Thing>();
  const std::string instance = AddOne(table, Instance(thing));
  const std::string own_class = AddOne(table, ClassOf(thing_, thing));
  const std::string other_class = AddOne(table, ClassOf(gadget_, thing));
  EXPECT_NE(instance, own_class);
  EXPECT_NE(own_class, other_class);
  EXPECT_NE(instance, other_class);
  EXPECT_EQ(table.size(), 3u);
  // Each view is still shared with itself.
  EXPECT_EQ(AddOne(table, ClassOf(thing_, thing)), own_class);
}

TEST_F(HandleTableTest, RestrictedHandlesAreNeverShared) {
  HandleTable table(SequentialIds(), &live_);
  auto thing = std::make_shared<Thing>();
  const std::string plain = AddOne(table, Instance(thing));
  const std::string narrowed = AddOne(table, Restricted(thing));
  const std::string narrowed_again = AddOne(table, Restricted(thing));
  EXPECT_NE(narrowed, plain);
  EXPECT_NE(narrowed_again, narrowed);
  // An unrestricted export still finds the unrestricted entry, never a
  // restricted one.
  EXPECT_EQ(AddOne(table, Instance(thing)), plain);
  EXPECT_EQ(References(table),
            (std::map<std::string, uint32_t>{{plain, 2}, {narrowed, 1}, {narrowed_again, 1}}));
  EXPECT_EQ(live_.load(), 3);

  // Released to zero, the restricted entry goes and the others stay.
  ASSERT_THAT(table.Release({narrowed}), IsOk());
  EXPECT_THAT(table.Find(narrowed), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(table.Find(plain), IsOk());
  EXPECT_EQ(table.size(), 2u);
}

TEST_F(HandleTableTest, ListShowsEveryEntryOrderedByIdWithCountsAndRestriction) {
  // Add() draws an id per target before it knows which ones are shared.
  std::vector<std::string> ids = {"c", "a", "b", "unused"};
  size_t next = 0;
  HandleTable table([&ids, &next] { return ids[next++]; }, nullptr);
  auto one = std::make_shared<Thing>();
  auto two = std::make_shared<Gadget>();
  ASSERT_THAT(table.Add({Instance(one), ClassOf(gadget_, one), Restricted(two), Instance(one)}, 10),
              IsOk());
  std::vector<v1::HandleInfo> list = table.List();
  ASSERT_THAT(list, SizeIs(3));
  EXPECT_EQ(list[0].ref().id(), "a");  // the class handle, made second
  EXPECT_TRUE(list[0].ref().is_class());
  EXPECT_EQ(list[0].ref().type_name(), "test.Gadget");
  EXPECT_EQ(list[0].references(), 1u);
  EXPECT_FALSE(list[0].restricted());
  EXPECT_EQ(list[1].ref().id(), "b");
  EXPECT_TRUE(list[1].restricted());
  EXPECT_EQ(list[1].ref().type_name(), "test.Gadget");
  EXPECT_EQ(list[2].ref().id(), "c");
  EXPECT_EQ(list[2].references(), 2u);
  EXPECT_FALSE(list[2].ref().is_class());
}

TEST_F(HandleTableTest, AnIdThatIsAlreadyLiveIsDrawnAgain) {
  std::vector<std::string> ids = {"dup", "dup", "fresh"};
  size_t next = 0;
  HandleTable table([&ids, &next] { return ids[next++]; }, nullptr);
  const std::string first = AddOne(table, Instance(std::make_shared<Thing>()));
  const std::string second = AddOne(table, Instance(std::make_shared<Thing>()));
  EXPECT_EQ(first, "dup");
  EXPECT_EQ(second, "fresh");
  EXPECT_EQ(table.size(), 2u);
}

TEST_F(HandleTableTest, UnknownReleasedAndForeignIdsAreTheSameNotFound) {
  HandleTable mine(RandomId128, nullptr);
  HandleTable theirs(RandomId128, nullptr);
  auto thing = std::make_shared<Thing>();
  const std::string released = AddOne(mine, Instance(thing));
  ASSERT_THAT(mine.Release({released}), IsOk());
  const std::string foreign = AddOne(theirs, Instance(thing));
  const std::string invented = "0123456789abcdef0123456789abcdef";

  for (const std::string& id : {released, foreign, invented}) {
    absl::Status s = mine.Find(id).status();
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound, NotFoundText(id))) << id;
    EXPECT_EQ(ReasonOf(s), "HANDLE_NOT_FOUND");
    EXPECT_EQ(GetErrorInfo(s)->gate(), "handle");
    EXPECT_THAT(mine.Release({id}),
                StatusIs(absl::StatusCode::kNotFound, NotFoundText(id) + "; nothing was released"));
  }
  EXPECT_THAT(theirs.Find(foreign), IsOk());  // the other table is untouched
}

TEST_F(HandleTableTest, AnIdInAnErrorIsEscapedAndCutShort) {
  HandleTable table(RandomId128, nullptr);
  EXPECT_THAT(table.Find("a'\n\x01"),
              StatusIs(absl::StatusCode::kNotFound, NotFoundText("a\\'\\n\\x01")));
  const std::string huge(100000, 'x');
  absl::Status s = table.Find(huge).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound,
                          NotFoundText(std::string(64, 'x') + "...(100000 bytes)")));
}

TEST_F(HandleTableTest, ReleaseDropsOneReferencePerIdAndTheEntryAtZero) {
  HandleTable table(SequentialIds(), &live_);
  auto thing = std::make_shared<Thing>();
  const std::string id = AddOne(table, Instance(thing));
  AddOne(table, Instance(thing));
  AddOne(table, Instance(thing));

  EXPECT_EQ(Released(table, {id}), 1);
  EXPECT_EQ(References(table)[id], 2u);
  EXPECT_EQ(Released(table, {id, id}), 2);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(live_.load(), 0);
  EXPECT_THAT(table.Find(id), StatusIs(absl::StatusCode::kNotFound));

  // Exported again, the object gets a new entry and a new id.
  const std::string again = AddOne(table, Instance(thing));
  EXPECT_NE(again, id);
  EXPECT_EQ(References(table)[again], 1u);
}

TEST_F(HandleTableTest, ReleasingNothingReleasesNothing) {
  HandleTable table(SequentialIds(), nullptr);
  AddOne(table, Instance(std::make_shared<Thing>()));
  EXPECT_EQ(Released(table, {}), 0);
  EXPECT_EQ(table.size(), 1u);
}

TEST_F(HandleTableTest, ReleaseWithAnUnknownIdReleasesNothing) {
  HandleTable table(SequentialIds(), &live_);
  auto thing = std::make_shared<Thing>();
  auto other = std::make_shared<Thing>();
  const std::string a = AddOne(table, Instance(thing));
  const std::string b = AddOne(table, Instance(other));
  absl::Status s = table.Release({a, b, "nope", a}).status();
  EXPECT_THAT(
      s, StatusIs(absl::StatusCode::kNotFound, NotFoundText("nope") + "; nothing was released"));
  EXPECT_EQ(ReasonOf(s), "HANDLE_NOT_FOUND");
  EXPECT_EQ(References(table), (std::map<std::string, uint32_t>{{a, 1}, {b, 1}}));
  EXPECT_EQ(live_.load(), 2);
}

TEST_F(HandleTableTest, ReleasingMoreTimesThanHeldReleasesNothingAndSaysHowMany) {
  HandleTable table(SequentialIds(), nullptr);
  auto thing = std::make_shared<Thing>();
  auto other = std::make_shared<Thing>();
  const std::string once = AddOne(table, Instance(other));
  const std::string twice = AddOne(table, Instance(thing));
  AddOne(table, Instance(thing));

  absl::Status s = table.Release({once, twice, twice, twice}).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound,
                          absl::StrCat("handle '", twice,
                                       "' is held 2 times in this session, but the request "
                                       "releases it 3 times; nothing was released")));
  EXPECT_EQ(ReasonOf(s), "HANDLE_NOT_FOUND");
  EXPECT_THAT(table.Release({once, once}),
              StatusIs(absl::StatusCode::kNotFound,
                       absl::StrCat("handle '", once,
                                    "' is held 1 time in this session, but the request "
                                    "releases it 2 times; nothing was released")));
  EXPECT_EQ(References(table), (std::map<std::string, uint32_t>{{once, 1}, {twice, 2}}));
}

TEST_F(HandleTableTest, TheHandleQuotaRefusesNewEntriesAndNamesTheLimit) {
  HandleTable table(SequentialIds(), &live_);
  auto a = std::make_shared<Thing>();
  auto b = std::make_shared<Thing>();
  auto c = std::make_shared<Thing>();
  const std::string id_a = AddOne(table, Instance(a), 2);
  AddOne(table, Instance(b), 2);

  absl::Status s = table.Add({Instance(c)}, 2).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kResourceExhausted,
                          "this session would hold more than max_handles_per_session (2) "
                          "handles; release some first"));
  EXPECT_EQ(ReasonOf(s), "QUOTA_HANDLES");
  EXPECT_EQ(GetErrorInfo(s)->gate(), "quota");

  // At the quota, more references to an existing entry are no new entries.
  EXPECT_EQ(AddOne(table, Instance(a), 2), id_a);
  // A restricted handle is always a new entry.
  EXPECT_THAT(table.Add({Restricted(a)}, 2), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(live_.load(), 2);

  // Releasing makes room again.
  ASSERT_THAT(table.Release({id_a, id_a}), IsOk());
  EXPECT_THAT(table.Add({Instance(c)}, 2), IsOk());
}

TEST_F(HandleTableTest, ABatchOverTheQuotaAddsNothing) {
  HandleTable table(SequentialIds(), &live_);
  auto shared = std::make_shared<Thing>();
  const std::string id = AddOne(table, Instance(shared), 3);
  auto fresh1 = std::make_shared<Thing>();
  auto fresh2 = std::make_shared<Thing>();
  auto fresh3 = std::make_shared<Thing>();
  // Two new entries fit (the repeated one counts once), a third does not.
  EXPECT_THAT(
      table.Add({Instance(shared), Instance(fresh1), Instance(fresh1), Instance(fresh2)}, 3),
      IsOk());
  EXPECT_THAT(table.Add({Instance(shared), Instance(fresh3)}, 3),
              StatusIs(absl::StatusCode::kResourceExhausted));
  // The refused batch left even the existing entry's count alone.
  EXPECT_EQ(References(table)[id], 2u);
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(live_.load(), 3);
}

TEST_F(HandleTableTest, CloseDropsEverythingOnceAndRefusesLaterAdds) {
  HandleTable table(SequentialIds(), &live_);
  std::weak_ptr<Object> watched;
  std::string id;
  {
    auto thing = std::make_shared<Thing>();
    watched = thing;
    id = AddOne(table, Instance(thing));
    AddOne(table, Instance(thing));
    AddOne(table, Restricted(thing));
  }
  EXPECT_FALSE(watched.expired());  // the table holds it
  EXPECT_EQ(table.Close(), 2u);     // entries, not references
  EXPECT_TRUE(watched.expired());
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(live_.load(), 0);
  EXPECT_THAT(table.List(), SizeIs(0));
  EXPECT_THAT(table.Find(id), StatusIs(absl::StatusCode::kNotFound, NotFoundText(id)));

  absl::Status s = table.Add({Instance(std::make_shared<Thing>())}, 10).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound, "session not found"));
  EXPECT_EQ(ReasonOf(s), "SESSION_NOT_FOUND");
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.Close(), 0u);  // idempotent
  EXPECT_EQ(live_.load(), 0);
}

TEST_F(HandleTableTest, DestroyingTheTableReleasesItsObjectsAndTheCounter) {
  std::weak_ptr<Object> watched;
  {
    HandleTable table(SequentialIds(), &live_);
    auto thing = std::make_shared<Thing>();
    watched = thing;
    AddOne(table, Instance(thing));
    EXPECT_EQ(live_.load(), 1);
  }
  EXPECT_TRUE(watched.expired());
  EXPECT_EQ(live_.load(), 0);
}

TEST_F(HandleTableTest, ObjectsAreDestroyedWithTheTableUnlocked) {
  // A destructor is arbitrary code; this one calls back into the table,
  // which would deadlock if the table still held its lock.
  HandleTable table(SequentialIds(), nullptr);
  std::vector<size_t> seen;
  auto on_destroy = [&table, &seen] { seen.push_back(table.size()); };
  std::string id = AddOne(table, Instance(std::make_shared<Thing>(on_destroy)));
  ASSERT_THAT(table.Release({id}), IsOk());
  AddOne(table, Instance(std::make_shared<Thing>(on_destroy)));
  AddOne(table, Instance(std::make_shared<Thing>(on_destroy)));
  table.Close();
  EXPECT_THAT(seen, ElementsAre(0u, 0u, 0u));
}

TEST_F(HandleTableTest, AHandlePinsTheAncestorsItsObjectHadWhenMade) {
  HandleTable table(SequentialIds(), nullptr);
  auto child = std::make_shared<Thing>();
  std::weak_ptr<Object> watched_parent;
  std::weak_ptr<Object> watched_grandparent;
  {
    auto grandparent = std::make_shared<Thing>();
    auto parent = std::make_shared<Thing>();
    parent->SetLocation(grandparent, "p");
    child->SetLocation(parent, "c");
    watched_parent = parent;
    watched_grandparent = grandparent;
  }
  // Children refer to parents weakly: without a handle the lineage is gone.
  EXPECT_TRUE(watched_parent.expired());

  auto pinned_child = std::make_shared<Thing>();
  {
    auto grandparent = std::make_shared<Thing>();
    auto parent = std::make_shared<Thing>();
    parent->SetLocation(grandparent, "p");
    pinned_child->SetLocation(parent, "c");
    watched_parent = parent;
    watched_grandparent = grandparent;
    const std::string id = AddOne(table, Instance(pinned_child));
    EXPECT_FALSE(id.empty());
  }
  EXPECT_FALSE(watched_parent.expired());
  EXPECT_FALSE(watched_grandparent.expired());
  EXPECT_NE(pinned_child->parent(), nullptr);
  EXPECT_NE(pinned_child->parent()->parent(), nullptr);

  table.Close();
  EXPECT_TRUE(watched_parent.expired());
  EXPECT_TRUE(watched_grandparent.expired());
}

TEST_F(HandleTableTest, TheLiveCounterIsTheSumOverTables) {
  HandleTable one(SequentialIds(), &live_);
  HandleTable two(SequentialIds(), &live_);
  auto thing = std::make_shared<Thing>();
  AddOne(one, Instance(thing));
  AddOne(one, Instance(thing));  // shared: no new entry
  AddOne(two, Instance(thing));  // another table: its own entry
  const std::string restricted = AddOne(two, Restricted(thing));
  EXPECT_EQ(live_.load(), 3);
  ASSERT_THAT(two.Release({restricted}), IsOk());
  EXPECT_EQ(live_.load(), 2);
  EXPECT_THAT(two.Add({Instance(std::make_shared<Thing>())}, 1),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(live_.load(), 2);
  one.Close();
  EXPECT_EQ(live_.load(), 1);
}

TEST_F(HandleTableTest, ThreadsSharingOneObjectShareOneEntry) {
  HandleTable table(RandomId128, &live_);
  auto common = std::make_shared<Thing>();
  constexpr int kThreads = 4;
  constexpr int kRounds = 200;
  std::vector<std::vector<std::string>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto own = std::make_shared<Thing>();
      for (int i = 0; i < kRounds; ++i) {
        auto refs = table.Add({Instance(common), Instance(own)}, 1000);
        if (!refs.ok()) continue;  // counted as missing below
        ids[t].push_back((*refs)[0].id());
        // Each thread's own object comes and goes while the others work.
        EXPECT_THAT(table.Find((*refs)[1].id()), IsOk());
        EXPECT_THAT(table.Release({(*refs)[1].id()}), IsOk());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<std::string> distinct;
  for (const auto& v : ids) {
    EXPECT_THAT(v, SizeIs(kRounds));
    distinct.insert(v.begin(), v.end());
  }
  ASSERT_THAT(distinct, SizeIs(1));
  const std::string id = *distinct.begin();
  EXPECT_EQ(References(table), (std::map<std::string, uint32_t>{{id, kThreads * kRounds}}));
  EXPECT_EQ(live_.load(), 1);

  threads.clear();
  std::atomic<int> failed_releases{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRounds; ++i) {
        if (!table.Release({id}).ok()) ++failed_releases;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failed_releases.load(), 0);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(live_.load(), 0);
}

TEST_F(HandleTableTest, AddsRacingCloseLeaveNothingBehind) {
  HandleTable table(RandomId128, &live_);
  constexpr int kThreads = 3;
  std::atomic<int> started{0};
  std::vector<std::vector<bool>> outcomes(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ++started;
      for (int i = 0; i < 300; ++i) {
        absl::Status s = table.Add({Instance(std::make_shared<Thing>())}, 100000).status();
        EXPECT_TRUE(s.ok() || ReasonOf(s) == "SESSION_NOT_FOUND") << s;
        outcomes[t].push_back(s.ok());
      }
    });
  }
  while (started.load() < kThreads) std::this_thread::yield();
  table.Close();
  for (std::thread& t : threads) t.join();
  // Once closed, a table stays closed and empty.
  for (const std::vector<bool>& o : outcomes) {
    auto first_refusal = std::find(o.begin(), o.end(), false);
    EXPECT_EQ(std::find(first_refusal, o.end(), true), o.end());
  }
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(live_.load(), 0);
  EXPECT_THAT(table.Add({Instance(std::make_shared<Thing>())}, 10),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace orb::testing
