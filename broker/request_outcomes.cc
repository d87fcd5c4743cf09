#include "broker/request_outcomes.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/sync.h"
#include "orb/broker/errors.h"

namespace orb::broker {

RequestOutcomes::Claim::~Claim() {
  if (!completed_) table_->Finish(id_, generation_, nullptr, absl::InfinitePast());
}

void RequestOutcomes::Claim::Complete(Outcome outcome, absl::Time now) {
  if (completed_) return;
  completed_ = true;
  table_->Finish(id_, generation_, &outcome, now);
}

absl::StatusOr<RequestOutcomes::Begun> RequestOutcomes::Begin(absl::string_view id,
                                                              std::string fingerprint,
                                                              absl::Time now, absl::Time deadline,
                                                              bool may_wait,
                                                              const Limits& limits) {
  MutexHold lock(&mu_);
  Evict(now, limits);
  for (;;) {
    auto it = entries_.find(id);
    if (it == entries_.end()) break;
    Entry& entry = it->second;
    if (entry.fingerprint != fingerprint) {
      return OrbError(absl::StatusCode::kFailedPrecondition,
                      absl::StrCat("request id '", id,
                                   "' was given to another request of this session; a retry "
                                   "must repeat its request exactly, and a new request needs a "
                                   "new id"),
                      v1::REQUEST_ID_REUSED, v1::GATE_SESSION);
    }
    if (!entry.running) return Begun(entry.outcome);
    if (!may_wait) return Begun(Running{});
    // The same request runs under another claim: wait for its outcome (or
    // for it to be dropped unrun, then claim it here).
    const uint64_t generation = entry.generation;
    auto settled = [this, key = std::string(id), generation]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      auto found = entries_.find(key);
      return found == entries_.end() || found->second.generation != generation ||
             !found->second.running;
    };
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration() ||
        !AwaitWithTimeout(&mu_, absl::Condition(&settled), left)) {
      return OrbError(absl::StatusCode::kDeadlineExceeded,
                      absl::StrCat("request id '", id,
                                   "': the first request with this id is still running; retry "
                                   "later for its outcome"),
                      v1::DEADLINE_EXCEEDED, v1::GATE_SESSION);
    }
  }
  if (entries_.size() >= limits.max_entries) {
    return OrbError(absl::StatusCode::kResourceExhausted,
                    absl::StrCat("this session already runs max_request_ids_per_session (",
                                 limits.max_entries,
                                 ") requests with ids; wait for one to finish"),
                    v1::QUOTA_REQUEST_IDS, v1::GATE_QUOTA);
  }
  const uint64_t generation = next_generation_++;
  Entry& entry = entries_[id];
  entry.fingerprint = std::move(fingerprint);
  entry.generation = generation;
  return Begun(std::unique_ptr<Claim>(new Claim(shared_from_this(), std::string(id), generation)));
}

void RequestOutcomes::Finish(const std::string& id, uint64_t generation, Outcome* outcome,
                             absl::Time now) {
  MutexHold lock(&mu_);
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.generation != generation) return;
  if (outcome == nullptr) {
    entries_.erase(it);
    return;
  }
  it->second.running = false;
  it->second.outcome = std::move(*outcome);
  done_.push_back(Done{now, id, generation});
}

void RequestOutcomes::DropOldest() {
  const Done& oldest = done_.front();
  auto it = entries_.find(oldest.id);
  if (it != entries_.end() && it->second.generation == oldest.generation) entries_.erase(it);
  done_.pop_front();
}

void RequestOutcomes::Evict(absl::Time now, const Limits& limits) {
  while (!done_.empty() && done_.front().at + limits.window <= now) DropOldest();
  // Room for one more: the oldest outcomes go first.
  while (!done_.empty() && entries_.size() >= limits.max_entries) DropOldest();
}

size_t RequestOutcomes::size() const {
  MutexHold lock(&mu_);
  return entries_.size();
}

}  // namespace orb::broker
