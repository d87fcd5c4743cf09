// WorkerPool: the threads that run bound C++ members (GetAttr, SetAttr,
// DelAttr, Call) off gRPC's callback threads.
//
// Why: gRPC runs callback handlers on a few threads of its own (four on a
// two-core machine). A member that blocks — a slow query, a lock held
// elsewhere, a method that waits on purpose — would hold one of them, and
// a handful of such calls would stop the whole server, every other client
// included. Members that may block (MemberBinding::may_block: the default
// unless a type declares them NonBlocking) therefore run here, while members
// that never block and the paths that run no member code (OpenSession,
// KeepAlive, Release, ListHandles, Describe, Restrict, CloseSession,
// authentication, admin) stay inline and save the hand-off.
//
// The pool starts empty and adds a thread whenever a task arrives and no
// thread is idle, up to `max_threads`; threads then stay for reuse. Beyond
// that, tasks wait in a queue of at most `max_queued`; beyond that, Submit
// refuses (the caller answers RESOURCE_EXHAUSTED). A queued call whose
// deadline passes, or whose client goes away, is refused by the core when
// its turn comes and never starts.
//
// Thread safety: Submit() may be called from any thread.
#ifndef ORB_BROKER_SERVICE_WORKER_POOL_H_
#define ORB_BROKER_SERVICE_WORKER_POOL_H_

#include <cstddef>
#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace orb::broker {

class WorkerPool {
 public:
  // REQUIRES: max_threads >= 1.
  WorkerPool(size_t max_threads, size_t max_queued);
  // Runs every task already accepted, then joins the threads.
  ~WorkerPool() ABSL_LOCKS_EXCLUDED(mu_);
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs `task` on a pool thread. False (and `task` dropped unrun) when
  // every thread is busy and the queue is full, or the pool is stopping.
  bool Submit(absl::AnyInvocable<void() &&> task) ABSL_LOCKS_EXCLUDED(mu_);

  // Threads started so far (for tests and metrics).
  size_t threads() const ABSL_LOCKS_EXCLUDED(mu_);

  // The pool right now, for metrics: threads started, threads running a
  // task (or just started, about to take one), tasks waiting.
  struct Load {
    size_t threads = 0;
    size_t busy = 0;
    size_t queued = 0;
  };
  Load load() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Loop() ABSL_LOCKS_EXCLUDED(mu_);

  const size_t max_threads_;
  const size_t max_queued_;

  mutable absl::Mutex mu_;
  std::deque<absl::AnyInvocable<void() &&>> queue_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
  size_t idle_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace orb::broker

#endif  // ORB_BROKER_SERVICE_WORKER_POOL_H_
