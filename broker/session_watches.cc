#include "broker/session_watches.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/sync.h"
#include "broker/session_table.h"
#include "orb/broker/errors.h"

namespace orb::broker {

absl::Status SessionWatches::Add(const std::shared_ptr<WatchPoke>& watch, uint32_t max) {
  orb::MutexHold lock(&mu_);
  if (ended_) return SessionTable::NotFound();
  watches_.erase(std::remove_if(watches_.begin(), watches_.end(),
                                [](const std::weak_ptr<WatchPoke>& w) { return w.expired(); }),
                 watches_.end());
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
  watches_.erase(std::remove_if(watches_.begin(), watches_.end(),
                                [watch](const std::weak_ptr<WatchPoke>& w) {
                                  std::shared_ptr<WatchPoke> held = w.lock();
                                  return held == nullptr || held.get() == watch;
                                }),
                 watches_.end());
}

void SessionWatches::PokeAll() {
  std::vector<std::shared_ptr<WatchPoke>> live;
  {
    orb::MutexHold lock(&mu_);
    for (const std::weak_ptr<WatchPoke>& w : watches_) {
      if (std::shared_ptr<WatchPoke> held = w.lock()) live.push_back(std::move(held));
    }
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
