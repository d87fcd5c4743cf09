// Interned strings for principals and permissions.
//
// Compiled ACLs and OLPs refer to principals and permissions by SymbolId so
// that an authorization decision compares integers and allocates nothing.
#ifndef ORB_POLICY_SYMBOLS_H_
#define ORB_POLICY_SYMBOLS_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace orb::policy {

using SymbolId = uint32_t;
inline constexpr SymbolId kNoSymbol = 0xffffffffu;

// A reference-counted string interner. Ids are dense and start at 0.
//
// Boundedness: names come and go with what names them. Intern() returns the
// id with one reference that the caller owns; Release() gives it back, and
// the name is forgotten when its last reference goes. Its id may then be
// handed to a later name, which is safe because nothing refers to the old
// one any more. Compiled ACLs (Acl), permission locks (Lock) and Principals
// hold a reference to each id they store and release it when destroyed, so
// a userid or group that only a session's Principals (or a per-call dynamic
// ACL) names is forgotten once the last of them is gone: a broker serving
// many users holds the names of the users it serves now and of those the
// live policies name, not of every user it ever saw. A caller that never
// releases pins a name for the life of the table.
//
// Thread safety: every method may be called concurrently. Taking a
// reference to a known name takes the shared lock only; forgetting a name
// takes the exclusive lock.
class SymbolTable {
 public:
  SymbolTable() = default;
  SymbolTable(const SymbolTable&) = delete;
  SymbolTable& operator=(const SymbolTable&) = delete;

  // The process-wide table shared by every policy, type registration and
  // session, so that ids from all of them compare directly.
  static SymbolTable& Global();

  // Returns the id of `name`, interning it on first use, and takes one
  // reference to it (the caller's to Release, or to keep for ever).
  SymbolId Intern(absl::string_view name) ABSL_LOCKS_EXCLUDED(mu_);

  // Takes one more reference to `id`. REQUIRES: the caller holds one.
  void Ref(SymbolId id) ABSL_LOCKS_EXCLUDED(mu_);

  // Gives back one reference taken by Intern or Ref; the last one forgets
  // the name. kNoSymbol is ignored.
  void Release(SymbolId id) ABSL_LOCKS_EXCLUDED(mu_);

  // Returns the id of `name`, or kNoSymbol if it is not interned (then no
  // live compiled ACL can name it, so it matches nothing but
  // ALL_PERMISSIONS). Takes no reference: use the id only to compare it
  // with ids held by others during the call.
  SymbolId Find(absl::string_view name) const ABSL_LOCKS_EXCLUDED(mu_);

  // The name of an id. REQUIRES: someone holds a reference to `id`; the
  // view stays valid while one is held.
  absl::string_view Name(SymbolId id) const ABSL_LOCKS_EXCLUDED(mu_);

  // The number of names interned now (each with at least one reference).
  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);
  // The number of ids ever in use at once: the table's footprint, which a
  // freed id's reuse keeps from growing.
  size_t capacity() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Entry {
    std::string name;
    std::atomic<uint32_t> refs{0};
    bool live = false;  // guarded by mu_
  };
  mutable absl::Mutex mu_;
  // deque: element addresses are stable, so string_views into it stay valid.
  std::deque<Entry> entries_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<absl::string_view, SymbolId> ids_ ABSL_GUARDED_BY(mu_);
  std::vector<SymbolId> free_ ABSL_GUARDED_BY(mu_);  // ids of forgotten names
};

// The well-known principals. The evaluator never adds them by itself: the
// authentication layer puts them into a caller's Principals.
inline constexpr absl::string_view kEveryone = "system.Everyone";
inline constexpr absl::string_view kAuthenticated = "system.Authenticated";

// A caller's effective principals: interned for matching, and kept as given
// (order and duplicates) for Pyramid's messages. Holds a reference to each
// id (see SymbolTable): a principal no policy names is forgotten when the
// last Principals naming it is destroyed.
//
// Thread safety: immutable after construction; share freely.
class Principals {
 public:
  Principals() = default;
  // Interns every name in the global SymbolTable.
  explicit Principals(std::vector<std::string> as_given);
  Principals(const Principals& other);
  Principals(Principals&& other) noexcept;
  Principals& operator=(const Principals& other);
  Principals& operator=(Principals&& other) noexcept;
  ~Principals();

  // True if `id` is one of the principals. O(log n), no allocation; most
  // non-members are rejected in O(1) by a 64-bit membership mask.
  bool Contains(SymbolId id) const;
  // The interned ids, sorted and unique.
  const std::vector<SymbolId>& ids() const { return sorted_ids_; }

  // A 64-bit summary of the ids: the OR of MaskBit(id) over ids(). Two sets
  // whose masks do not intersect share no id (the ACL evaluator skips a whole
  // ACL this way); intersecting masks prove nothing.
  static uint64_t MaskBit(SymbolId id) { return uint64_t{1} << (id & 63); }
  uint64_t mask() const { return mask_; }
  const std::vector<std::string>& as_given() const { return as_given_; }
  bool empty() const { return as_given_.empty(); }

 private:
  std::vector<std::string> as_given_;
  std::vector<SymbolId> sorted_ids_;  // sorted, unique
  uint64_t mask_ = 0;                 // OR of MaskBit(id) over sorted_ids_
};

}  // namespace orb::policy

#endif  // ORB_POLICY_SYMBOLS_H_
