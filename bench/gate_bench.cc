// The gate's cost: OLP lookup alone (listed name, "*" fallback, miss) and
// the whole decision (OLP + ACL) over a lineage of depth 5 with 20 ACEs per
// ACL. In both ACL shapes the allow is decided by the root's last ACE and
// the deny is a default deny, so all 100 ACEs are looked at:
//   /typical: the ACEs name other users and groups; only the deciding ACE
//             names one of the caller's principals.
//   /own:     every ACE names one of the caller's principals (with other
//             permissions), so no ACE can be rejected by principal alone:
//             the evaluator's worst case.
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "orb/policy/acl.h"
#include "policy/gate.h"
#include "orb/policy/olp.h"
#include "orb/policy/symbols.h"

namespace orb::policy {
namespace {

constexpr int kDepth = 5;
constexpr int kAcesPerAcl = 20;

enum Shape : int { kTypical = 0, kOwn = 1 };

struct Fixture {
  explicit Fixture(Shape shape) {
    const std::vector<std::string> mine = {"alice", "group:staff", "group:editors"};
    for (int node = 0; node < kDepth; ++node) {
      std::vector<AceSpec> aces;
      for (int i = 0; i < kAcesPerAcl; ++i) {
        const std::string who =
            shape == kOwn ? mine[i % mine.size()]
                          : (i % 2 == 0 ? "user_" : "group:team_") + std::to_string(node * 100 + i);
        const std::string perm = "perm_" + std::to_string(node) + "_" + std::to_string(i);
        aces.push_back(AceSpec::Allow(who, perm));
      }
      if (node == kDepth - 1) aces.back() = AceSpec::Allow("group:editors", "view");
      acls.push_back(Acl::Compile(std::move(aces)));
    }
    names.reserve(kDepth);  // the lineage holds views into these strings
    for (int node = 0; node < kDepth; ++node) {
      names.push_back("node" + std::to_string(node));
      lineage.push_back(LineageNode{acls[node].get(), names.back(), "Resource"});
    }

    Olp::Builder b;
    for (int i = 0; i < 20; ++i) {
      b.Expose(View::kInstance, Op::kGetAttr, "field_" + std::to_string(i),
               Lock::Permission("view"));
    }
    b.Expose(View::kInstance, Op::kGetAttr, "title", Lock::Permission("view"));
    b.Expose(View::kInstance, Op::kGetAttr, "body", Lock::Permission("edit"));
    b.Expose(View::kInstance, Op::kGetAttr, "*", Lock::Permission("view"));
    olp = b.Build();
  }

  AccessRequest Request(absl::string_view name) const {
    AccessRequest r;
    r.view = View::kInstance;
    r.op = Op::kGetAttr;
    r.name = name;
    r.lineage = absl::MakeConstSpan(lineage);
    r.principals = &principals;
    r.session_id = "session";
    return r;
  }

  std::vector<AclPtr> acls;
  std::vector<std::string> names;
  std::vector<LineageNode> lineage;
  Principals principals{{std::string(kEveryone), std::string(kAuthenticated), "alice",
                         "group:staff", "group:editors"}};
  OlpPtr olp;
};

const Fixture& F(Shape shape = kTypical) {
  static const Fixture* const typical = new Fixture(kTypical);
  static const Fixture* const own = new Fixture(kOwn);
  return shape == kOwn ? *own : *typical;
}

void BM_OlpResolve_Hit(benchmark::State& state) {
  const Olp& olp = *F().olp;
  for (auto _ : state) {
    benchmark::DoNotOptimize(olp.Resolve(View::kInstance, Op::kGetAttr, "title"));
  }
}
BENCHMARK(BM_OlpResolve_Hit);

void BM_OlpResolve_StarFallback(benchmark::State& state) {
  const Olp& olp = *F().olp;
  for (auto _ : state) {
    benchmark::DoNotOptimize(olp.Resolve(View::kInstance, Op::kGetAttr, "summary"));
  }
}
BENCHMARK(BM_OlpResolve_StarFallback);

void BM_OlpResolve_Miss(benchmark::State& state) {
  const Olp& olp = *F().olp;
  // An "_" name: "*" does not reach it, so it is not exposed.
  for (auto _ : state) {
    benchmark::DoNotOptimize(olp.Resolve(View::kInstance, Op::kGetAttr, "_secret"));
  }
}
BENCHMARK(BM_OlpResolve_Miss);

void BM_Permits_Allow(benchmark::State& state) {
  const Fixture& f = F(static_cast<Shape>(state.range(0)));
  const SymbolId view = SymbolTable::Global().Find("view");
  for (auto _ : state) {
    benchmark::DoNotOptimize(Permits(absl::MakeConstSpan(f.lineage), f.principals, view));
  }
}
BENCHMARK(BM_Permits_Allow)->ArgName("own")->Arg(kTypical)->Arg(kOwn);

void DecideLoop(benchmark::State& state, absl::string_view name, GateOutcome expected) {
  const Fixture& f = F(static_cast<Shape>(state.range(0)));
  const AccessRequest request = f.Request(name);
  if (Decide(*f.olp, request).outcome != expected) {
    state.SkipWithError("unexpected outcome: the fixture is wrong");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(Decide(*f.olp, request));
  }
}

void BM_Decide_Allow(benchmark::State& state) {
  DecideLoop(state, "title", GateOutcome::kAllowed);
}
BENCHMARK(BM_Decide_Allow)->ArgName("own")->Arg(kTypical)->Arg(kOwn);

void BM_Decide_AllowViaStar(benchmark::State& state) {
  DecideLoop(state, "summary", GateOutcome::kAllowed);
}
BENCHMARK(BM_Decide_AllowViaStar)->ArgName("own")->Arg(kTypical)->Arg(kOwn);

void BM_Decide_Deny(benchmark::State& state) {
  DecideLoop(state, "body", GateOutcome::kDenied);
}
BENCHMARK(BM_Decide_Deny)->ArgName("own")->Arg(kTypical)->Arg(kOwn);

void BM_Decide_NotExposed(benchmark::State& state) {
  DecideLoop(state, "_secret", GateOutcome::kNotExposed);
}
BENCHMARK(BM_Decide_NotExposed)->ArgName("own")->Arg(kTypical)->Arg(kOwn);

}  // namespace
}  // namespace orb::policy

BENCHMARK_MAIN();
