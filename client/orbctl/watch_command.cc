#include "client/orbctl/watch_command.h"

#include <signal.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/json_escape.h"
#include "base/sync.h"

namespace orb::orbctl {

using orb::client::Ref;
using orb::client::Subscription;
using orb::client::WatchEvent;

namespace {

// Set by Ctrl-C while a watch runs. An atomic: the handler may run on any
// thread of the process (gRPC's among them).
std::atomic<bool> interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free,
              "a signal handler may only touch lock-free atomics");

void OnInterrupt(int) { interrupted.store(true, std::memory_order_relaxed); }

// Installs OnInterrupt for its scope and puts the previous handler back.
class InterruptScope {
 public:
  InterruptScope() {
    interrupted.store(false, std::memory_order_relaxed);
    struct sigaction action = {};
    action.sa_handler = OnInterrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &previous_);
  }
  ~InterruptScope() { sigaction(SIGINT, &previous_, nullptr); }
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

 private:
  struct sigaction previous_ = {};
};

// What the watch's callbacks (gRPC threads) hand to the printing thread:
// the events in order, then the end. Printing happens on the caller's
// thread so that the shell's handle names are only ever used there.
class Inbox {
 public:
  void Push(WatchEvent event) ABSL_LOCKS_EXCLUDED(mu_) {
    MutexHold lock(&mu_);
    events_.push_back(std::move(event));
  }
  void End(absl::Status status) ABSL_LOCKS_EXCLUDED(mu_) {
    MutexHold lock(&mu_);
    end_ = std::move(status);
  }
  // Waits up to `timeout` for an event or the end; moves the events out
  // into *events and returns the end, if it came.
  std::optional<absl::Status> Take(absl::Duration timeout, std::deque<WatchEvent>* events)
      ABSL_LOCKS_EXCLUDED(mu_) {
    MutexHold lock(&mu_);
    AwaitWithTimeout(&mu_, absl::Condition(this, &Inbox::Ready), timeout);
    events->swap(events_);
    events_.clear();
    return end_;
  }

 private:
  bool Ready() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !events_.empty() || end_.has_value();
  }

  absl::Mutex mu_;
  std::deque<WatchEvent> events_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Status> end_ ABSL_GUARDED_BY(mu_);
};

// How often the printing thread looks at the interrupt flag: a signal
// handler cannot wake a mutex waiter.
constexpr absl::Duration kInterruptPoll = absl::Milliseconds(50);

}  // namespace

std::string CountUsageError(const Globals& g, const std::vector<std::string>& command) {
  if (!g.count.has_value()) return "";
  if (command.empty() || command[0] != "watch") {
    return "--count is an option of 'watch' only";
  }
  uint64_t n = 0;
  if (!absl::SimpleAtoi(*g.count, &n) || n == 0 || (*g.count)[0] == '+') {
    return absl::StrCat("bad --count '", *g.count, "': a whole number of events, 1 or more");
  }
  return "";
}

std::string WatchEventLine(const WatchEvent& event, bool json, const HandleNamer& namer) {
  std::vector<std::string> values;
  for (const auto& [name, value] : event.values) {
    values.push_back(json ? absl::StrCat(base::JsonQuote(name), ":", ToJson(value, namer))
                          : absl::StrCat(name, ": ", ToHuman(value, namer)));
  }
  if (json) {
    std::vector<std::string> dropped;
    for (const std::string& name : event.dropped) dropped.push_back(base::JsonQuote(name));
    return absl::StrCat("{\"initial\":", event.initial ? "true" : "false", ",\"values\":{",
                        absl::StrJoin(values, ","), "},\"dropped\":[",
                        absl::StrJoin(dropped, ","), "]}");
  }
  std::string line = absl::StrJoin(values, ", ");
  if (!event.dropped.empty()) {
    absl::StrAppend(&line, line.empty() ? "" : " ", "(dropped: ",
                    absl::StrJoin(event.dropped, ", "), ")");
  }
  return line;
}

Outcome RunWatch(const Globals& g, const Ref& target, std::vector<std::string> names,
                 const HandleNamer& namer) {
  uint64_t limit = 0;  // 0: no limit
  if (g.count.has_value()) (void)absl::SimpleAtoi(*g.count, &limit);
  InterruptScope interrupt;
  // Declared before the subscription: its callbacks use it until the
  // subscription's destructor has returned.
  Inbox inbox;
  absl::StatusOr<Subscription> subscription =
      target.Watch(std::move(names), [&inbox](const WatchEvent& e) { inbox.Push(e); },
                   [&inbox](const absl::Status& end) { inbox.End(end); });
  if (!subscription.ok()) return {Fail(g, subscription.status()), subscription.status()};
  uint64_t printed = 0;
  for (;;) {
    std::deque<WatchEvent> events;
    const std::optional<absl::Status> end = inbox.Take(kInterruptPoll, &events);
    for (const WatchEvent& event : events) {
      std::printf("%s\n", WatchEventLine(event, g.json, namer).c_str());
      std::fflush(stdout);
      if (limit != 0 && ++printed >= limit) return {};
    }
    if (end.has_value()) {
      if (end->ok()) return {};
      return {Fail(g, *end), *end};
    }
    if (interrupted.load(std::memory_order_relaxed)) {
      return {kInterruptedExit, absl::CancelledError("interrupted")};
    }
  }
}

}  // namespace orb::orbctl
