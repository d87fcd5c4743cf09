#include "broker/service/log_rate_limit.h"

#include <vector>

#include "base/sync.h"

namespace orb::broker {

std::optional<uint64_t> LogRateLimit::Admit(absl::Time now) {
  orb::MutexHold lock(&mu_);
  if (now - last_written_ < period_) {
    ++held_back_;
    return std::nullopt;
  }
  last_written_ = now;
  const uint64_t held_back = held_back_;
  held_back_ = 0;
  return held_back;
}

std::optional<uint64_t> KeyedLogRateLimit::AdmitEntry(Entry& entry, absl::Duration period,
                                                      absl::Time now) {
  if (now - entry.last_written < period) {
    ++entry.held_back;
    return std::nullopt;
  }
  entry.last_written = now;
  const uint64_t held_back = entry.held_back;
  entry.held_back = 0;
  return held_back;
}

std::optional<uint64_t> KeyedLogRateLimit::Admit(absl::string_view key, absl::Time now) {
  orb::MutexHold lock(&mu_);
  auto found = entries_.find(key);
  if (found != entries_.end()) return AdmitEntry(found->second, period_, now);
  if (entries_.size() >= max_keys_) {
    // An entry whose period is over and that holds no count back would
    // admit its next line anyway: forgetting it loses nothing.
    std::vector<std::string> stale;
    for (const auto& [k, entry] : entries_) {
      if (entry.held_back == 0 && now - entry.last_written >= period_) stale.push_back(k);
    }
    for (const std::string& k : stale) entries_.erase(k);
  }
  if (entries_.size() >= max_keys_) return AdmitEntry(overflow_, period_, now);
  return AdmitEntry(entries_[std::string(key)], period_, now);
}

}  // namespace orb::broker
