// test.Gadget: a test-only type for fault and reload tests. Its methods
// block until released, sleep while watching their CallContext, or throw.
// Gadgets made by spawn() share one Switchboard, so a test can release or
// count every call at once.
//
//   call ping() -> "pong"                 call boom() throws std::runtime_error
//   call wait() -> "released"             blocks until Switchboard::Release(),
//                                         or gives up on cancellation/deadline
//   call nap(ms) -> "slept"               sleeps ms, polling the CallContext
//   call spawn() -> test.Gadget           a new gadget (child of this one)
//   call dial() -> test.Dial              a new dial (child of this one)
//
// test.Dial is kThreadSafe with one NonBlocking member:
//   call read() -> 7                      returns at once, on gRPC's thread
//   call hold() -> "released"             blocks like wait(), on a member thread
//
// Concurrency::kSerialized, like the demo: calls on one gadget run one at a
// time, so a second call on a gadget waits for the first.
#ifndef ORB_TESTS_INTEGRATION_GADGET_H_
#define ORB_TESTS_INTEGRATION_GADGET_H_

#include <atomic>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "orb/broker/binding.h"
#include "orb/broker/call_context.h"
#include "orb/broker/object.h"
#include "base/sync.h"
#include "orb/broker/type_registry.h"
#include "gtest/gtest.h"

namespace orb::testing {

using orb::broker::CallContext;
using orb::broker::Concurrency;
using orb::broker::Object;
using orb::broker::TypeBuilder;
using orb::broker::TypeRegistry;

class Switchboard {
 public:
  // With `announce_starts`, each wait()/nap() writes "gadget: a blocking
  // call started" to stderr as it starts: a test driving a gadget in another
  // process (orbd_gadget) waits for that line to know its call is under way.
  explicit Switchboard(bool announce_starts = false) : announce_starts_(announce_starts) {}

  void Release() {
    orb::MutexHold lock(&mu_);
    released_ = true;
  }
  // Blocks until `n` wait()/nap() calls have started (or `timeout`).
  bool AwaitStarted(int n, absl::Duration timeout = absl::Seconds(10)) {
    const absl::Time until = absl::Now() + timeout;
    while (started_.load() < n) {
      if (absl::Now() > until) return false;
      absl::SleepFor(absl::Milliseconds(2));
    }
    return true;
  }
  int started() const { return started_.load(); }
  // How the last wait()/nap() ended: "released", "slept", "cancelled",
  // "deadline", "timeout".
  std::string last_exit() {
    orb::MutexHold lock(&mu_);
    return last_exit_;
  }

  // A blocking member's loop: returns how it ended.
  std::string Block(const CallContext& ctx, absl::Duration nap) {
    started_.fetch_add(1);
    if (announce_starts_) std::fprintf(stderr, "gadget: a blocking call started\n");
    const absl::Time start = absl::Now();
    // Bounded, so a broken test can never hang the suite.
    const absl::Time give_up = start + absl::Seconds(20);
    std::string how;
    for (;;) {
      {
        orb::MutexHold lock(&mu_);
        if (nap == absl::ZeroDuration() && released_) {
          how = "released";
        }
      }
      if (how.empty() && nap != absl::ZeroDuration() && absl::Now() - start >= nap) how = "slept";
      if (how.empty() && ctx.cancelled()) how = "cancelled";
      if (how.empty() && ctx.deadline_exceeded()) how = "deadline";
      if (how.empty() && absl::Now() > give_up) how = "timeout";
      if (!how.empty()) break;
      absl::SleepFor(absl::Milliseconds(2));
    }
    orb::MutexHold lock(&mu_);
    last_exit_ = how;
    return how;
  }

 private:
  const bool announce_starts_;
  absl::Mutex mu_;
  bool released_ ABSL_GUARDED_BY(mu_) = false;
  std::string last_exit_ ABSL_GUARDED_BY(mu_);
  std::atomic<int> started_{0};
};

class Dial final : public Object {
 public:
  explicit Dial(std::shared_ptr<Switchboard> board) : board_(std::move(board)) {}
  int64_t Read() const { return 7; }
  std::string Hold(const CallContext& ctx) { return board_->Block(ctx, absl::ZeroDuration()); }

 private:
  std::shared_ptr<Switchboard> board_;
};

class Gadget final : public Object {
 public:
  explicit Gadget(std::shared_ptr<Switchboard> board) : board_(std::move(board)) {}

  std::string Ping() const { return "pong"; }
  int64_t Boom() const { throw std::runtime_error("the gadget exploded"); }
  absl::StatusOr<std::string> Wait(const CallContext& ctx) {
    std::string how = board_->Block(ctx, absl::ZeroDuration());
    if (how == "released") return how;
    if (how == "cancelled") return absl::CancelledError("wait() saw the cancellation");
    return absl::DeadlineExceededError(absl::StrCat("wait() gave up: ", how));
  }
  absl::StatusOr<std::string> Nap(const CallContext& ctx, int64_t ms) {
    std::string how = board_->Block(ctx, absl::Milliseconds(ms));
    if (how == "slept") return how;
    if (how == "cancelled") return absl::CancelledError("nap() saw the cancellation");
    return absl::DeadlineExceededError(absl::StrCat("nap() gave up: ", how));
  }
  std::shared_ptr<Gadget> Spawn() {
    auto child = std::make_shared<Gadget>(board_);
    child->SetLocation(shared_from_this(), absl::StrCat("gadget-", next_.fetch_add(1)));
    return child;
  }

  std::shared_ptr<Dial> MakeDial() {
    auto dial = std::make_shared<Dial>(board_);
    dial->SetLocation(shared_from_this(), absl::StrCat("dial-", next_.fetch_add(1)));
    return dial;
  }

  Switchboard& board() { return *board_; }

 private:
  std::shared_ptr<Switchboard> board_;
  std::atomic<int> next_{1};
};

// Registers test.Gadget with no compiled-in OLP or ACL: the policy file says
// everything (see GadgetPolicy).
inline absl::Status RegisterGadget(TypeRegistry& registry) {
  TypeBuilder<Gadget> gadget("test.Gadget");
  gadget.Method("ping", &Gadget::Ping)
      .Method("boom", &Gadget::Boom)
      .Method("wait", &Gadget::Wait)
      .Method("nap", &Gadget::Nap, {"ms"})
      .Method("spawn", &Gadget::Spawn)
      .Method("dial", &Gadget::MakeDial)
      .Concurrency(Concurrency::kSerialized);
  absl::Status s = registry.Register(std::move(gadget));
  if (!s.ok()) return s;
  TypeBuilder<Dial> dial("test.Dial");
  dial.Method("read", &Dial::Read)
      .Method("hold", &Dial::Hold)
      .Concurrency(Concurrency::kThreadSafe)
      .NonBlocking({"read"});
  return registry.Register(std::move(dial));
}

// A registry holding test.Gadget and test.Dial (a failed registration
// fails the test).
inline std::shared_ptr<TypeRegistry> GadgetRegistry() {
  auto registry = std::make_shared<TypeRegistry>();
  absl::Status registered = RegisterGadget(*registry);
  if (!registered.ok()) ADD_FAILURE() << registered;
  return registry;
}

// A policy for gadgets: the demo users (alice: editors, bob), anonymous
// allowed, every method needs "run", which `run_acl` grants (ACEs).
inline std::string GadgetPolicy(const std::string& run_acl, const std::string& extra = "") {
  return absl::StrCat(R"(
authentication {
  allow_anonymous: true
  bearer_token {
    userid: "alice"
    sha256: "bba775a1794a2ccaa524798e32cea98187c9a32d80433d760a92d449bfddff66"
  }
  bearer_token {
    userid: "bob"
    sha256: "84c60dc436211b8b0816c38aa8bd40567b75d7fc47fdecab65f40885348c6bbd"
  }
}
user { userid: "alice" group: "group:editors" }
user { userid: "bob" }
type {
  name: "test.Gadget"
  acl { )", run_acl, R"( }
  olp {
    instance {
      call { name: "ping" permission: "run" }
      call { name: "boom" permission: "run" }
      call { name: "wait" permission: "run" }
      call { name: "nap" permission: "run" }
      call { name: "spawn" permission: "run" }
      call { name: "dial" permission: "run" }
    }
  }
}
type {
  name: "test.Dial"
  olp {
    instance {
      call { name: "read" permission: "run" }
      call { name: "hold" permission: "run" }
    }
  }
}
)",
                      extra);
}

}  // namespace orb::testing

#endif  // ORB_TESTS_INTEGRATION_GADGET_H_
