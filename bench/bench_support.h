// Fixtures shared by the benchmarks: the blog demo's registry and policy,
// the demo users' identities, and a BrokerCore serving the demo.
#ifndef ORB_BENCH_BENCH_SUPPORT_H_
#define ORB_BENCH_BENCH_SUPPORT_H_

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/synchronization/mutex.h"
#include "orb/broker/broker_core.h"
#include "orb/demo/blog.h"
#include "orb/broker/type_registry.h"
#include "orb/policy/identity.h"
#include "orb/policy/policy_loader.h"

namespace orb::bench {

using orb::broker::TypeRegistry;

// The demo policy (examples/blog/policy.textproto under `source_dir`) with
// `extra` appended, e.g. a limits block. Exits on error: a benchmark with a
// broken fixture must not print numbers.
inline policy::PolicyPtr LoadDemoPolicy(const std::string& source_dir,
                                        const std::string& extra = "") {
  const std::string path = source_dir + "/examples/blog/policy.textproto";
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::exit(1);
  }
  std::ostringstream text;
  text << in.rdbuf() << "\n" << extra;
  policy::LoadResult loaded =
      policy::CompilePolicyText(text.str(), path, source_dir + "/examples/blog");
  if (loaded.policy == nullptr) {
    for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.ToString().c_str());
    std::exit(1);
  }
  return loaded.policy;
}

// Limits that let the load generator and the memory test open enough
// sessions and hold enough handles; everything else is the demo's.
inline constexpr char kBenchLimits[] = R"(
limits {
  max_sessions_per_identity: 100000
  max_handles_per_session: 100000
}
)";

// alice, an editor: she may read, write, add and delete on the demo blog.
inline policy::Identity Alice() {
  policy::Identity id;
  id.userid = "alice";
  id.groups = {"group:editors"};
  id.method = "bearer";
  return id;
}

inline std::shared_ptr<TypeRegistry> DemoRegistry() {
  auto registry = std::make_shared<TypeRegistry>();
  absl::Status s = demo::RegisterBlogTypes(*registry);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    std::exit(1);
  }
  return registry;
}

// The process-wide settings orbd runs with (broker/orbd/daemon.cc), so that
// the figures are the daemon's: Debian's Abseil is built without NDEBUG,
// which turns absl::Mutex's deadlock detection on, and its bookkeeping
// costs more than the broker's own work on an uncontended lock.
inline void ConfigureLikeOrbd() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

}  // namespace orb::bench

// BENCHMARK_MAIN(), configured as orbd is (include benchmark/benchmark.h).
#define ORB_BENCHMARK_MAIN()                                              \
  int main(int argc, char** argv) {                                       \
    orb::bench::ConfigureLikeOrbd();                                      \
    benchmark::Initialize(&argc, argv);                                   \
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;     \
    benchmark::RunSpecifiedBenchmarks();                                  \
    benchmark::Shutdown();                                                \
    return 0;                                                             \
  }                                                                       \
  static_assert(true, "")

#endif  // ORB_BENCH_BENCH_SUPPORT_H_
