// Many clients at once: every operation kind from 16 threads, checked for
// the expected outcome, with no handle left behind afterwards. Runs under
// ThreadSanitizer in CI.
#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/testing/broker_fixture.h"
#include "tests/testing/joining_thread.h"

namespace orb::testing {

using orb::broker::Concurrency;
namespace {

constexpr int kThreads = 16;
constexpr int kOpsPerThread = 2000;

TEST(Concurrency, SixteenThreadsOfMixedOperations) {
  Harness h(PolicyWithLimits("max_sessions_per_identity: 1000"));
  std::atomic<int> failures{0};
  std::atomic<bool> done{false};

  auto expect = [&failures](const absl::Status& s, absl::StatusCode code, const char* what) {
    if (s.code() != code) {
      if (failures.fetch_add(1) < 10) ADD_FAILURE() << what << ": " << s;
    }
  };

  auto worker = [&](int t) {
    const bool anonymous = t % 4 == 3;
    const bool editor = t % 4 == 0;
    policy::Identity id =
        anonymous ? Anonymous() : editor ? Alice() : User(absl::StrCat("user", t));
    Client c(h, id);
    c.Open();
    std::mt19937 rng(static_cast<uint32_t>(t));
    v1::HandleRef mine;  // an entry this client owns, when id is set
    for (int i = 0; i < kOpsPerThread; ++i) {
      switch (rng() % 10) {
        case 0:
          expect(c.Get(c.root(), "title").status(), absl::StatusCode::kOk, "get title");
          break;
        case 1:
          expect(c.Get(c.root(), "entry_count").status(), absl::StatusCode::kOk, "entry_count");
          break;
        case 2: {
          if (!mine.id().empty()) {
            expect(c.Call(mine, "delete").status(), absl::StatusCode::kOk, "delete before add");
            expect(c.Release({mine.id()}).status(), absl::StatusCode::kOk, "release entry");
            mine.Clear();
          }
          auto added = c.Call(c.root(), "add_entry", {Str(absl::StrCat("t", t)), Str("b")});
          expect(added.status(),
                 anonymous ? absl::StatusCode::kPermissionDenied : absl::StatusCode::kOk,
                 "add_entry");
          if (added.ok()) mine = added->handle();
          break;
        }
        case 3:
          if (!mine.id().empty()) {
            expect(c.Set(mine, "title", Str(absl::StrCat("i", i))), absl::StatusCode::kOk,
                   "set own title");
            expect(c.Get(mine, "title").status(), absl::StatusCode::kOk, "get own title");
          } else {
            expect(c.Set(c.root(), "title", Str(absl::StrCat("blog ", t))),
                   editor ? absl::StatusCode::kOk : absl::StatusCode::kPermissionDenied,
                   "set blog title");
          }
          break;
        case 4:
          expect(c.Describe(c.root()).status(), absl::StatusCode::kOk, "describe");
          break;
        case 5: {
          auto cls = c.Get(c.root(), "Entry");
          expect(cls.status(), absl::StatusCode::kOk, "get class");
          if (cls.ok()) {
            expect(c.Get(cls->handle(), "max_title_length").status(), absl::StatusCode::kOk,
                   "class attribute");
            expect(c.Release({cls->handle().id()}).status(), absl::StatusCode::kOk,
                   "release class");
          }
          break;
        }
        case 6: {
          auto narrow = c.Restrict(c.root(), {"title"});
          expect(narrow.status(), absl::StatusCode::kOk, "restrict");
          if (narrow.ok()) {
            expect(c.Get(*narrow, "entry_count").status(), absl::StatusCode::kNotFound,
                   "restricted name");
            expect(c.Release({narrow->id()}).status(), absl::StatusCode::kOk,
                   "release restricted");
          }
          break;
        }
        case 7:
          expect(c.List().status(), absl::StatusCode::kOk, "list");
          expect(c.KeepAlive(), absl::StatusCode::kOk, "keepalive");
          break;
        case 8:
          if (!mine.id().empty()) {
            auto again = c.Call(c.root(), "entry", {Str("entry-0")});
            expect(again.status(), absl::StatusCode::kNotFound, "missing entry");
          }
          break;
        case 9:
          if (rng() % 8 == 0) {
            if (!mine.id().empty()) {
              expect(c.Call(mine, "delete").status(), absl::StatusCode::kOk, "delete");
              mine.Clear();
            }
            expect(c.Close().status(), absl::StatusCode::kOk, "close");
            c.Open();
          }
          break;
      }
    }
    if (!mine.id().empty()) {
      expect(c.Call(mine, "delete").status(), absl::StatusCode::kOk, "final delete");
    }
    expect(c.Close().status(), absl::StatusCode::kOk, "final close");
  };

  JoiningThread janitor(
      [&] {
        while (!done.load()) {
          h.core().ExpireSessions();
          std::this_thread::yield();
        }
      },
      [&done] { done.store(true); });
  std::vector<JoiningThread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back([&worker, t] { worker(t); });
  for (JoiningThread& th : threads) th.Join();
  done.store(true);
  janitor.Join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(h.core().session_count(), 0u);
  EXPECT_EQ(h.core().handle_count(), 0u);
  EXPECT_EQ(h.blog()->entry_count(), 0);
}

}  // namespace
}  // namespace orb::testing
