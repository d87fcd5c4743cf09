// Handle and session tables: the lookups every operation makes, and the
// insert/release that every returned object and every Release makes.
//
//   BM_RandomId128            one 128-bit id from the OS CSPRNG, as hex
//   BM_HandleFind             a live handle by id, table of N entries,
//                             uncontended (target: <= 100 ns)
//   BM_HandleFind_Miss        an unknown id (builds the NOT_FOUND error)
//   BM_HandleInsertRelease    Add a new entry, then Release it; with the
//                             real random ids and with a counter (so the
//                             CSPRNG's share shows)
//   BM_HandleAddRef           Add an object that already has a handle
//                             (a reference more), then Release it
//   *_SharedTable/threads:T   T threads on one session's table (one lock):
//                             the worst case, many calls on one session
//   *_OwnTable/threads:T      T threads each on their own session's table
//   BM_SessionFind            SessionTable::Find (owner check, lease
//                             renewal) among 1000 sessions, by threads
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/bench_support.h"
#include "benchmark/benchmark.h"
#include "broker/handle_table.h"
#include "broker/session_table.h"

namespace orb {

using orb::broker::HandleTable;
using orb::broker::HandleTarget;
using orb::broker::Object;
using orb::broker::RandomId128;
using orb::broker::SessionTable;
using orb::broker::TypeInfo;
using orb::broker::TypeRegistry;
namespace {

constexpr int kMaxThreads = 8;

struct Objects {
  Objects() : registry(bench::DemoRegistry()) {
    for (int i = 0; i < 4096; ++i) {
      entries.push_back(std::make_shared<demo::Entry>("alice", absl::StrCat("t", i), "body"));
    }
    type = registry->FindFor(*entries.front());
  }
  HandleTarget Target(size_t i) const {
    return HandleTarget{entries[i % entries.size()], type, false, nullptr};
  }
  std::shared_ptr<TypeRegistry> registry;
  std::vector<std::shared_ptr<Object>> entries;
  const TypeInfo* type = nullptr;
};

const Objects& O() {
  static const Objects* const objects = new Objects();
  return *objects;
}

std::function<std::string()> CounterIds() {
  auto next = std::make_shared<std::atomic<uint64_t>>(0);
  // Same length as the real ids, so string handling costs the same.
  return [next] { return absl::StrCat("00000000000000000000", 1000000000000 + (*next)++); };
}

// A table holding handles to the first `n` demo entries; ids() in order.
struct FilledTable {
  explicit FilledTable(size_t n) : table(RandomId128, &live) {
    for (size_t i = 0; i < n; ++i) {
      auto refs = table.Add({O().Target(i)}, 1u << 30);
      ids.push_back(refs->front().id());
    }
  }
  std::atomic<int64_t> live{0};
  HandleTable table;
  std::vector<std::string> ids;
};

void BM_RandomId128(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(RandomId128());
}
BENCHMARK(BM_RandomId128);

void BM_HandleFind(benchmark::State& state) {
  FilledTable f(static_cast<size_t>(state.range(0)));
  size_t i = 0;
  for (auto _ : state) {
    auto target = f.table.Find(f.ids[i]);
    benchmark::DoNotOptimize(target);
    if (++i == f.ids.size()) i = 0;
  }
}
BENCHMARK(BM_HandleFind)->ArgName("entries")->Arg(1)->Arg(1000)->Arg(4096);

void BM_HandleFind_Miss(benchmark::State& state) {
  FilledTable f(1000);
  const std::string unknown(32, 'f');
  for (auto _ : state) benchmark::DoNotOptimize(f.table.Find(unknown));
}
BENCHMARK(BM_HandleFind_Miss);

void BM_HandleInsertRelease(benchmark::State& state) {
  const bool random_ids = state.range(0) != 0;
  std::atomic<int64_t> live{0};
  HandleTable table(random_ids ? std::function<std::string()>(RandomId128) : CounterIds(), &live);
  size_t i = 0;
  std::vector<std::string> one(1);
  for (auto _ : state) {
    auto refs = table.Add({O().Target(i++)}, 1u << 30);
    one[0] = refs->front().id();
    benchmark::DoNotOptimize(table.Release(one));
  }
}
BENCHMARK(BM_HandleInsertRelease)->ArgName("random_ids")->Arg(1)->Arg(0);

void BM_HandleAddRef(benchmark::State& state) {
  FilledTable f(1);
  std::vector<std::string> one = {f.ids[0]};
  for (auto _ : state) {
    auto refs = f.table.Add({O().Target(0)}, 1u << 30);
    benchmark::DoNotOptimize(refs);
    benchmark::DoNotOptimize(f.table.Release(one));
  }
}
BENCHMARK(BM_HandleAddRef);

// One table (one session) shared by every thread.
FilledTable& Shared() {
  static FilledTable* const table = new FilledTable(1000);
  return *table;
}

void BM_HandleFind_SharedTable(benchmark::State& state) {
  FilledTable& f = Shared();
  size_t i = static_cast<size_t>(state.thread_index()) * 97;
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.table.Find(f.ids[i % f.ids.size()]));
    ++i;
  }
}
BENCHMARK(BM_HandleFind_SharedTable)->Threads(1)->Threads(2)->Threads(4)->Threads(kMaxThreads);

void BM_HandleFind_OwnTable(benchmark::State& state) {
  static FilledTable* const tables[kMaxThreads] = {
      new FilledTable(1000), new FilledTable(1000), new FilledTable(1000), new FilledTable(1000),
      new FilledTable(1000), new FilledTable(1000), new FilledTable(1000), new FilledTable(1000)};
  FilledTable& f = *tables[state.thread_index() % kMaxThreads];
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.table.Find(f.ids[i % f.ids.size()]));
    ++i;
  }
}
BENCHMARK(BM_HandleFind_OwnTable)->Threads(2)->Threads(4)->Threads(kMaxThreads);

void BM_HandleInsertRelease_SharedTable(benchmark::State& state) {
  static HandleTable* const table = new HandleTable(RandomId128, nullptr);
  // Each thread its own objects, so the entries are distinct.
  size_t i = static_cast<size_t>(state.thread_index()) * 512;
  const size_t end = i + 512;
  std::vector<std::string> one(1);
  for (auto _ : state) {
    auto refs = table->Add({O().Target(i)}, 1u << 30);
    one[0] = refs->front().id();
    benchmark::DoNotOptimize(table->Release(one));
    if (++i == end) i -= 512;
  }
}
BENCHMARK(BM_HandleInsertRelease_SharedTable)->Threads(1)->Threads(2)->Threads(4)->Threads(kMaxThreads);

struct Sessions {
  Sessions() : table(RandomId128, &live) {
    for (int i = 0; i < 1000; ++i) {
      auto s = table.Open(bench::Alice(), "bench", absl::Now(), absl::Hours(1), 1u << 30);
      ids.push_back((*s)->id());
    }
  }
  std::atomic<int64_t> live{0};
  SessionTable table;
  std::vector<std::string> ids;
  const std::string owner = bench::Alice().OwnerKey();
};

void BM_SessionFind(benchmark::State& state) {
  static Sessions* const sessions = new Sessions();
  size_t i = static_cast<size_t>(state.thread_index()) * 131;
  const absl::Time now = absl::Now();
  for (auto _ : state) {
    auto s = sessions->table.Find(sessions->ids[i % sessions->ids.size()], sessions->owner, now,
                                  absl::Hours(1));
    benchmark::DoNotOptimize(s);
    ++i;
  }
}
BENCHMARK(BM_SessionFind)->Threads(1)->Threads(2)->Threads(4)->Threads(kMaxThreads);

}  // namespace
}  // namespace orb

ORB_BENCHMARK_MAIN();
