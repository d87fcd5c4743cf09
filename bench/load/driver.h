// The closed-loop load driver of orb-bench.
//
// A client keeps exactly one iteration in flight: it starts step 0 of the
// workload, each finished step starts the next, and a finished iteration
// starts the next one until the segment's time (or iteration cap) is up.
// Calls go through gRPC's callback client API, so N clients need no N
// threads and the client side stays cheap next to the servers.
#ifndef ORB_BENCH_LOAD_DRIVER_H_
#define ORB_BENCH_LOAD_DRIVER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "grpcpp/support/status.h"

namespace orb::bench {

// One workload: `steps` RPCs per iteration. start(client, step, done)
// starts step `step` for client number `client` and arranges for done(status)
// to be called, from any thread, when that RPC finishes. A failed step ends
// its iteration.
struct Workload {
  std::string name;
  int steps = 1;
  std::function<void(size_t client, int step, std::function<void(const grpc::Status&)> done)>
      start;
};

struct SegmentResult {
  int64_t iterations = 0;
  double seconds = 0;
  // CPU time (user + system) the whole process used during the segment:
  // clients and servers alike, since orb-bench runs them in one process.
  double cpu_seconds = 0;
  // Latency in nanoseconds of every iteration, and of every step-0 RPC,
  // over all clients (only when recorded).
  std::vector<int64_t> iteration_ns;
  std::vector<int64_t> first_step_ns;
  int64_t errors = 0;
  std::string first_error;
};

// Runs `clients` closed loops (clients 0..clients-1) for `duration`, each
// stopping early after `max_iterations_per_client`. Blocks until every
// client has finished its last iteration.
SegmentResult RunSegment(const Workload& workload, size_t clients, absl::Duration duration,
                         int64_t max_iterations_per_client, bool record_latency);

// The q-quantile (0..1) of `samples` (sorted in place), in microseconds.
double QuantileMicros(std::vector<int64_t>& samples, double q);

}  // namespace orb::bench

#endif  // ORB_BENCH_LOAD_DRIVER_H_
