#include "bench/load/driver.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/sync.h"

namespace orb::bench {
namespace {

using Clock = std::chrono::steady_clock;

// User + system CPU seconds of this process so far.
double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

int64_t Nanos(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(to - from).count();
}

// The shared end of a segment: clients report here when they stop.
struct Segment {
  absl::Mutex mu;
  size_t running ABSL_GUARDED_BY(mu) = 0;
  SegmentResult result ABSL_GUARDED_BY(mu);
};

// One client's loop. Only one of its RPCs is ever in flight, so its own
// fields need no lock; gRPC orders a call's completion after its start.
class Loop {
 public:
  Loop(const Workload& workload, size_t client, Clock::time_point deadline, int64_t cap,
       bool record, std::shared_ptr<Segment> segment)
      : workload_(workload),
        client_(client),
        deadline_(deadline),
        cap_(cap),
        record_(record),
        segment_(std::move(segment)) {
    if (record_) {
      iteration_ns_.reserve(4096);
      first_step_ns_.reserve(4096);
    }
  }

  void Begin() {
    iteration_start_ = Clock::now();
    step_ = 0;
    StartStep();
  }

 private:
  void StartStep() {
    step_start_ = Clock::now();
    workload_.start(client_, step_, [this](const grpc::Status& status) { OnDone(status); });
  }

  void OnDone(const grpc::Status& status) {
    const Clock::time_point now = Clock::now();
    if (record_ && step_ == 0) first_step_ns_.push_back(Nanos(step_start_, now));
    if (!status.ok()) {
      ++errors_;
      if (first_error_.empty()) {
        first_error_ = absl::StrCat(workload_.name, " step ", step_, ": code ",
                                    static_cast<int>(status.error_code()), " ",
                                    status.error_message());
      }
    } else if (++step_ < workload_.steps) {
      StartStep();
      return;
    }
    if (record_) iteration_ns_.push_back(Nanos(iteration_start_, now));
    ++iterations_;
    if (now < deadline_ && iterations_ < cap_) {
      Begin();
      return;
    }
    Finish();
  }

  // Hands the results over; `this` is not touched afterwards (the driver
  // may destroy it as soon as the lock is released, so the segment is kept
  // alive by a local reference until Unlock has returned).
  void Finish() {
    std::shared_ptr<Segment> segment = segment_;
    orb::MutexHold lock(&segment->mu);
    SegmentResult& r = segment->result;
    r.iterations += iterations_;
    r.errors += errors_;
    if (r.first_error.empty()) r.first_error = first_error_;
    r.iteration_ns.insert(r.iteration_ns.end(), iteration_ns_.begin(), iteration_ns_.end());
    r.first_step_ns.insert(r.first_step_ns.end(), first_step_ns_.begin(), first_step_ns_.end());
    --segment->running;
  }

  const Workload& workload_;
  const size_t client_;
  const Clock::time_point deadline_;
  const int64_t cap_;
  const bool record_;
  const std::shared_ptr<Segment> segment_;

  int step_ = 0;
  Clock::time_point iteration_start_;
  Clock::time_point step_start_;
  int64_t iterations_ = 0;
  int64_t errors_ = 0;
  std::string first_error_;
  std::vector<int64_t> iteration_ns_;
  std::vector<int64_t> first_step_ns_;
};

}  // namespace

SegmentResult RunSegment(const Workload& workload, size_t clients, absl::Duration duration,
                         int64_t max_iterations_per_client, bool record_latency) {
  auto segment = std::make_shared<Segment>();
  {
    orb::MutexHold lock(&segment->mu);
    segment->running = clients;
  }
  const double cpu_start = ProcessCpuSeconds();
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + absl::ToChronoNanoseconds(duration);
  std::vector<std::unique_ptr<Loop>> loops;
  loops.reserve(clients);
  for (size_t c = 0; c < clients; ++c) {
    loops.push_back(std::make_unique<Loop>(workload, c, deadline, max_iterations_per_client,
                                           record_latency, segment));
  }
  for (auto& loop : loops) loop->Begin();
  {
    orb::MutexHold lock(&segment->mu);
    orb::AwaitWithTimeout(&segment->mu,
                          absl::Condition(+[](size_t* running) { return *running == 0; },
                                          &segment->running),
                          absl::InfiniteDuration());
  }
  orb::MutexHold lock(&segment->mu);
  segment->result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  segment->result.cpu_seconds = ProcessCpuSeconds() - cpu_start;
  return std::move(segment->result);
}

double QuantileMicros(std::vector<int64_t>& samples, double q) {
  if (samples.empty()) return 0;
  const size_t index =
      std::min(samples.size() - 1, static_cast<size_t>(q * static_cast<double>(samples.size())));
  std::nth_element(samples.begin(), samples.begin() + static_cast<long>(index), samples.end());
  return static_cast<double>(samples[index]) / 1000.0;
}

}  // namespace orb::bench
