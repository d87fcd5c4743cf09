// MemberCallQuota: how many calls each identity has on the member threads.
//
// Why: the member threads (worker_pool.h) and their queue are bounded only
// in total. Without a count per identity, one user (or all anonymous
// callers together) starting many calls to a member that blocks could take
// every thread and queue slot, and every other user would be refused as
// "busy". The service adapter therefore takes a Slot for each call it hands
// to the member threads, from the hand-off until the call has run (or was
// refused, or failed), and refuses the call at once when the caller's
// identity already holds the policy's `limits.max_member_calls_per_identity`.
// Calls answered on gRPC's own thread are never counted.
//
// Contract:
// - Acquire(key, limit) counts one more call for `key` and returns its Slot
//   when `key` holds fewer than `limit` calls; otherwise it changes nothing
//   and returns RESOURCE_EXHAUSTED with ErrorInfo{IDENTITY_BUSY, quota}. The
//   limit is the caller's: a policy reload that lowers it refuses new calls
//   until enough of the calls already counted finish; none is cut short.
// - A Slot gives its place back exactly once: on Release() or when it is
//   destroyed, whichever comes first. Moving a Slot moves the place.
// - Keys with no call counted are not kept: the table holds only identities
//   with a call in progress, so it never grows beyond the calls in flight.
//
// Thread safety: every method of MemberCallQuota may be called from any
// thread. A Slot is used by one thread at a time (it may move between
// threads); its quota must outlive it.
#ifndef ORB_BROKER_SERVICE_MEMBER_CALL_QUOTA_H_
#define ORB_BROKER_SERVICE_MEMBER_CALL_QUOTA_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace orb::broker {

class MemberCallQuota {
 public:
  // One counted call. Default-constructed and moved-from Slots hold nothing.
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept;
    Slot& operator=(Slot&& other) noexcept;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { Release(); }

    // Gives the place back now; later calls do nothing.
    void Release();
    bool held() const { return quota_ != nullptr; }

   private:
    friend class MemberCallQuota;
    Slot(MemberCallQuota* quota, std::string key) : quota_(quota), key_(std::move(key)) {}

    MemberCallQuota* quota_ = nullptr;
    std::string key_;
  };

  MemberCallQuota() = default;
  // REQUIRES: no Slot of this quota is still held.
  ~MemberCallQuota() ABSL_LOCKS_EXCLUDED(mu_);
  MemberCallQuota(const MemberCallQuota&) = delete;
  MemberCallQuota& operator=(const MemberCallQuota&) = delete;

  // See the contract above. `key` is the caller's policy::Identity::
  // OwnerKey(); `limit` its policy's max_member_calls_per_identity (0 refuses
  // every call).
  absl::StatusOr<Slot> Acquire(absl::string_view key, uint32_t limit) ABSL_LOCKS_EXCLUDED(mu_);

  // Calls counted for `key` now (for tests and metrics).
  uint32_t held(absl::string_view key) const ABSL_LOCKS_EXCLUDED(mu_);
  // Identities with at least one call counted: the size of the table.
  size_t identities() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Give(const std::string& key) ABSL_LOCKS_EXCLUDED(mu_);

  mutable absl::Mutex mu_;
  // Never holds a zero count: an entry goes when its last call does.
  absl::flat_hash_map<std::string, uint32_t> held_ ABSL_GUARDED_BY(mu_);
};

}  // namespace orb::broker

#endif  // ORB_BROKER_SERVICE_MEMBER_CALL_QUOTA_H_
