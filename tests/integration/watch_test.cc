// orb.v1.ObjectBroker/Watch against a real server: the first event and the
// changes after it (announced by a method, by SetAttr), names left out as
// GetAttrs leaves them out, coalescing for a watcher that does not read,
// the ends (handle released, session closed, a reload that takes every
// name away) and the refusals (class handle, names, quota, another
// identity's session).
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orb/demo/blog.h"
#include "tests/integration/caller.h"
#include "tests/testing/builders.h"

namespace orb::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

std::vector<std::string> Keys(const v1::WatchEvent& event) {
  std::vector<std::string> keys;
  for (const auto& [name, value] : event.values()) keys.push_back(name);
  return keys;
}

// One Watch call as bob (or `token`), read event by event.
class WatchCall {
 public:
  WatchCall(Caller& caller, const std::string& token, const std::string& handle,
            std::vector<std::string> names) {
    context_.AddMetadata("authorization", "Bearer " + token);
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::WatchRequest request;
    request.set_session(caller.session());
    request.set_handle(handle);
    for (std::string& name : names) request.add_names(std::move(name));
    reader_ = caller.stub().Watch(&context_, request);
  }
  ~WatchCall() {
    if (finished_) return;
    context_.TryCancel();
    Finish();
  }

  // The next event; fails the test when the call ended instead.
  v1::WatchEvent Next() {
    v1::WatchEvent event;
    if (!reader_->Read(&event)) ADD_FAILURE() << "the watch ended: " << Finish().error_message();
    return event;
  }
  // The next event, or false when the call ended (see Finish()).
  bool TryNext(v1::WatchEvent* event) { return reader_->Read(event); }
  // Reads until the call ends; returns its status.
  grpc::Status Finish() {
    v1::WatchEvent rest;
    while (reader_->Read(&rest)) {
    }
    finished_ = true;
    return reader_->Finish();
  }
  void Cancel() { context_.TryCancel(); }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> reader_;
  bool finished_ = false;
};

class WatchTest : public ::testing::Test {
 protected:
  void Start(policy::PolicyPtr policy) {
    broker_ = std::make_unique<BrokerServer>(std::move(policy));
    ASSERT_TRUE(broker_->started());
    bob_ = std::make_unique<Caller>(*broker_, kBobToken);
    alice_ = std::make_unique<Caller>(*broker_, kAliceToken);
    ASSERT_TRUE(bob_->Open().ok());
    ASSERT_TRUE(alice_->Open().ok());
  }
  void SetUp() override { Start(DemoPolicy()); }

  std::unique_ptr<BrokerServer> broker_;
  std::unique_ptr<Caller> bob_;
  std::unique_ptr<Caller> alice_;
};

TEST_F(WatchTest, TheFirstEventHoldsTheValuesThenEachChangeIsPushed) {
  WatchCall watch(*bob_, kBobToken, bob_->root(), {"title", "entry_count"});
  v1::WatchEvent first = watch.Next();
  EXPECT_TRUE(first.initial());
  EXPECT_THAT(Keys(first), UnorderedElementsAre("title", "entry_count"));
  EXPECT_EQ(first.values().at("entry_count").int_value(), 0);

  // A method that announces its change (add_entry: entry_count).
  v1::Value entry;
  ASSERT_TRUE(alice_->Call(alice_->root(), "add_entry", {Str("a"), Str("b")}, &entry).ok());
  v1::WatchEvent added = watch.Next();
  EXPECT_FALSE(added.initial());
  EXPECT_THAT(Keys(added), ElementsAre("entry_count"));
  EXPECT_EQ(added.values().at("entry_count").int_value(), 1);

  // SetAttr announces by itself.
  ASSERT_TRUE(alice_->SetAttr(alice_->root(), "title", Str("renamed")).ok());
  v1::WatchEvent renamed = watch.Next();
  EXPECT_THAT(Keys(renamed), ElementsAre("title"));
  EXPECT_EQ(renamed.values().at("title").string_value(), "renamed");
}

TEST_F(WatchTest, NamesTheWatcherMayNotReadAreLeftOutAsInGetAttrs) {
  WatchCall watch(*bob_, kBobToken, bob_->root(), {"title", "_secret", "no_such", "add_entry"});
  v1::WatchEvent first = watch.Next();
  EXPECT_THAT(Keys(first), ElementsAre("title"));
  EXPECT_TRUE(first.dropped().empty());

  WatchCall hidden(*bob_, kBobToken, bob_->root(), {"_secret"});
  grpc::Status status = hidden.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ErrorInfoOf(status).reason(), "NAME_NOT_FOUND");
  EXPECT_THAT(status.error_message(), HasSubstr("has no attribute '_secret'"));
}

TEST_F(WatchTest, WatchesOpenedWhileTheirObjectChangesWithoutPauseEachStartWithOneInitialEvent) {
  // A change can wake a watch as soon as the broker registers it, before
  // the call is fully set up: such a wake must neither run a read early
  // nor start a second one. Writers change the title without pause while
  // watchers open watch after watch on it.
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&, w] {
      Caller writer(*broker_, kAliceToken);
      if (!writer.Open().ok()) return;
      for (int i = 0; !stop.load(); ++i) {
        if (!writer.SetAttr(writer.root(), "title", Str(absl::StrCat(w, ":", i))).ok()) return;
      }
    });
  }
  std::vector<std::thread> watchers;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t) {
    watchers.emplace_back([&] {
      Caller watcher(*broker_, kBobToken);
      if (!watcher.Open().ok()) {
        ++bad;
        return;
      }
      for (int i = 0; i < 250; ++i) {
        WatchCall watch(watcher, kBobToken, watcher.root(), {"title"});
        v1::WatchEvent first;
        v1::WatchEvent next;
        if (!watch.TryNext(&first) || !first.initial() || !watch.TryNext(&next) ||
            next.initial()) {
          ++bad;
        }
      }
    });
  }
  for (std::thread& watcher : watchers) watcher.join();
  stop = true;
  for (std::thread& writer : writers) writer.join();
  EXPECT_EQ(bad.load(), 0) << "watches that did not start with exactly one initial event";
}

TEST_F(WatchTest, ASlowWatcherGetsTheLatestValueNotAQueue) {
  v1::Value entry;
  ASSERT_TRUE(alice_->Call(alice_->root(), "add_entry", {Str("a"), Str("b")}, &entry).ok());
  v1::Value bobs_entry;
  ASSERT_TRUE(bob_->Call(bob_->root(), "entry", {Str("entry-1")}, &bobs_entry).ok());
  WatchCall watch(*bob_, kBobToken, bobs_entry.handle().id(), {"body"});
  watch.Next();
  // 200 changes of 64 KiB each while bob reads nothing: far more than
  // gRPC's flow-control windows hold, so the broker has to wait for bob.
  constexpr int kChanges = 200;
  for (int i = 0; i < kChanges; ++i) {
    std::string body = absl::StrCat("v", i, ":") + std::string(64 * 1024, 'x');
    ASSERT_TRUE(alice_->SetAttr(entry.handle().id(), "body", Str(std::move(body))).ok());
  }
  // Each event holds the value as it was when sent; the last is the last
  // change, and far fewer events than changes came.
  int events = 0;
  std::string last;
  while (!absl::StartsWith(last, absl::StrCat("v", kChanges - 1, ":"))) {
    v1::WatchEvent event = watch.Next();
    ASSERT_EQ(event.values().count("body"), 1u) << "the watch ended or sent nothing";
    last = event.values().at("body").string_value();
    ASSERT_LT(++events, kChanges / 2) << "changes were queued, not coalesced";
  }
}

TEST_F(WatchTest, ReleasingTheHandleEndsTheWatch) {
  v1::Value entry;
  ASSERT_TRUE(bob_->GetAttr(bob_->root(), "Entry", &entry).ok());  // a second handle
  WatchCall watch(*bob_, kBobToken, bob_->root(), {"title"});
  watch.Next();
  ASSERT_TRUE(bob_->Release({bob_->root()}).ok());
  grpc::Status status = watch.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ErrorInfoOf(status).reason(), "HANDLE_NOT_FOUND");
}

TEST_F(WatchTest, ClosingTheSessionEndsTheWatch) {
  WatchCall watch(*bob_, kBobToken, bob_->root(), {"title"});
  watch.Next();
  grpc::ClientContext context;
  context.AddMetadata("authorization", std::string("Bearer ") + kBobToken);
  v1::CloseSessionRequest close;
  close.set_session(bob_->session());
  v1::CloseSessionResponse closed;
  ASSERT_TRUE(bob_->stub().CloseSession(&context, close, &closed).ok());
  grpc::Status status = watch.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ErrorInfoOf(status).reason(), "SESSION_NOT_FOUND");
}

TEST_F(WatchTest, AReloadThatHidesANameDropsItAndOneThatHidesAllEndsTheWatch) {
  WatchCall watch(*bob_, kBobToken, bob_->root(), {"title", "entry_count"});
  watch.Next();
  // entry_count is no longer exposed; add_entry stays callable.
  broker_->core().SetPolicy(DemoPolicy(R"(
type {
  name: "demo.Blog"
  olp { instance {
    getattr { name: "title" }
    setattr { name: "title" permission: "edit" }
    call { name: "add_entry" permission: "add" }
  } }
})"));
  v1::Value entry;
  ASSERT_TRUE(alice_->Call(alice_->root(), "add_entry", {Str("a"), Str("b")}, &entry).ok());
  v1::WatchEvent dropped = watch.Next();
  EXPECT_TRUE(dropped.values().empty()) << dropped.DebugString();
  EXPECT_THAT(dropped.dropped(), ElementsAre("entry_count"));
  // title is still watched.
  ASSERT_TRUE(alice_->SetAttr(alice_->root(), "title", Str("still")).ok());
  EXPECT_EQ(watch.Next().values().at("title").string_value(), "still");

  // Now nothing bob watches is readable: the watch ends.
  broker_->core().SetPolicy(DemoPolicy(R"(
type {
  name: "demo.Blog"
  olp { instance { setattr { name: "title" permission: "edit" } } }
})"));
  ASSERT_TRUE(alice_->SetAttr(alice_->root(), "title", Str("gone")).ok());
  grpc::Status status = watch.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ErrorInfoOf(status).reason(), "WATCH_NOTHING_LEFT");
}

TEST_F(WatchTest, BadRequestsAreRefusedWithTheUnaryErrors) {
  v1::Value cls;
  ASSERT_TRUE(bob_->GetAttr(bob_->root(), "Entry", &cls).ok());
  ASSERT_TRUE(cls.handle().is_class());
  {
    WatchCall watch(*bob_, kBobToken, cls.handle().id(), {"max_title_length"});
    grpc::Status status = watch.Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(ErrorInfoOf(status).reason(), "NOT_WATCHABLE");
  }
  {
    WatchCall watch(*bob_, kBobToken, bob_->root(), {});
    grpc::Status status = watch.Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("names no attribute"));
  }
  {
    std::vector<std::string> many(65, "title");
    WatchCall watch(*bob_, kBobToken, bob_->root(), many);
    grpc::Status status = watch.Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("max_names_per_watch"));
  }
  {
    WatchCall watch(*bob_, kBobToken, "no-such-handle", {"title"});
    EXPECT_EQ(ErrorInfoOf(watch.Finish()).reason(), "HANDLE_NOT_FOUND");
  }
  {
    // Alice's session is not bob's: exactly an unknown session.
    WatchCall watch(*alice_, kBobToken, alice_->root(), {"title"});
    grpc::Status status = watch.Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(ErrorInfoOf(status).reason(), "SESSION_NOT_FOUND");
  }
}

TEST_F(WatchTest, WatchesPerSessionAreLimitedAndAnEndedOneFreesItsPlace) {
  Start(DemoPolicy("limits { max_watches_per_session: 2 }"));
  auto first = std::make_unique<WatchCall>(*bob_, kBobToken, bob_->root(),
                                           std::vector<std::string>{"title"});
  first->Next();
  WatchCall second(*bob_, kBobToken, bob_->root(), {"title"});
  second.Next();
  {
    WatchCall third(*bob_, kBobToken, bob_->root(), {"title"});
    grpc::Status status = third.Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_EQ(ErrorInfoOf(status).reason(), "QUOTA_WATCHES");
  }
  // Another session has its own quota.
  WatchCall alices(*alice_, kAliceToken, alice_->root(), {"title"});
  alices.Next();
  first.reset();  // cancelled: its place is free once the broker has seen it end
  for (int attempt = 0;; ++attempt) {
    WatchCall again(*bob_, kBobToken, bob_->root(), {"title"});
    v1::WatchEvent event;
    if (again.TryNext(&event)) {
      EXPECT_TRUE(event.initial());
      break;
    }
    // QUOTA_WATCHES while the cancel is still on its way to the broker.
    grpc::Status status = again.Finish();
    ASSERT_EQ(ErrorInfoOf(status).reason(), "QUOTA_WATCHES") << status.error_message();
    ASSERT_LT(attempt, 500) << "the cancelled watch never gave its place back";
    absl::SleepFor(absl::Milliseconds(10));
  }
}

}  // namespace
}  // namespace orb::testing
