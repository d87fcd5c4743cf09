// Object Lock Profiles: which names of an object exist for which operation.
//
// An OLP belongs to a type (or, narrowed, to a single handle). It holds eight
// tables keyed by name: getattr, setattr, delattr and call, for the instance
// view and for the class view. Each entry maps a name to a Lock. The rules
// (rpyc.security's, made stricter; docs/policy.md has the reference):
//
//   lock   = table[name] if listed, else table["*"] (never for "_" names)
//   ok     = lock exists and holds
//   ok     = ok and table["&"] holds, if "&" is present
//   ok     = ok or table["|"] holds, if "|" is present (never for "_" names)
//
// A name is *exposed* when it is listed (and its lock is not BLOCKED), or
// reached by "*" (not BLOCKED) or "|". A name that is not exposed does not
// exist for that operation: the broker answers exactly as for a missing name.
#ifndef ORB_POLICY_OLP_H_
#define ORB_POLICY_OLP_H_

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "policy/symbols.h"

namespace orb::policy {

enum class Op : uint8_t { kGetAttr = 0, kSetAttr = 1, kDelAttr = 2, kCall = 3 };
enum class View : uint8_t { kInstance = 0, kClass = 1 };
inline constexpr int kOpCount = 4;
inline constexpr int kViewCount = 2;

absl::string_view OpName(Op op);      // "getattr", "setattr", "delattr", "call"
absl::string_view ViewName(View v);   // "instance", "class"

inline constexpr absl::string_view kWildcardAny = "*";
inline constexpr absl::string_view kWildcardAnd = "&";
inline constexpr absl::string_view kWildcardOr = "|";

// What a custom lock is told: who asks, and about what. Never thread-local.
struct LockContext {
  const Principals* principals = nullptr;
  absl::string_view session_id;
  absl::string_view name;  // the member name asked for
  Op op = Op::kGetAttr;
  View view = View::kInstance;
};

// A lock: an immutable boolean expression. Copying shares the tree.
class Lock {
 public:
  enum class Kind : uint8_t {
    kPermission,            // the ACL must grant this permission
    kAllOf,                 // every child holds (empty: holds)
    kAnyOf,                 // some child holds (empty: never)
    kBlocked,               // never holds; a BLOCKED entry is not exposed
    kNoPermissionRequired,  // always holds
    kCustom,                // a C++ predicate; an error fails closed
  };
  using Predicate = std::function<absl::StatusOr<bool>(const LockContext&)>;

  static Lock Permission(absl::string_view permission);
  static Lock AllOf(std::vector<Lock> locks);
  static Lock AnyOf(std::vector<Lock> locks);
  static Lock Blocked();
  static Lock NoPermissionRequired();
  // `display` is what descriptions show for it, e.g. "business_hours".
  static Lock Custom(std::string display, Predicate predicate);

  Kind kind() const;
  // kPermission only.
  const std::string& permission() const;
  SymbolId permission_id() const;
  // kAllOf / kAnyOf only.
  const std::vector<Lock>& children() const;

  // rpyc.security's rendering: "view", "[a & b]", "[a | b]", "BLOCKED",
  // "NO_PERMISSION_REQUIRED", or a custom lock's display string.
  std::string ToString() const;

  struct Node;  // implementation detail

 private:
  explicit Lock(std::shared_ptr<const Node> node) : node_(std::move(node)) {}
  std::shared_ptr<const Node> node_;
};

// A name -> lock table, wildcards included. Ordered for stable descriptions.
using OlpTable = std::map<std::string, Lock, std::less<>>;

// The read-only copy clients may see: every table with its names and the
// rendering of each lock, never a live lock.
struct OlpDescription {
  struct Entry {
    View view;
    Op op;
    std::string name;
    std::string lock;  // Lock::ToString()
  };
  std::vector<Entry> entries;  // ordered by view, op, name
};

// Whether these principals may do an operation, as one OLP sees it.
//
// Thread safety: immutable once built; share freely through OlpPtr.
class Olp {
 public:
  // Build an OLP. Not thread-safe; use from one thread, then Build().
  class Builder {
   public:
    Builder();
    // Starts from `base` (inherit): its entries are copied; a plain name this
    // builder later exposes replaces the inherited entry; a wildcard present
    // in both is AND-merged.
    Builder& Inherit(const Olp& base);
    // Adds or replaces the entry for `name` (a member name or "*", "&", "|").
    Builder& Expose(View view, Op op, absl::string_view name, Lock lock);
    // Removes `name` from one table (a no-op when absent).
    Builder& Remove(View view, Op op, absl::string_view name);
    std::shared_ptr<const class Olp> Build();

   private:
    std::array<std::array<OlpTable, kOpCount>, kViewCount> tables_;
    std::array<std::array<OlpTable, kOpCount>, kViewCount> inherited_;
  };

  // The empty OLP: exposes nothing (a type without an OLP).
  static std::shared_ptr<const Olp> Empty();

  const OlpTable& table(View view, Op op) const;

  // True if `name` exists for (view, op) under this OLP (see file comment).
  bool Exposes(View view, Op op, absl::string_view name) const;

  // A restricted view (attenuation): an OLP that exposes, for each (view, op),
  // only the names in `keep[view][op]` that this OLP exposes, each with the
  // lock this OLP would apply to it ((entry or "*") and "&", or "|"). It has
  // no wildcards, so it can only narrow.
  using NameSubset = std::array<std::array<std::vector<std::string>, kOpCount>, kViewCount>;
  std::shared_ptr<const Olp> Restrict(const NameSubset& keep) const;

  OlpDescription Describe() const;

 private:
  friend class Builder;
  Olp() = default;
  std::array<std::array<OlpTable, kOpCount>, kViewCount> tables_;
};
using OlpPtr = std::shared_ptr<const Olp>;

}  // namespace orb::policy

#endif  // ORB_POLICY_OLP_H_
