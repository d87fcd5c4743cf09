// orb::MutexLock: absl::MutexLock that ThreadSanitizer can see.
//
// Debian's Abseil is compiled without -fsanitize=thread, so absl::Mutex's
// own TSan annotations are compiled out of it and a TSan build of orb would
// report every access guarded by an absl::Mutex as a race. Under TSan this
// lock also tells the sanitizer about the acquire and the release; in other
// builds it is exactly absl::MutexLock. Use it (or Lock/UnlockVisible) for
// every absl::Mutex of the broker, so the thread-safety annotations and the
// sanitizer agree.
#ifndef ORB_BROKER_SYNC_H_
#define ORB_BROKER_SYNC_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

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

// Locks `mu` exclusively and, under TSan, records the acquire.
inline void LockVisible(absl::Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) {
  mu->Lock();
#ifdef ORB_INTERNAL_TSAN
  __tsan_acquire(mu);
#endif
}

// Records the release under TSan, then unlocks `mu`.
inline void UnlockVisible(absl::Mutex* mu) ABSL_UNLOCK_FUNCTION(mu) {
#ifdef ORB_INTERNAL_TSAN
  __tsan_release(mu);
#endif
  mu->Unlock();
}

// Scoped exclusive lock, as absl::MutexLock.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(absl::Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) {
    LockVisible(mu_);
  }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { UnlockVisible(mu_); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  absl::Mutex* const mu_;
};

}  // namespace orb

#endif  // ORB_BROKER_SYNC_H_
