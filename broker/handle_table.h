// HandleTable: the handles of one session.
//
// A handle names one of: an object (instance view), the class object of a
// registered type (class view, remembering the object it was obtained from),
// or a restricted view of either (carrying a narrowed OLP). Ids are opaque,
// 128-bit random, unique within the table, never reused, and mean nothing to
// any other session.
//
// Reference counting, as Cap'n Proto's export table: exporting the same
// object again (same type, same view, not restricted) returns the same id
// with one more reference; Release() drops one reference per id given; the
// entry goes when its count reaches zero. Restricted handles are never
// shared: each Restrict() makes a new entry.
//
// Invariants:
//   - every entry has references >= 1;
//   - `by_key_` holds exactly the unrestricted entries of `by_id_`;
//   - the entry count never exceeds the quota passed to Add();
//   - once closed, the table is empty and stays empty.
//
// Thread safety: every method may be called concurrently (one internal
// absl::Mutex). Objects whose last handle goes are destroyed after the lock
// is released, since a destructor is arbitrary code.
#ifndef ORB_BROKER_HANDLE_TABLE_H_
#define ORB_BROKER_HANDLE_TABLE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "orb/broker/object.h"
#include "orb/broker/type_registry.h"
#include "orb/v1/broker.pb.h"
#include "orb/policy/olp.h"

namespace orb::broker {

// What a handle refers to; a snapshot that stays valid after the handle is
// released (it holds the object).
struct HandleTarget {
  std::shared_ptr<Object> object;  // the instance; for a class handle its origin
  const TypeInfo* type = nullptr;  // the handle's type (the class's type for a class handle)
  bool is_class = false;
  policy::OlpPtr restricted_olp;   // non-null for a restricted handle
};

class HandleTable {
 public:
  // `new_id` returns a fresh random id; `live_handles` (may be null) is a
  // counter shared by all tables, kept equal to the total number of entries.
  HandleTable(std::function<std::string()> new_id, std::atomic<int64_t>* live_handles);
  ~HandleTable();
  HandleTable(const HandleTable&) = delete;
  HandleTable& operator=(const HandleTable&) = delete;

  // Adds one reference per target, in order, and returns the HandleRef of
  // each (targets equal by object, type and view share an entry, unless
  // restricted). All or nothing.
  // Errors: RESOURCE_EXHAUSTED (QUOTA_HANDLES) when the new entries would
  // exceed `max_handles`; NOT_FOUND (SESSION_NOT_FOUND) once closed.
  absl::StatusOr<std::vector<v1::HandleRef>> Add(const std::vector<HandleTarget>& targets,
                                                 uint32_t max_handles) ABSL_LOCKS_EXCLUDED(mu_);

  // The target of `id`. Errors: NOT_FOUND (HANDLE_NOT_FOUND).
  absl::StatusOr<HandleTarget> Find(absl::string_view id) const ABSL_LOCKS_EXCLUDED(mu_);

  // Releases one reference per id (an id may repeat, up to its count).
  // All or nothing: if any id is unknown, or repeated more often than its
  // references, nothing is released. Returns the number released.
  // Errors: NOT_FOUND (HANDLE_NOT_FOUND) naming the first offending id.
  absl::StatusOr<uint32_t> Release(const std::vector<std::string>& ids) ABSL_LOCKS_EXCLUDED(mu_);

  // Every handle, ordered by id.
  std::vector<v1::HandleInfo> List() const ABSL_LOCKS_EXCLUDED(mu_);

  // Drops every entry and refuses later Add()s. Returns how many entries
  // there were. Idempotent.
  size_t Close() ABSL_LOCKS_EXCLUDED(mu_);

  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // An entry lives on the heap and the two indexes hold pointers to it:
  // with a million handles a slot of 8 bytes instead of a whole entry keeps
  // the tables' unused capacity cheap (see docs/performance.md).
  struct Entry {
    std::string id;
    HandleTarget target;
    uint64_t references = 0;
    // The ancestors the object had when the handle was made: the lineage
    // stays valid while the handle exists (children point to parents
    // weakly). Inline for the usual single parent, so no allocation.
    absl::InlinedVector<std::shared_ptr<Object>, 1> pinned;
  };
  struct Key {
    const Object* object;
    const TypeInfo* type;
    bool is_class;
    bool operator==(const Key& o) const {
      return object == o.object && type == o.type && is_class == o.is_class;
    }
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.object, k.type, k.is_class);
    }
  };
  static Key KeyOf(const HandleTarget& t) { return Key{t.object.get(), t.type, t.is_class}; }

  // Transparent hash and equality: the indexes hold entries and are
  // searched by id (by_id_) or by Key (by_key_).
  struct ById {
    using is_transparent = void;
    static absl::string_view Of(absl::string_view id) { return id; }
    static absl::string_view Of(const std::unique_ptr<Entry>& e) { return e->id; }
    template <typename T>
    size_t operator()(const T& v) const {
      return absl::Hash<absl::string_view>()(Of(v));
    }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return Of(a) == Of(b);
    }
  };
  struct ByKey {
    using is_transparent = void;
    static Key Of(const Key& k) { return k; }
    static Key Of(const Entry* e) { return KeyOf(e->target); }
    template <typename T>
    size_t operator()(const T& v) const {
      return absl::Hash<Key>()(Of(v));
    }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return Of(a) == Of(b);
    }
  };

  static v1::HandleRef RefOf(const std::string& id, const HandleTarget& target);

  // Constant after construction.
  const std::function<std::string()> new_id_;
  std::atomic<int64_t>* const live_handles_;

  mutable absl::Mutex mu_;
  // Every entry, owned here.
  absl::flat_hash_set<std::unique_ptr<Entry>, ById, ById> by_id_ ABSL_GUARDED_BY(mu_);
  // The unrestricted entries, by what they refer to.
  absl::flat_hash_set<Entry*, ByKey, ByKey> by_key_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

// 16 bytes from the operating system's CSPRNG (OpenSSL RAND_bytes), as 32
// lower-case hex characters. Each thread draws RAND_bytes in blocks and
// hands them out 16 bytes at a time (one RAND_bytes call costs more than
// the rest of a handle insert); a forked child never reuses its parent's
// block. Thread-safe.
std::string RandomId128();

}  // namespace orb::broker

#endif  // ORB_BROKER_HANDLE_TABLE_H_
