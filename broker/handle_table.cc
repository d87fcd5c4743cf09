#include "broker/handle_table.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/random/random.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "orb/broker/errors.h"
#include "base/sync.h"

namespace orb::broker {

namespace {

// Ids are 32 hex digits; a longer one is shown cut short, so that the error
// stays small whatever the caller sent.
constexpr size_t kMaxIdShown = 64;

// An id as error messages show it: escaped, and cut short when long (it is
// the peer's text).
std::string ShownId(absl::string_view id) {
  return id.size() <= kMaxIdShown
             ? absl::CHexEscape(id)
             : absl::StrCat(absl::CHexEscape(id.substr(0, kMaxIdShown)), "...(", id.size(),
                            " bytes)");
}

absl::Status HandleNotFound(absl::string_view id, absl::string_view consequence = "") {
  return OrbError(absl::StatusCode::kNotFound,
                  absl::StrCat("handle '", ShownId(id), "' not found in this session",
                               consequence),
                  v1::HANDLE_NOT_FOUND, v1::GATE_HANDLE);
}

// Release names a handle more often than the session holds it.
absl::Status OverReleased(absl::string_view id, uint64_t held, uint64_t asked) {
  return OrbError(absl::StatusCode::kNotFound,
                  absl::StrCat("handle '", ShownId(id), "' is held ", held, " time",
                               held == 1 ? "" : "s", " in this session, but the request releases it ",
                               asked, " times; nothing was released"),
                  v1::HANDLE_NOT_FOUND, v1::GATE_HANDLE);
}

absl::Status SessionClosed() {
  return OrbError(absl::StatusCode::kNotFound, "session not found", v1::SESSION_NOT_FOUND,
                  v1::GATE_SESSION);
}

absl::InlinedVector<std::shared_ptr<Object>, 1> Ancestors(const Object& object) {
  absl::InlinedVector<std::shared_ptr<Object>, 1> out;
  for (std::shared_ptr<Object> p = object.parent(); p != nullptr; p = p->parent()) {
    out.push_back(p);
  }
  return out;
}

// Bumped in a forked child, so that no thread there hands out bytes its
// parent may hand out too.
std::atomic<uint64_t> g_fork_generation{0};

// A thread's block of CSPRNG output, handed out 16 bytes at a time.
struct RandomBlock {
  static constexpr size_t kBytes = 512;
  unsigned char bytes[kBytes];
  size_t used = kBytes;  // empty
  uint64_t generation = 0;
};

}  // namespace

std::string RandomId128() {
  static const bool registered = [] {
    pthread_atfork(nullptr, nullptr,
                   [] { g_fork_generation.fetch_add(1, std::memory_order_relaxed); });
    return true;
  }();
  (void)registered;
  thread_local RandomBlock block;
  const uint64_t generation = g_fork_generation.load(std::memory_order_relaxed);
  if (block.used + 16 > RandomBlock::kBytes || block.generation != generation) {
    if (RAND_bytes(block.bytes, RandomBlock::kBytes) != 1) {
      // RAND_bytes only fails when the OS entropy source is unusable; absl's
      // generator is seeded from the OS as well and is the best left.
      thread_local absl::BitGen gen;
      for (unsigned char& b : block.bytes) b = absl::Uniform<unsigned char>(gen);
    }
    block.used = 0;
    block.generation = generation;
  }
  const unsigned char* id = block.bytes + block.used;
  block.used += 16;
  std::string hex = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(id), 16));
  // Bytes handed out are not kept.
  OPENSSL_cleanse(block.bytes + block.used - 16, 16);
  return hex;
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
  // Work that calls into objects or allocates happens before locking: the
  // entries a target may need are built here and dropped if unused.
  std::vector<std::unique_ptr<Entry>> fresh;
  fresh.reserve(targets.size());
  for (const HandleTarget& t : targets) {
    auto entry = std::make_unique<Entry>();
    entry->id = new_id_();
    entry->target = t;
    entry->references = 1;
    entry->pinned = Ancestors(*t.object);
    fresh.push_back(std::move(entry));
  }

  std::vector<v1::HandleRef> refs;
  refs.reserve(targets.size());
  orb::MutexHold lock(&mu_);
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
      const Key key = KeyOf(t);
      if (by_key_.contains(key) ||
          std::find(batch_keys.begin(), batch_keys.end(), key) != batch_keys.end()) {
        continue;
      }
      batch_keys.push_back(key);
      ++new_entries;
    }
  }
  if (by_id_.size() + new_entries > max_handles) {
    return OrbError(absl::StatusCode::kResourceExhausted,
                    absl::StrCat("this session would hold more than max_handles_per_session (",
                                 max_handles, ") handles; release some first"),
                    v1::QUOTA_HANDLES, v1::GATE_QUOTA);
  }

  for (size_t i = 0; i < targets.size(); ++i) {
    const HandleTarget& t = targets[i];
    if (t.restricted_olp == nullptr) {
      auto it = by_key_.find(KeyOf(t));
      if (it != by_key_.end()) {
        ++(*it)->references;
        refs.push_back(RefOf((*it)->id, t));
        continue;
      }
    }
    std::unique_ptr<Entry> entry = std::move(fresh[i]);
    while (by_id_.contains(entry->id)) entry->id = new_id_();  // 2^-128 per try, but never reuse
    refs.push_back(RefOf(entry->id, t));
    if (t.restricted_olp == nullptr) by_key_.insert(entry.get());
    by_id_.insert(std::move(entry));
    if (live_handles_ != nullptr) live_handles_->fetch_add(1, std::memory_order_relaxed);
  }
  return refs;
}

absl::StatusOr<HandleTarget> HandleTable::Find(absl::string_view id) const {
  orb::MutexHold lock(&mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return HandleNotFound(id);
  return (*it)->target;
}

absl::StatusOr<uint32_t> HandleTable::Release(const std::vector<std::string>& ids) {
  std::vector<std::unique_ptr<Entry>> dropped;  // destroyed after the lock is released
  uint32_t released = 0;
  {
    orb::MutexHold lock(&mu_);
    absl::flat_hash_map<absl::string_view, uint64_t> wanted;
    for (const std::string& id : ids) {
      auto it = by_id_.find(id);
      if (it == by_id_.end()) return HandleNotFound(id, "; nothing was released");
      const uint64_t asked = ++wanted[id];
      if (asked > (*it)->references) return OverReleased(id, (*it)->references, asked);
    }
    for (const auto& [id, count] : wanted) {
      auto it = by_id_.find(id);
      Entry& entry = **it;
      entry.references -= count;
      released += static_cast<uint32_t>(count);
      if (entry.references == 0) {
        if (entry.target.restricted_olp == nullptr) by_key_.erase(KeyOf(entry.target));
        dropped.push_back(std::move(by_id_.extract(it).value()));
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
    orb::MutexHold lock(&mu_);
    out.reserve(by_id_.size());
    for (const std::unique_ptr<Entry>& entry : by_id_) {
      v1::HandleInfo info;
      *info.mutable_ref() = RefOf(entry->id, entry->target);
      info.set_references(static_cast<uint32_t>(
          std::min<uint64_t>(entry->references, std::numeric_limits<uint32_t>::max())));
      info.set_restricted(entry->target.restricted_olp != nullptr);
      out.push_back(std::move(info));
    }
  }
  std::sort(out.begin(), out.end(), [](const v1::HandleInfo& a, const v1::HandleInfo& b) {
    return a.ref().id() < b.ref().id();
  });
  return out;
}

size_t HandleTable::Close() {
  absl::flat_hash_set<std::unique_ptr<Entry>, ById, ById> dropped;  // destroyed after unlocking
  {
    orb::MutexHold lock(&mu_);
    closed_ = true;
    dropped.swap(by_id_);
    by_key_.clear();
    if (live_handles_ != nullptr) {
      live_handles_->fetch_sub(static_cast<int64_t>(dropped.size()), std::memory_order_relaxed);
    }
  }
  return dropped.size();
}

size_t HandleTable::size() const {
  orb::MutexHold lock(&mu_);
  return by_id_.size();
}

}  // namespace orb::broker
