// Cost of one ACL decision (Permits) by lineage depth and ACL size.
//
// Worst case on purpose: every node has an ACL of N ACEs, every ACL names one
// of the caller's principals for other permissions (so no ACL is skipped as a
// whole), and the deciding ACE is the root ACL's last one, so every ACL of
// the lineage is searched. ACLs of 9 ACEs or more are searched through their
// (principal, permission) index, smaller ones are scanned. The `allocs`
// counter is operator new calls per decision; it must read 0.
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "orb/policy/acl.h"
#include "orb/policy/symbols.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

// Out of line, new and delete alike: inlined into callers, GCC pairs
// malloc/free with the replaced operators and reports a mismatch that is
// not there.
__attribute__((noinline)) void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
__attribute__((noinline)) void operator delete(void* p) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace orb::policy {
namespace {

struct Fixture {
  std::vector<AclPtr> acls;
  std::vector<std::string> names;
  std::vector<LineageNode> lineage;
  Principals principals{{"system.Everyone", "system.Authenticated", "bob", "group:staff"}};
};

Fixture Build(int depth, int aces, bool allow) {
  Fixture f;
  for (int node = 0; node < depth; ++node) f.names.push_back("node-" + std::to_string(node));
  for (int node = 0; node < depth; ++node) {
    std::vector<AceSpec> specs;
    for (int i = 0; i < aces; ++i) {
      const bool last_of_root = node == depth - 1 && i == aces - 1;
      if (last_of_root) {
        specs.push_back(allow ? AceSpec::Allow("bob", "view") : AceSpec::Deny("bob", "view"));
      } else if (i % 4 == 0) {
        // A held principal with other permissions: passes the principal
        // test, fails the permission test.
        specs.push_back(AceSpec::Allow("group:staff", std::vector<std::string>{"edit-" + std::to_string(i), "other"}));
      } else {
        specs.push_back(AceSpec::Allow("user:" + std::to_string(node * 1000 + i), "view"));
      }
    }
    f.acls.push_back(Acl::Compile(std::move(specs)));
  }
  for (int node = 0; node < depth; ++node) f.lineage.push_back({f.acls[node].get(), f.names[node], "Resource"});
  return f;
}

void Run(benchmark::State& state, bool by_name) {
  const int depth = static_cast<int>(state.range(0));
  const int aces = static_cast<int>(state.range(1));
  const bool allow = state.range(2) != 0;
  const Fixture f = Build(depth, aces, allow);
  const SymbolId view = SymbolTable::Global().Intern("view");
  if (Permits(f.lineage, f.principals, view).allowed() != allow) {
    state.SkipWithError("fixture decides the wrong way");
    return;
  }
  const long before = g_allocations.load();
  for (auto _ : state) {
    AclResult r = by_name ? Permits(f.lineage, f.principals, "view") : Permits(f.lineage, f.principals, view);
    benchmark::DoNotOptimize(r);
  }
  const long allocations = g_allocations.load() - before;
  state.counters["allocs"] =
      benchmark::Counter(static_cast<double>(allocations) / static_cast<double>(state.iterations()));
  state.counters["aces_in_lineage"] = depth * aces;
  state.SetLabel(allow ? "allow" : "deny");
}

void BM_Permits(benchmark::State& state) { Run(state, false); }
void BM_PermitsByName(benchmark::State& state) { Run(state, true); }

BENCHMARK(BM_Permits)
    ->ArgNames({"depth", "aces", "allow"})
    ->ArgsProduct({{1, 5, 10}, {5, 20, 100}, {1, 0}});
BENCHMARK(BM_PermitsByName)->ArgNames({"depth", "aces", "allow"})->ArgsProduct({{5}, {20}, {1, 0}});

}  // namespace
}  // namespace orb::policy

BENCHMARK_MAIN();
