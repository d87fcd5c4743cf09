#include "broker/service/worker_pool.h"

#include <algorithm>
#include <utility>

#include "base/sync.h"

namespace orb::broker {
namespace {

// Awaits `condition` through policy/sync.h, so ThreadSanitizer sees the
// release and the re-acquire.
void AwaitVisible(absl::Mutex* mu, const absl::Condition& condition)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
  AwaitWithTimeout(mu, condition, absl::InfiniteDuration());
}

}  // namespace

WorkerPool::WorkerPool(size_t max_threads, size_t max_queued)
    : max_threads_(max_threads > 0 ? max_threads : 1), max_queued_(max_queued) {}

WorkerPool::~WorkerPool() {
  std::vector<std::thread> threads;
  {
    orb::MutexHold lock(&mu_);
    stopping_ = true;
    threads.swap(threads_);
  }
  for (std::thread& t : threads) t.join();
}

bool WorkerPool::Submit(absl::AnyInvocable<void() &&> task) {
  orb::MutexHold lock(&mu_);
  if (stopping_) return false;
  // Each queued task is spoken for by one idle thread, if there are enough.
  if (idle_ <= queue_.size()) {
    if (threads_.size() < max_threads_) {
      threads_.emplace_back([this] { Loop(); });
    } else if (queue_.size() >= max_queued_) {
      return false;
    }
  }
  queue_.push_back(std::move(task));
  return true;
}

size_t WorkerPool::threads() const {
  orb::MutexHold lock(&mu_);
  return threads_.size();
}

WorkerPool::Load WorkerPool::load() const {
  orb::MutexHold lock(&mu_);
  Load load;
  load.threads = threads_.size();
  load.busy = threads_.size() - std::min(idle_, threads_.size());
  load.queued = queue_.size();
  return load;
}

void WorkerPool::Loop() {
  for (;;) {
    absl::AnyInvocable<void() &&> task;
    {
      orb::MutexHold lock(&mu_);
      ++idle_;
      const auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !queue_.empty() || stopping_;
      };
      AwaitVisible(&mu_, absl::Condition(&ready));
      --idle_;
      // Stopping still runs what was accepted: each task finishes a call.
      if (queue_.empty()) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    std::move(task)();
  }
}

}  // namespace orb::broker
