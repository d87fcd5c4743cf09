#include "broker/session_watches.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/sync.h"
#include "base/weak_list.h"
#include "broker/session_table.h"
#include "orb/broker/errors.h"

namespace orb::broker {

absl::Status SessionWatches::Add(const std::shared_ptr<WatchPoke>& watch, uint32_t max) {
  orb::MutexHold lock(&mu_);
  if (ended_) return SessionTable::NotFound();
  orb::EraseWeak(&watches_);
  if (watches_.size() >= max) {
    return OrbError(absl::StatusCode::kResourceExhausted,
                    absl::StrCat("this session already has ", watches_.size(),
                                 " watches open, the policy's limits.max_watches_per_session (",
                                 max, "): end one (cancel its call) before starting another"),
                    v1::QUOTA_WATCHES, v1::GATE_QUOTA);
  }
  watches_.push_back(watch);
  return absl::OkStatus();
}

void SessionWatches::Remove(const WatchPoke* watch) {
  orb::MutexHold lock(&mu_);
  orb::EraseWeak(&watches_, watch);
}

void SessionWatches::PokeAll() {
  std::vector<std::shared_ptr<WatchPoke>> live;
  {
    orb::MutexHold lock(&mu_);
    live = orb::LockLive(&watches_);
  }
  for (const std::shared_ptr<WatchPoke>& watch : live) watch->Poke();
}

void SessionWatches::End() {
  {
    orb::MutexHold lock(&mu_);
    ended_ = true;
  }
  PokeAll();
}

size_t SessionWatches::size() const {
  orb::MutexHold lock(&mu_);
  return watches_.size();
}

}  // namespace orb::broker
