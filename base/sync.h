// Holding an absl::Mutex in a way ThreadSanitizer can see.
//
// Named "hold", not "lock": in orb a lock is what an OLP entry asks of the
// caller (policy::Lock); a mutex is held.
//
// Debian's Abseil is compiled without -fsanitize=thread, so absl::Mutex's
// own TSan annotations are compiled out of it and a TSan build of orb would
// report every access guarded by an absl::Mutex as a race. Under TSan these
// helpers also tell the sanitizer about each acquire and release; in other
// builds they are exactly the absl calls they wrap.
//
// Every absl::Mutex of the project is taken through this header (MutexHold,
// ReaderMutexHold, HoldVisible/ReleaseVisible, AwaitWithTimeout), never with
// absl::MutexLock or Mutex::Lock directly: tests/check_visible_locks.sh
// fails the build's tests when a plain absl lock appears. The header lives
// in base/, below every layer (policy/, broker/, client/ may all use it); it
// depends on Abseil only.
#ifndef ORB_BASE_SYNC_H_
#define ORB_BASE_SYNC_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#if defined(__SANITIZE_THREAD__)
#define ORB_INTERNAL_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ORB_INTERNAL_TSAN 1
#endif
#endif
#ifdef ORB_INTERNAL_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace orb {

namespace sync_internal {
// What TSan must learn when a thread gains or gives up `mu`, in either mode.
// A shared (reader) acquisition is recorded as a full acquire: readers then
// also appear ordered among themselves, which can only hide a race between
// two readers, and readers do not write.
inline void Acquired(const absl::Mutex* mu) {
#ifdef ORB_INTERNAL_TSAN
  __tsan_acquire(const_cast<absl::Mutex*>(mu));
#else
  (void)mu;
#endif
}
inline void Releasing(const absl::Mutex* mu) {
#ifdef ORB_INTERNAL_TSAN
  __tsan_release(const_cast<absl::Mutex*>(mu));
#else
  (void)mu;
#endif
}
}  // namespace sync_internal

// Locks `mu` exclusively and, under TSan, records the acquire.
inline void HoldVisible(absl::Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) {
  mu->Lock();
  sync_internal::Acquired(mu);
}

// Records the release under TSan, then unlocks `mu`.
inline void ReleaseVisible(absl::Mutex* mu) ABSL_UNLOCK_FUNCTION(mu) {
  sync_internal::Releasing(mu);
  mu->Unlock();
}

// Shared-mode counterparts of HoldVisible/ReleaseVisible.
inline void ReaderHoldVisible(absl::Mutex* mu) ABSL_SHARED_LOCK_FUNCTION(mu) {
  mu->ReaderLock();
  sync_internal::Acquired(mu);
}
inline void ReaderReleaseVisible(absl::Mutex* mu) ABSL_UNLOCK_FUNCTION(mu) {
  sync_internal::Releasing(mu);
  mu->ReaderUnlock();
}

// absl::Mutex::AwaitWithTimeout for a caller that holds `mu` exclusively:
// the mutex is released while waiting and held again on return, and TSan
// is told both. Returns whether `condition` holds.
//
// Abseil evaluates the condition inside its own (uninstrumented) code, in
// the waiting thread or in the thread that unlocks `mu`; the condition is
// therefore wrapped so that TSan records an acquire of `mu` before every
// evaluation (ordering it after the last writer) and a release after it
// (ordering it before the next writer, who takes `mu` once the waiter
// sleeps).
inline bool AwaitWithTimeout(absl::Mutex* mu, const absl::Condition& condition,
                             absl::Duration timeout) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
  struct VisibleCondition {
    const absl::Mutex* mu;
    const absl::Condition* inner;
    bool Eval() const {
      sync_internal::Acquired(mu);
      const bool holds = inner->Eval();
      sync_internal::Releasing(mu);
      return holds;
    }
  } visible{mu, &condition};
  sync_internal::Releasing(mu);
  const bool met =
      mu->AwaitWithTimeout(absl::Condition(&visible, &VisibleCondition::Eval), timeout);
  sync_internal::Acquired(mu);
  return met;
}

// Holds `mu` exclusively for its scope, as absl::MutexLock.
class ABSL_SCOPED_LOCKABLE MutexHold {
 public:
  explicit MutexHold(absl::Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) {
    HoldVisible(mu_);
  }
  ~MutexHold() ABSL_UNLOCK_FUNCTION() { ReleaseVisible(mu_); }
  MutexHold(const MutexHold&) = delete;
  MutexHold& operator=(const MutexHold&) = delete;

 private:
  absl::Mutex* const mu_;
};

// Holds `mu` shared for its scope, as absl::ReaderMutexLock.
class ABSL_SCOPED_LOCKABLE ReaderMutexHold {
 public:
  explicit ReaderMutexHold(absl::Mutex* mu) ABSL_SHARED_LOCK_FUNCTION(mu) : mu_(mu) {
    ReaderHoldVisible(mu_);
  }
  ~ReaderMutexHold() ABSL_UNLOCK_FUNCTION() { ReaderReleaseVisible(mu_); }
  ReaderMutexHold(const ReaderMutexHold&) = delete;
  ReaderMutexHold& operator=(const ReaderMutexHold&) = delete;

 private:
  absl::Mutex* const mu_;
};

// A one-shot event, as absl::Notification, through the helpers above so
// that TSan orders everything before Notify() before everything after the
// wait. Thread safety: any thread may call any method.
class VisibleNotification {
 public:
  VisibleNotification() = default;
  VisibleNotification(const VisibleNotification&) = delete;
  VisibleNotification& operator=(const VisibleNotification&) = delete;

  // Requires: called at most once.
  void Notify() ABSL_LOCKS_EXCLUDED(mu_) {
    MutexHold lock(&mu_);
    notified_ = true;
  }
  // Returns once Notify() has been called.
  void WaitForNotification() ABSL_LOCKS_EXCLUDED(mu_) {
    MutexHold lock(&mu_);
    AwaitWithTimeout(&mu_, absl::Condition(&notified_), absl::InfiniteDuration());
  }

 private:
  absl::Mutex mu_;
  bool notified_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace orb

#endif  // ORB_BASE_SYNC_H_
