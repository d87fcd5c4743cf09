#include "broker/handle_table.h"

#include <openssl/rand.h>

#include <algorithm>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "broker/errors.h"
#include "policy/sync.h"

namespace orb {

namespace {

// Ids are 32 hex digits; a longer one is shown cut short, so that the error
// stays small whatever the caller sent.
constexpr size_t kMaxIdShown = 64;

absl::Status HandleNotFound(absl::string_view id) {
  const std::string shown =
      id.size() <= kMaxIdShown
          ? absl::CHexEscape(id)
          : absl::StrCat(absl::CHexEscape(id.substr(0, kMaxIdShown)), "...(", id.size(),
                         " bytes)");
  return OrbError(absl::StatusCode::kNotFound,
                  absl::StrCat("handle '", shown, "' not found in this session"),
                  "HANDLE_NOT_FOUND", "handle");
}

absl::Status SessionClosed() {
  return OrbError(absl::StatusCode::kNotFound, "session not found", "SESSION_NOT_FOUND",
                  "session");
}

std::vector<std::shared_ptr<Object>> Ancestors(const Object& object) {
  std::vector<std::shared_ptr<Object>> out;
  for (std::shared_ptr<Object> p = object.parent(); p != nullptr; p = p->parent()) {
    out.push_back(p);
  }
  return out;
}

}  // namespace

std::string RandomId128() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    // RAND_bytes only fails when the OS entropy source is unusable; absl's
    // generator is seeded from the OS as well and is the best left.
    thread_local absl::BitGen gen;
    for (unsigned char& b : bytes) b = absl::Uniform<unsigned char>(gen);
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

HandleTable::HandleTable(std::function<std::string()> new_id, std::atomic<int64_t>* live_handles)
    : new_id_(std::move(new_id)), live_handles_(live_handles) {}

HandleTable::~HandleTable() { Close(); }

v1::HandleRef HandleTable::RefOf(const std::string& id, const HandleTarget& target) {
  v1::HandleRef ref;
  ref.set_id(id);
  ref.set_type_name(target.type != nullptr ? target.type->name() : "");
  ref.set_is_class(target.is_class);
  return ref;
}

absl::StatusOr<std::vector<v1::HandleRef>> HandleTable::Add(
    const std::vector<HandleTarget>& targets, uint32_t max_handles) {
  // Work that calls into objects or allocates ids happens before locking.
  std::vector<std::vector<std::shared_ptr<Object>>> pins;
  std::vector<std::string> fresh_ids;
  pins.reserve(targets.size());
  fresh_ids.reserve(targets.size());
  for (const HandleTarget& t : targets) {
    pins.push_back(Ancestors(*t.object));
    fresh_ids.push_back(new_id_());
  }

  std::vector<v1::HandleRef> refs;
  refs.reserve(targets.size());
  orb::MutexLock lock(&mu_);
  if (closed_) return SessionClosed();

  // First pass: count the entries this batch would create.
  size_t new_entries = 0;
  {
    std::vector<Key> batch_keys;
    for (const HandleTarget& t : targets) {
      if (t.restricted_olp != nullptr) {
        ++new_entries;
        continue;
      }
      Key key{t.object.get(), t.type, t.is_class};
      if (by_key_.contains(key) ||
          std::find(batch_keys.begin(), batch_keys.end(), key) != batch_keys.end()) {
        continue;
      }
      batch_keys.push_back(key);
      ++new_entries;
    }
  }
  if (entries_.size() + new_entries > max_handles) {
    return OrbError(absl::StatusCode::kResourceExhausted,
                    absl::StrCat("this session would hold more than max_handles_per_session (",
                                 max_handles, ") handles; release some first"),
                    "QUOTA_HANDLES", "quota");
  }

  for (size_t i = 0; i < targets.size(); ++i) {
    const HandleTarget& t = targets[i];
    if (t.restricted_olp == nullptr) {
      auto it = by_key_.find(Key{t.object.get(), t.type, t.is_class});
      if (it != by_key_.end()) {
        ++entries_.at(it->second).references;
        refs.push_back(RefOf(it->second, t));
        continue;
      }
    }
    std::string id = std::move(fresh_ids[i]);
    while (entries_.contains(id)) id = new_id_();  // 2^-128 per try, but never reuse
    Entry entry;
    entry.target = t;
    entry.references = 1;
    entry.pinned = std::move(pins[i]);
    if (t.restricted_olp == nullptr) by_key_.emplace(Key{t.object.get(), t.type, t.is_class}, id);
    refs.push_back(RefOf(id, t));
    entries_.emplace(std::move(id), std::move(entry));
    if (live_handles_ != nullptr) live_handles_->fetch_add(1, std::memory_order_relaxed);
  }
  return refs;
}

absl::StatusOr<HandleTarget> HandleTable::Find(absl::string_view id) const {
  orb::MutexLock lock(&mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return HandleNotFound(id);
  return it->second.target;
}

absl::StatusOr<uint32_t> HandleTable::Release(const std::vector<std::string>& ids) {
  std::vector<Entry> dropped;  // destroyed after the lock is released
  uint32_t released = 0;
  {
    orb::MutexLock lock(&mu_);
    absl::flat_hash_map<absl::string_view, uint64_t> wanted;
    for (const std::string& id : ids) {
      auto it = entries_.find(id);
      if (it == entries_.end() || ++wanted[id] > it->second.references) {
        return HandleNotFound(id);
      }
    }
    for (const auto& [id, count] : wanted) {
      auto it = entries_.find(id);
      it->second.references -= count;
      released += static_cast<uint32_t>(count);
      if (it->second.references == 0) {
        if (it->second.target.restricted_olp == nullptr) {
          const HandleTarget& t = it->second.target;
          by_key_.erase(Key{t.object.get(), t.type, t.is_class});
        }
        dropped.push_back(std::move(it->second));
        entries_.erase(it);
      }
    }
    if (live_handles_ != nullptr) {
      live_handles_->fetch_sub(static_cast<int64_t>(dropped.size()), std::memory_order_relaxed);
    }
  }
  return released;
}

std::vector<v1::HandleInfo> HandleTable::List() const {
  std::vector<v1::HandleInfo> out;
  {
    orb::MutexLock lock(&mu_);
    out.reserve(entries_.size());
    for (const auto& [id, entry] : entries_) {
      v1::HandleInfo info;
      *info.mutable_ref() = RefOf(id, entry.target);
      info.set_references(static_cast<uint32_t>(
          std::min<uint64_t>(entry.references, std::numeric_limits<uint32_t>::max())));
      info.set_restricted(entry.target.restricted_olp != nullptr);
      out.push_back(std::move(info));
    }
  }
  std::sort(out.begin(), out.end(), [](const v1::HandleInfo& a, const v1::HandleInfo& b) {
    return a.ref().id() < b.ref().id();
  });
  return out;
}

size_t HandleTable::Close() {
  absl::flat_hash_map<std::string, Entry> dropped;  // destroyed after unlocking
  {
    orb::MutexLock lock(&mu_);
    closed_ = true;
    dropped.swap(entries_);
    by_key_.clear();
    if (live_handles_ != nullptr) {
      live_handles_->fetch_sub(static_cast<int64_t>(dropped.size()), std::memory_order_relaxed);
    }
  }
  return dropped.size();
}

size_t HandleTable::size() const {
  orb::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace orb
