// The outcomes of one session's requests that carried a request id
// (SetAttr, DelAttr, Call, Batch): a retry of the same request with the
// same id gets the first outcome without the request running again
// (docs/protocol.md, "Request ids and safe retries").
//
// An id is claimed by the first request that brings it; that request runs
// and stores its outcome (status, and the serialized response when OK). A
// retry of the same request (same fingerprint) while it runs waits for it;
// after, it gets the stored outcome. The same id with another request is
// FAILED_PRECONDITION (REQUEST_ID_REUSED). Outcomes are kept for a window
// (the policy's request_id_window_seconds) and at most max_entries of them
// (the policy's max_request_ids_per_session), the oldest going first; a
// retry after its outcome went runs the request again.
//
// Thread-safety: every method may be called from any thread. Ownership: a
// Session holds its table through a shared_ptr; a Claim holds the table
// too, so that a claim parked in a deferred call outlives nothing it needs.
#ifndef ORB_BROKER_REQUEST_OUTCOMES_H_
#define ORB_BROKER_REQUEST_OUTCOMES_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <variant>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace orb::broker {

// The longest request id, in bytes.
inline constexpr size_t kMaxRequestIdBytes = 64;

class RequestOutcomes : public std::enable_shared_from_this<RequestOutcomes> {
 public:
  struct Outcome {
    absl::Status status;
    std::string response;  // the serialized response; empty unless status is OK
  };

  // The right to run the request of one id. Complete() stores its outcome;
  // a claim destroyed without it (the request never ran: a deferred call
  // refused or dropped) frees the id, and the next retry runs the request.
  class Claim {
   public:
    ~Claim();
    Claim(const Claim&) = delete;
    Claim& operator=(const Claim&) = delete;
    // At most once; `now` dates the outcome for the window.
    void Complete(Outcome outcome, absl::Time now);

   private:
    friend class RequestOutcomes;
    Claim(std::shared_ptr<RequestOutcomes> table, std::string id, uint64_t generation)
        : table_(std::move(table)), id_(std::move(id)), generation_(generation) {}
    const std::shared_ptr<RequestOutcomes> table_;
    const std::string id_;
    const uint64_t generation_;
    bool completed_ = false;
  };

  struct Limits {
    absl::Duration window = absl::Minutes(10);
    size_t max_entries = 1000;
  };

  // The same request runs under another claim, and the caller may not wait.
  struct Running {};
  // What Begin() found: a claim to run the request, the stored outcome, or
  // (only when the caller may not wait) that the first request still runs.
  using Begun = std::variant<std::unique_ptr<Claim>, Outcome, Running>;

  // REQUIRES: id is 1..kMaxRequestIdBytes bytes (the caller checks).
  // `fingerprint` stands for the request. Waits while the same request of
  // `id` runs, until `deadline`, when `may_wait`; else answers Running.
  // Errors:
  // FAILED_PRECONDITION (REQUEST_ID_REUSED), id given to another request;
  // DEADLINE_EXCEEDED, still running at `deadline`; RESOURCE_EXHAUSTED
  // (QUOTA_REQUEST_IDS) when max_entries requests with ids are running at
  // once.
  absl::StatusOr<Begun> Begin(absl::string_view id, std::string fingerprint, absl::Time now,
                              absl::Time deadline, bool may_wait, const Limits& limits)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Outcomes kept and claims running.
  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Entry {
    std::string fingerprint;
    uint64_t generation = 0;
    bool running = true;
    Outcome outcome;
  };
  // Drops outcomes older than the window, then the oldest while more than
  // `max_entries` entries are kept.
  void Evict(absl::Time now, const Limits& limits) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Forgets the oldest completed outcome. REQUIRES: done_ is not empty.
  void DropOldest() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Stores `outcome` for the claim (id, generation), or, null, forgets the
  // id; wakes the requests waiting for it.
  void Finish(const std::string& id, uint64_t generation, Outcome* outcome, absl::Time now)
      ABSL_LOCKS_EXCLUDED(mu_);

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  // Completed outcomes, oldest first: (completion time, id, generation).
  struct Done {
    absl::Time at;
    std::string id;
    uint64_t generation;
  };
  std::deque<Done> done_ ABSL_GUARDED_BY(mu_);
  uint64_t next_generation_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace orb::broker

#endif  // ORB_BROKER_REQUEST_OUTCOMES_H_
