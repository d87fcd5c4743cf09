// Interned strings for principals and permissions.
//
// Compiled ACLs and OLPs refer to principals and permissions by SymbolId so
// that an authorization decision compares integers and allocates nothing.
#ifndef ORB_POLICY_SYMBOLS_H_
#define ORB_POLICY_SYMBOLS_H_

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

// An append-only string interner. Ids are dense, start at 0 and are never
// reused; a name once interned keeps its id for the life of the table.
//
// Thread safety: every method may be called concurrently.
class SymbolTable {
 public:
  SymbolTable() = default;
  SymbolTable(const SymbolTable&) = delete;
  SymbolTable& operator=(const SymbolTable&) = delete;

  // The process-wide table shared by every policy, type registration and
  // session, so that ids from all of them compare directly.
  static SymbolTable& Global();

  // Returns the id of `name`, interning it on first use.
  SymbolId Intern(absl::string_view name) ABSL_LOCKS_EXCLUDED(mu_);

  // Returns the id of `name`, or kNoSymbol if it was never interned (then no
  // compiled ACL can name it, so it matches nothing but ALL_PERMISSIONS).
  SymbolId Find(absl::string_view name) const ABSL_LOCKS_EXCLUDED(mu_);

  // The name of an interned id. REQUIRES: `id` was returned by Intern().
  // The view stays valid for the life of the table.
  absl::string_view Name(SymbolId id) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  // deque: element addresses are stable, so string_views into it stay valid.
  std::deque<std::string> names_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<absl::string_view, SymbolId> ids_ ABSL_GUARDED_BY(mu_);
};

// The well-known principals. The evaluator never adds them by itself: the
// authentication layer puts them into a caller's Principals.
inline constexpr absl::string_view kEveryone = "system.Everyone";
inline constexpr absl::string_view kAuthenticated = "system.Authenticated";

// A caller's effective principals: interned for matching, and kept as given
// (order and duplicates) for Pyramid's messages.
//
// Thread safety: immutable after construction; share freely.
class Principals {
 public:
  Principals() = default;
  // Interns every name in the global SymbolTable.
  explicit Principals(std::vector<std::string> as_given);

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
