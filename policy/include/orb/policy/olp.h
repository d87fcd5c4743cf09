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
//
// Precisely (Olp::Resolve implements it; Exposes, Restrict, the gate's
// Decide and the one rendering of a name's lock, Resolved::Render, all go
// through it, so they cannot disagree):
//   - The wildcard keys themselves and the empty string are never member
//     names: asking for "*", "&" or "|" finds nothing.
//   - "Exactly BLOCKED" means a lock of kind kBlocked, not an expression that
//     happens never to hold. A listed name whose entry is BLOCKED does not
//     fall back to "*". A path that can never hold because its own lock or
//     "&" is BLOCKED is dropped, and so is a BLOCKED "|"; a name left with no
//     path is not exposed. So "&": BLOCKED (with no "|") hides a whole
//     table, which is how an operator switches an operation off without
//     creating an existence oracle.
//   - "&" narrows every name, listed "_" names included; "*" and "|" never
//     reach a name that starts with "_".
//   - Evaluation short-circuits as rpyc.security does: the own lock, then "&"
//     only if it held, then "|" only if that path failed.
#ifndef ORB_POLICY_OLP_H_
#define ORB_POLICY_OLP_H_

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "orb/policy/symbols.h"

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
struct LockQuery {
  const Principals* principals = nullptr;
  absl::string_view session_id;
  absl::string_view name;  // the member name asked for
  Op op = Op::kGetAttr;
  View view = View::kInstance;
};

// A lock: an immutable boolean expression. Copying shares the tree.
//
// Thread safety: immutable; copies may be used and destroyed concurrently
// (a custom lock's predicate must itself be safe to call concurrently).
// Trees are built by the program and the policy loader, not by clients;
// evaluation and rendering recurse once per nesting level.
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
  using Predicate = std::function<absl::StatusOr<bool>(const LockQuery&)>;

  // Interns `permission` in SymbolTable::Global() once, here, so that the
  // gate compares ids and allocates nothing.
  static Lock Permission(absl::string_view permission);
  static Lock AllOf(std::vector<Lock> locks);
  static Lock AnyOf(std::vector<Lock> locks);
  static Lock Blocked();
  static Lock NoPermissionRequired();
  // `display` is what descriptions show for it, e.g. "business_hours". An
  // empty predicate never holds.
  static Lock Custom(std::string display, Predicate predicate);

  Kind kind() const;
  // kPermission only (other kinds: "" and kNoSymbol).
  const std::string& permission() const;
  SymbolId permission_id() const;
  // kAllOf / kAnyOf only (other kinds: empty).
  const std::vector<Lock>& children() const;

  // kCustom only: runs the predicate. An error status, a thrown exception
  // (caught here, nothing escapes) or an empty predicate counts as not
  // holding. Returns false for every other kind. Thread-safe as far as the
  // predicate is; predicates must be safe to call concurrently.
  bool CustomHolds(const LockQuery& context) const noexcept;

  // rpyc.security's rendering: "view", "[a & b]", "[a | b]", "BLOCKED",
  // "NO_PERMISSION_REQUIRED", or a custom lock's display string. As in
  // rpyc.security an empty AND renders "True" and an empty OR "False", so
  // the two stay distinguishable in a description.
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
// Thread safety: immutable once built; share freely through OlpPtr. Locks
// are shared between OLPs built from one another (copying a Lock shares
// its immutable tree).
class Olp {
 public:
  // Build an OLP. Not thread-safe; use from one thread, then Build().
  class Builder {
   public:
    Builder();
    // Starts from `base` (inherit): its entries are copied; a plain name this
    // builder exposes replaces the inherited entry; a wildcard present in
    // both is AND-merged. Replacement is per table: to keep a member the
    // child redefines from riding on any inherited grant, RemoveName() it.
    // Order-independent: Inherit before or after Expose/Remove gives the
    // same OLP, because inherited entries are kept apart until Build().
    // Inheriting several bases AND-merges them with each other, every key
    // (rpyc.security's and_olp), before this builder's own entries apply.
    // A BLOCKED side makes an AND-merged entry exactly BLOCKED.
    Builder& Inherit(const Olp& base);
    // Adds or replaces this builder's entry for `name` (a member name or
    // "*", "&", "|").
    Builder& Expose(View view, Op op, absl::string_view name, Lock lock);
    // Removes `name` from one table: this builder's entry, and the inherited
    // one whenever a base is inherited (before or after). A later Expose of
    // the name adds it back without the inherited entry. No-op when absent.
    Builder& Remove(View view, Op op, absl::string_view name);
    // Remove() in all eight tables (rpyc.security's wipe_name).
    Builder& RemoveName(absl::string_view name);
    // The OLP so far. The builder stays usable; Build() may be called again.
    std::shared_ptr<const class Olp> Build();

   private:
    using NameSet = std::set<std::string, std::less<>>;
    std::array<std::array<OlpTable, kOpCount>, kViewCount> tables_;
    std::array<std::array<OlpTable, kOpCount>, kViewCount> inherited_;
    std::array<std::array<NameSet, kOpCount>, kViewCount> removed_;
  };

  // The empty OLP: exposes nothing (a type without an OLP).
  static std::shared_ptr<const Olp> Empty();

  // The locks that decide `name` for (view, op), after the lookup rules in
  // the file comment. Every pointer is null or points into this OLP (valid
  // while it lives). The name holds when ((own and all) or alt), with "all"
  // consulted only when own held and "alt" only when that path failed.
  struct Resolved {
    const Lock* own = nullptr;  // the entry for the name, or "*"
    const Lock* all = nullptr;  // "&"; null whenever own is null
    const Lock* alt = nullptr;  // "|"
    bool exposed() const { return own != nullptr || alt != nullptr; }
    // The one rendering of "the lock on this name": exactly the expression
    // the gate evaluates, ((own & all) | alt) with absent parts left out,
    // e.g. "view", "[view & audited]", "[[view & audited] | admin]";
    // "BLOCKED" when not exposed. Descriptions, denial messages and
    // explanations all show this text. Allocates.
    std::string Render() const;
  };
  // Allocates nothing.
  Resolved Resolve(View view, Op op, absl::string_view name) const;

  // True if `name` exists for (view, op) under this OLP (see file comment).
  bool Exposes(View view, Op op, absl::string_view name) const;

  // A restricted view (attenuation): an OLP that exposes, for each (view, op),
  // only the names in `keep[view][op]` that this OLP exposes, each with the
  // lock this OLP would apply to it ((entry or "*") and "&", or "|"). It has
  // no wildcards, so it can only narrow. Wildcard keys and names this OLP
  // does not expose are ignored. Restricting a restricted OLP narrows again.
  using NameSubset = std::array<std::array<std::vector<std::string>, kOpCount>, kViewCount>;
  std::shared_ptr<const Olp> Restrict(const NameSubset& keep) const;

  // Every entry of every table (wildcards included) with its lock's
  // rendering; holds no live lock.
  OlpDescription Describe() const;

 private:
  friend class Builder;
  // Tests inspect the raw tables through it (tests/policy/olp_peer.h);
  // everything else asks Resolve.
  friend class OlpPeer;
  Olp() = default;

  const OlpTable& table(View view, Op op) const;
  // The single lock equivalent to Resolve(view, op, name) (the same
  // outcome, evaluated in the same order; its ToString() is
  // Resolved::Render()); BLOCKED when the name is not exposed. What Restrict
  // keeps for a name.
  Lock EffectiveLock(View view, Op op, absl::string_view name) const;

  // Builds the lookup index from tables_. A decision then does one hash
  // lookup for the name and none for the wildcards. The index holds Lock
  // copies (shared trees), not pointers, so copying an Olp stays safe.
  void BuildIndex();

  struct Index {
    absl::flat_hash_map<std::string, Lock> names;  // every non-wildcard key
    std::optional<Lock> any;                       // "*"
    std::optional<Lock> all;                       // "&"
    std::optional<Lock> alt;                       // "|"
  };
  std::array<std::array<OlpTable, kOpCount>, kViewCount> tables_;
  std::array<std::array<Index, kOpCount>, kViewCount> index_;
};
using OlpPtr = std::shared_ptr<const Olp>;

}  // namespace orb::policy

#endif  // ORB_POLICY_OLP_H_
