// orb::client::Ref::Watch against a real broker on an ephemeral loopback
// port, over the Stream transport and over unary calls: the first event and
// the changes pushed after it, start errors as the StatusOr's error, the
// ends (the subscription destroyed, the handle released, the session
// closed) and a callback that destroys its own subscription.
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/sync.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orb/client/client.h"
#include "tests/client/connect.h"
#include "tests/integration/caller.h"
#include "tests/testing/test_support.h"

namespace orb::testing {
namespace {

using orb::client::Subscription;
using orb::client::Value;
using orb::client::WatchEvent;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Long enough for any event on a loaded machine; only reached when the
// event never comes, and the test then fails.
constexpr absl::Duration kPatience = absl::Seconds(20);

std::vector<std::string> Keys(const WatchEvent& event) {
  std::vector<std::string> keys;
  for (const auto& [name, value] : event.values) keys.push_back(name);
  return keys;
}

// What a subscription's callbacks saw, handed to the test's thread.
class Recorder {
 public:
  orb::client::WatchEventCallback OnEvent() {
    return [this](const WatchEvent& event) { Push(event); };
  }
  orb::client::WatchEndCallback OnEnd() {
    return [this](const absl::Status& status) { End(status); };
  }

  void Push(const WatchEvent& event) ABSL_LOCKS_EXCLUDED(mu_) {
    MutexHold lock(&mu_);
    events_.push_back(event);
  }
  void End(const absl::Status& status) ABSL_LOCKS_EXCLUDED(mu_) {
    MutexHold lock(&mu_);
    ++ends_;
    end_ = status;
  }
  // The next event, or nullopt when none came within kPatience.
  std::optional<WatchEvent> Next() ABSL_LOCKS_EXCLUDED(mu_) {
    MutexHold lock(&mu_);
    if (!AwaitWithTimeout(&mu_, absl::Condition(this, &Recorder::HasEvent), kPatience)) {
      return std::nullopt;
    }
    WatchEvent event = std::move(events_.front());
    events_.pop_front();
    return event;
  }
  // The end status, waiting up to kPatience for it (nullopt: none came).
  std::optional<absl::Status> AwaitEnd() ABSL_LOCKS_EXCLUDED(mu_) {
    MutexHold lock(&mu_);
    AwaitWithTimeout(&mu_, absl::Condition(this, &Recorder::Ended), kPatience);
    return end_;
  }
  // The end status seen so far, without waiting.
  std::optional<absl::Status> end() ABSL_LOCKS_EXCLUDED(mu_) {
    MutexHold lock(&mu_);
    return end_;
  }
  size_t size() ABSL_LOCKS_EXCLUDED(mu_) {
    MutexHold lock(&mu_);
    return events_.size();
  }
  int ends() ABSL_LOCKS_EXCLUDED(mu_) {
    MutexHold lock(&mu_);
    return ends_;
  }

 private:
  bool HasEvent() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !events_.empty(); }
  bool Ended() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return end_.has_value(); }

  absl::Mutex mu_;
  std::deque<WatchEvent> events_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Status> end_ ABSL_GUARDED_BY(mu_);
  int ends_ ABSL_GUARDED_BY(mu_) = 0;
};

// Every test runs twice: with the Stream transport (the default) and with
// unary calls; a watch is its own call either way.
class WatchTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { ASSERT_TRUE(server_->started()); }

  orb::client::Client Connect(const std::string& token) {
    orb::client::ClientOptions options;
    options.use_stream = GetParam();
    options.target = server_->address();
    options.token = token;
    options.release_delay = absl::ZeroDuration();
    return ConnectOrFail(options);
  }
  orb::client::Session Open(const orb::client::Client& client) { return OpenOrFail(client); }

  std::unique_ptr<BrokerServer> server_ = std::make_unique<BrokerServer>();
};

TEST_P(WatchTest, TheFirstEventHoldsTheValuesThenEachChangeIsPushed) {
  orb::client::Client bob = Connect(kBobToken);
  orb::client::Session bobs = Open(bob);
  orb::client::Client alice = Connect(kAliceToken);
  orb::client::Session alices = Open(alice);
  Recorder seen;
  absl::StatusOr<Subscription> watch =
      bobs.root().Watch({"title", "entry_count"}, seen.OnEvent(), seen.OnEnd());
  ASSERT_THAT(watch, IsOk());

  std::optional<WatchEvent> first = seen.Next();
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->initial);
  EXPECT_THAT(Keys(*first), ElementsAre("entry_count", "title"));
  EXPECT_EQ(first->values.at("entry_count"), Value(0));
  EXPECT_EQ(first->values.at("title"), Value("orb demo blog"));

  // A method that announces its change (add_entry: entry_count).
  ASSERT_THAT(alices.root().Call("add_entry", {"a", "b"}), IsOk());
  std::optional<WatchEvent> added = seen.Next();
  ASSERT_TRUE(added.has_value());
  EXPECT_FALSE(added->initial);
  EXPECT_THAT(Keys(*added), ElementsAre("entry_count"));
  EXPECT_EQ(added->values.at("entry_count"), Value(1));

  // SetAttr announces by itself.
  ASSERT_THAT(alices.root().Set("title", "renamed"), IsOk());
  std::optional<WatchEvent> renamed = seen.Next();
  ASSERT_TRUE(renamed.has_value());
  EXPECT_THAT(Keys(*renamed), ElementsAre("title"));
  EXPECT_EQ(renamed->values.at("title"), Value("renamed"));
  EXPECT_THAT(renamed->dropped, IsEmpty());
  EXPECT_EQ(seen.ends(), 0);
}

TEST_P(WatchTest, AHandleInAnEventIsARefOfTheSession) {
  orb::client::Client bob = Connect(kBobToken);
  orb::client::Session bobs = Open(bob);
  Recorder seen;
  // The blog's attribute "Entry" holds a class handle.
  absl::StatusOr<Subscription> watch = bobs.root().Watch({"Entry"}, seen.OnEvent());
  ASSERT_THAT(watch, IsOk());
  std::optional<WatchEvent> first = seen.Next();
  ASSERT_TRUE(first.has_value());
  absl::StatusOr<orb::client::Ref> cls = first->values.at("Entry").AsRef();
  ASSERT_THAT(cls, IsOk());
  EXPECT_TRUE(cls->is_class());
  // Usable in the watcher's session like any Ref a Get returned.
  EXPECT_THAT(cls->Get("max_title_length"), IsOk());
}

TEST_P(WatchTest, AStartErrorComesBackAsTheStatusWithItsReason) {
  orb::client::Client bob = Connect(kBobToken);
  orb::client::Session bobs = Open(bob);
  Recorder seen;
  absl::StatusOr<Subscription> hidden = bobs.root().Watch({"_secret"}, seen.OnEvent(), seen.OnEnd());
  EXPECT_THAT(hidden, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(orb::client::ErrorInfoOf(hidden.status())->reason, "NAME_NOT_FOUND");

  absl::StatusOr<Value> cls = bobs.root().Get("Entry");
  ASSERT_THAT(cls, IsOk());
  absl::StatusOr<Subscription> of_class =
      cls->AsRef()->Watch({"max_title_length"}, seen.OnEvent(), seen.OnEnd());
  EXPECT_THAT(of_class, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(orb::client::ErrorInfoOf(of_class.status())->reason, "NOT_WATCHABLE");

  EXPECT_THAT(bobs.root().Watch({}, seen.OnEvent()), StatusIs(absl::StatusCode::kInvalidArgument));
  // Refused starts never call back.
  EXPECT_EQ(seen.ends(), 0);
  EXPECT_FALSE(seen.end().has_value());
}

TEST_P(WatchTest, WatchesBeyondTheSessionsQuotaAreRefused) {
  server_ = std::make_unique<BrokerServer>(DemoPolicy("limits { max_watches_per_session: 1 }"));
  ASSERT_TRUE(server_->started());
  orb::client::Client bob = Connect(kBobToken);
  orb::client::Session bobs = Open(bob);
  Recorder seen;
  absl::StatusOr<Subscription> first = bobs.root().Watch({"title"}, seen.OnEvent());
  ASSERT_THAT(first, IsOk());
  absl::StatusOr<Subscription> second = bobs.root().Watch({"title"}, seen.OnEvent());
  EXPECT_THAT(second, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(orb::client::ErrorInfoOf(second.status())->reason, "QUOTA_WATCHES");
}

TEST_P(WatchTest, DestroyingTheSubscriptionEndsItWithCancelledBeforeItReturns) {
  orb::client::Client bob = Connect(kBobToken);
  orb::client::Session bobs = Open(bob);
  Recorder seen;
  auto watch = std::make_unique<absl::StatusOr<Subscription>>(
      bobs.root().Watch({"title"}, seen.OnEvent(), seen.OnEnd()));
  ASSERT_THAT(*watch, IsOk());
  EXPECT_FALSE(seen.end().has_value());
  watch.reset();
  // The destructor waited for on_end: no waiting here.
  std::optional<absl::Status> end = seen.end();
  ASSERT_TRUE(end.has_value());
  EXPECT_THAT(*end, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(seen.ends(), 1);
}

TEST_P(WatchTest, CancelEndsTheWatchOnceAndLeavesTheSubscriptionEmpty) {
  orb::client::Client bob = Connect(kBobToken);
  orb::client::Session bobs = Open(bob);
  Recorder seen;
  absl::StatusOr<Subscription> watch = bobs.root().Watch({"title"}, seen.OnEvent(), seen.OnEnd());
  ASSERT_THAT(watch, IsOk());
  EXPECT_TRUE(static_cast<bool>(*watch));
  Subscription moved = *std::move(watch);
  moved.Cancel();
  EXPECT_FALSE(static_cast<bool>(moved));
  moved.Cancel();
  EXPECT_EQ(seen.ends(), 1);
  EXPECT_THAT(*seen.end(), StatusIs(absl::StatusCode::kCancelled));
}

TEST_P(WatchTest, ReleasingTheHandleEndsTheWatchWithNotFound) {
  orb::client::Client bob = Connect(kBobToken);
  orb::client::Session bobs = Open(bob);
  absl::StatusOr<Value> entry = bobs.root().Call("add_entry", {"t", "b"});
  ASSERT_THAT(entry, IsOk());
  const std::string id = entry->AsRef()->id();
  Recorder seen;
  absl::StatusOr<Subscription> watch = entry->AsRef()->Watch({"body"}, seen.OnEvent(), seen.OnEnd());
  ASSERT_THAT(watch, IsOk());
  // The subscription keeps its Ref: released here behind the client's back.
  Caller raw(*server_, kBobToken);
  raw.set_session(bobs.id());
  ASSERT_TRUE(raw.Release({id}).ok());
  std::optional<absl::Status> end = seen.AwaitEnd();
  ASSERT_TRUE(end.has_value()) << "the watch did not end";
  EXPECT_THAT(*end, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(orb::client::ErrorInfoOf(*end)->reason, "HANDLE_NOT_FOUND");
}

TEST_P(WatchTest, ClosingTheSessionEndsTheWatchWithNotFound) {
  orb::client::Client bob = Connect(kBobToken);
  orb::client::Session bobs = Open(bob);
  Recorder seen;
  absl::StatusOr<Subscription> watch = bobs.root().Watch({"title"}, seen.OnEvent(), seen.OnEnd());
  ASSERT_THAT(watch, IsOk());
  // Close does not wait for the watch; the broker ends it.
  ASSERT_THAT(bobs.Close(), IsOk());
  std::optional<absl::Status> end = seen.AwaitEnd();
  ASSERT_TRUE(end.has_value()) << "the watch did not end";
  EXPECT_THAT(*end, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(orb::client::ErrorInfoOf(*end)->reason, "SESSION_NOT_FOUND");
  // A closed session starts no watch.
  EXPECT_THAT(bobs.root().Watch({"title"}, seen.OnEvent()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

// The subscription, reachable from its own callback.
class Holder {
 public:
  void Set(Subscription s) ABSL_LOCKS_EXCLUDED(mu_) {
    MutexHold lock(&mu_);
    subscription_ = std::move(s);
  }
  Subscription Take() ABSL_LOCKS_EXCLUDED(mu_) {
    MutexHold lock(&mu_);
    return std::move(subscription_);
  }

 private:
  absl::Mutex mu_;
  Subscription subscription_ ABSL_GUARDED_BY(mu_);
};

TEST_P(WatchTest, ACallbackThatDestroysItsOwnSubscriptionDoesNotDeadlock) {
  // Alice may edit the title.
  orb::client::Client alice = Connect(kAliceToken);
  orb::client::Session alices = Open(alice);
  Recorder seen;
  Holder holder;
  absl::StatusOr<Subscription> watch = alices.root().Watch(
      {"title"},
      [&](const WatchEvent& event) {
        seen.Push(event);
        // Destroyed here, in its own callback: must return, not wait.
        if (!event.initial) {
          Subscription mine = holder.Take();
        }
      },
      seen.OnEnd());
  ASSERT_THAT(watch, IsOk());
  holder.Set(*std::move(watch));
  ASSERT_THAT(alices.root().Set("title", "changed"), IsOk());
  std::optional<absl::Status> end = seen.AwaitEnd();
  ASSERT_TRUE(end.has_value()) << "on_end never ran";
  EXPECT_THAT(*end, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(seen.ends(), 1);
  // on_end is the last callback: the initial event and the change, no more.
  EXPECT_EQ(seen.size(), 2u);
  ASSERT_TRUE(seen.Next().has_value());
  std::optional<WatchEvent> changed = seen.Next();
  ASSERT_TRUE(changed.has_value());
  EXPECT_EQ(changed->values.at("title"), Value("changed"));
}

INSTANTIATE_TEST_SUITE_P(Transports, WatchTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Stream" : "Unary";
                         });

}  // namespace
}  // namespace orb::testing
