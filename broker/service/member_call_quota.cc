#include "broker/service/member_call_quota.h"

#include "absl/strings/str_cat.h"
#include "orb/broker/errors.h"
#include "base/sync.h"

namespace orb::broker {

// Takes the lock once so that ThreadSanitizer sees the last Slot's release
// ordered before the table goes. The real order (a call's slot is given back
// before its answer is sent, and the server is destroyed only after every
// answer) runs through gRPC's libraries, which TSan cannot see into.
MemberCallQuota::~MemberCallQuota() { orb::MutexHold lock(&mu_); }

MemberCallQuota::Slot::Slot(Slot&& other) noexcept
    : quota_(std::exchange(other.quota_, nullptr)), key_(std::move(other.key_)) {}

MemberCallQuota::Slot& MemberCallQuota::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    Release();
    quota_ = std::exchange(other.quota_, nullptr);
    key_ = std::move(other.key_);
  }
  return *this;
}

void MemberCallQuota::Slot::Release() {
  if (quota_ == nullptr) return;
  std::exchange(quota_, nullptr)->Give(key_);
}

absl::StatusOr<MemberCallQuota::Slot> MemberCallQuota::Acquire(absl::string_view key,
                                                               uint32_t limit) {
  uint32_t now_held = 0;
  {
    orb::MutexHold lock(&mu_);
    auto it = held_.find(key);
    now_held = it == held_.end() ? 0 : it->second;
    if (now_held < limit) {
      if (it == held_.end()) {
        held_.emplace(key, 1);
      } else {
        ++it->second;
      }
      return Slot(this, std::string(key));
    }
  }
  return OrbError(
      absl::StatusCode::kResourceExhausted,
      absl::StrCat("this identity already has ", now_held,
                   " calls running or waiting on the broker's member threads (members that may "
                   "block), and max_member_calls_per_identity is ",
                   limit, "; retry when one of them has finished"),
      v1::IDENTITY_BUSY, v1::GATE_QUOTA);
}

void MemberCallQuota::Give(const std::string& key) {
  orb::MutexHold lock(&mu_);
  auto it = held_.find(key);
  if (it == held_.end()) return;  // unreachable: a Slot's key is counted
  if (--it->second == 0) held_.erase(it);
}

uint32_t MemberCallQuota::held(absl::string_view key) const {
  orb::MutexHold lock(&mu_);
  auto it = held_.find(key);
  return it == held_.end() ? 0 : it->second;
}

size_t MemberCallQuota::identities() const {
  orb::MutexHold lock(&mu_);
  return held_.size();
}

}  // namespace orb::broker
