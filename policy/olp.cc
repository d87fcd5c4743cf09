#include "orb/policy/olp.h"

#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace orb::policy {

struct Lock::Node {
  Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  // A permission lock holds its permission's SymbolTable reference.
  ~Node() { SymbolTable::Global().Release(permission_id); }

  Kind kind = Kind::kBlocked;
  // kPermission: the permission name; kCustom: the display string.
  std::string text;
  SymbolId permission_id = kNoSymbol;
  std::vector<Lock> children;
  Predicate predicate;
};

namespace {

const std::string& EmptyString() {
  static const std::string* const kEmpty = new std::string();
  return *kEmpty;
}

const std::vector<Lock>& EmptyLocks() {
  static const std::vector<Lock>* const kEmpty = new std::vector<Lock>();
  return *kEmpty;
}

bool IsWildcard(absl::string_view name) {
  return name == kWildcardAny || name == kWildcardAnd || name == kWildcardOr;
}

// "*" and "|" never reach these: they are exposed only when listed.
bool IsPrivateName(absl::string_view name) { return !name.empty() && name.front() == '_'; }

bool IsBlocked(const Lock& lock) { return lock.kind() == Lock::Kind::kBlocked; }

// AND of two entries for one key. BLOCKED on either side stays exactly
// BLOCKED, so the merged name keeps "not exposed" rather than turning into
// an exposed name that can never be granted.
Lock AndMerge(const Lock& a, const Lock& b) {
  if (IsBlocked(a)) return a;
  if (IsBlocked(b)) return b;
  return Lock::AllOf({a, b});
}

using Tables = std::array<std::array<OlpTable, kOpCount>, kViewCount>;

}  // namespace

absl::string_view OpName(Op op) {
  switch (op) {
    case Op::kGetAttr:
      return "getattr";
    case Op::kSetAttr:
      return "setattr";
    case Op::kDelAttr:
      return "delattr";
    case Op::kCall:
      return "call";
  }
  return "unknown";
}

absl::string_view ViewName(View v) {
  switch (v) {
    case View::kInstance:
      return "instance";
    case View::kClass:
      return "class";
  }
  return "unknown";
}

// ---------------------------------------------------------------------------
// Lock

Lock Lock::Permission(absl::string_view permission) {
  auto node = std::make_shared<Node>();
  node->kind = Kind::kPermission;
  node->text = std::string(permission);
  node->permission_id = SymbolTable::Global().Intern(permission);
  return Lock(std::move(node));
}

Lock Lock::AllOf(std::vector<Lock> locks) {
  auto node = std::make_shared<Node>();
  node->kind = Kind::kAllOf;
  node->children = std::move(locks);
  return Lock(std::move(node));
}

Lock Lock::AnyOf(std::vector<Lock> locks) {
  auto node = std::make_shared<Node>();
  node->kind = Kind::kAnyOf;
  node->children = std::move(locks);
  return Lock(std::move(node));
}

// BLOCKED and NO_PERMISSION_REQUIRED carry no data: one shared node each.
Lock Lock::Blocked() {
  static const std::shared_ptr<const Node>* const kNode = [] {
    auto node = std::make_shared<Node>();
    node->kind = Kind::kBlocked;
    return new std::shared_ptr<const Node>(std::move(node));
  }();
  return Lock(*kNode);
}

Lock Lock::NoPermissionRequired() {
  static const std::shared_ptr<const Node>* const kNode = [] {
    auto node = std::make_shared<Node>();
    node->kind = Kind::kNoPermissionRequired;
    return new std::shared_ptr<const Node>(std::move(node));
  }();
  return Lock(*kNode);
}

Lock Lock::Custom(std::string display, Predicate predicate) {
  auto node = std::make_shared<Node>();
  node->kind = Kind::kCustom;
  node->text = std::move(display);
  node->predicate = std::move(predicate);
  return Lock(std::move(node));
}

Lock::Kind Lock::kind() const { return node_->kind; }

const std::string& Lock::permission() const {
  return node_->kind == Kind::kPermission ? node_->text : EmptyString();
}

SymbolId Lock::permission_id() const { return node_->permission_id; }

const std::vector<Lock>& Lock::children() const {
  return (node_->kind == Kind::kAllOf || node_->kind == Kind::kAnyOf) ? node_->children
                                                                       : EmptyLocks();
}

bool Lock::CustomHolds(const LockQuery& context) const noexcept {
  if (node_->kind != Kind::kCustom || !node_->predicate) return false;
  // A lock is user code: whatever goes wrong in it must deny, never escape
  // into the broker's request path.
  try {
    absl::StatusOr<bool> result = node_->predicate(context);
    return result.ok() && *result;
  } catch (...) {
    return false;
  }
}

std::string Lock::ToString() const {
  switch (node_->kind) {
    case Kind::kPermission:
    case Kind::kCustom:
      return node_->text;
    case Kind::kBlocked:
      return "BLOCKED";
    case Kind::kNoPermissionRequired:
      return "NO_PERMISSION_REQUIRED";
    case Kind::kAllOf:
    case Kind::kAnyOf: {
      const bool all = node_->kind == Kind::kAllOf;
      if (node_->children.empty()) return all ? "True" : "False";
      return absl::StrCat(
          "[",
          absl::StrJoin(node_->children, all ? " & " : " | ",
                        [](std::string* out, const Lock& l) { out->append(l.ToString()); }),
          "]");
    }
  }
  return "BLOCKED";
}

// ---------------------------------------------------------------------------
// Olp::Builder

Olp::Builder::Builder() = default;

Olp::Builder& Olp::Builder::Inherit(const Olp& base) {
  for (int v = 0; v < kViewCount; ++v) {
    for (int o = 0; o < kOpCount; ++o) {
      OlpTable& into = inherited_[v][o];
      for (const auto& [name, lock] : base.tables_[v][o]) {
        auto it = into.find(name);
        if (it == into.end()) {
          into.emplace(name, lock);
        } else {
          it->second = AndMerge(it->second, lock);
        }
      }
    }
  }
  return *this;
}

Olp::Builder& Olp::Builder::Expose(View view, Op op, absl::string_view name, Lock lock) {
  OlpTable& table = tables_[static_cast<int>(view)][static_cast<int>(op)];
  auto it = table.find(name);
  if (it == table.end()) {
    table.emplace(std::string(name), std::move(lock));
  } else {
    it->second = std::move(lock);
  }
  return *this;
}

Olp::Builder& Olp::Builder::Remove(View view, Op op, absl::string_view name) {
  const int v = static_cast<int>(view);
  const int o = static_cast<int>(op);
  auto it = tables_[v][o].find(name);
  if (it != tables_[v][o].end()) tables_[v][o].erase(it);
  // Remembered, not applied, so that a base inherited later loses it too.
  removed_[v][o].emplace(name);
  return *this;
}

Olp::Builder& Olp::Builder::RemoveName(absl::string_view name) {
  for (int v = 0; v < kViewCount; ++v) {
    for (int o = 0; o < kOpCount; ++o) {
      Remove(static_cast<View>(v), static_cast<Op>(o), name);
    }
  }
  return *this;
}

std::shared_ptr<const Olp> Olp::Builder::Build() {
  std::shared_ptr<Olp> olp(new Olp());
  for (int v = 0; v < kViewCount; ++v) {
    for (int o = 0; o < kOpCount; ++o) {
      OlpTable& out = olp->tables_[v][o];
      for (const auto& [name, lock] : inherited_[v][o]) {
        if (removed_[v][o].count(name) == 0) out.emplace(name, lock);
      }
      for (const auto& [name, lock] : tables_[v][o]) {
        auto it = out.find(name);
        if (it == out.end()) {
          out.emplace(name, lock);
        } else if (IsWildcard(name)) {
          it->second = AndMerge(it->second, lock);
        } else {
          it->second = lock;
        }
      }
    }
  }
  olp->BuildIndex();
  return olp;
}

// ---------------------------------------------------------------------------
// Olp

std::shared_ptr<const Olp> Olp::Empty() {
  static const std::shared_ptr<const Olp>* const kEmpty =
      new std::shared_ptr<const Olp>(new Olp());
  return *kEmpty;
}

void Olp::BuildIndex() {
  for (int v = 0; v < kViewCount; ++v) {
    for (int o = 0; o < kOpCount; ++o) {
      Index& index = index_[v][o];
      index.names.reserve(tables_[v][o].size());
      for (const auto& [name, lock] : tables_[v][o]) {
        if (name == kWildcardAny) {
          index.any = lock;
        } else if (name == kWildcardAnd) {
          index.all = lock;
        } else if (name == kWildcardOr) {
          index.alt = lock;
        } else {
          index.names.emplace(name, lock);
        }
      }
    }
  }
}

const OlpTable& Olp::table(View view, Op op) const {
  return tables_[static_cast<int>(view)][static_cast<int>(op)];
}

Olp::Resolved Olp::Resolve(View view, Op op, absl::string_view name) const {
  Resolved r;
  if (name.empty() || IsWildcard(name)) return r;
  const int v = static_cast<int>(view);
  const int o = static_cast<int>(op);
  const Index& w = index_[v][o];
  const bool is_private = IsPrivateName(name);

  auto it = w.names.find(name);
  if (it != w.names.end()) {
    r.own = &it->second;
  } else if (!is_private && w.any.has_value()) {
    r.own = &*w.any;
  }
  if (r.own != nullptr && IsBlocked(*r.own)) r.own = nullptr;
  if (r.own != nullptr && w.all.has_value()) {
    // "&" BLOCKED means the own path can never hold: drop it, so that the
    // name is exposed only if "|" can still grant it.
    r.own = IsBlocked(*w.all) ? nullptr : r.own;
    r.all = r.own != nullptr ? &*w.all : nullptr;
  }
  if (!is_private && w.alt.has_value() && !IsBlocked(*w.alt)) r.alt = &*w.alt;
  return r;
}

std::string Olp::Resolved::Render() const {
  if (!exposed()) return "BLOCKED";
  std::string path;
  if (own != nullptr) {
    path = all != nullptr ? absl::StrCat("[", own->ToString(), " & ", all->ToString(), "]")
                          : own->ToString();
  }
  if (alt == nullptr) return path;
  if (own == nullptr) return alt->ToString();
  return absl::StrCat("[", path, " | ", alt->ToString(), "]");
}

bool Olp::Exposes(View view, Op op, absl::string_view name) const {
  return Resolve(view, op, name).exposed();
}

Lock Olp::EffectiveLock(View view, Op op, absl::string_view name) const {
  const Resolved r = Resolve(view, op, name);
  if (!r.exposed()) return Lock::Blocked();
  std::optional<Lock> path;
  if (r.own != nullptr) {
    path = r.all != nullptr ? Lock::AllOf({*r.own, *r.all}) : *r.own;
  }
  if (r.alt == nullptr) return *path;
  if (!path.has_value()) return *r.alt;
  return Lock::AnyOf({*path, *r.alt});
}

std::shared_ptr<const Olp> Olp::Restrict(const NameSubset& keep) const {
  std::shared_ptr<Olp> olp(new Olp());
  for (int v = 0; v < kViewCount; ++v) {
    for (int o = 0; o < kOpCount; ++o) {
      const View view = static_cast<View>(v);
      const Op op = static_cast<Op>(o);
      for (const std::string& name : keep[v][o]) {
        // Resolve refuses wildcard keys, so the result never has any.
        if (!Exposes(view, op, name)) continue;
        olp->tables_[v][o].emplace(name, EffectiveLock(view, op, name));
      }
    }
  }
  olp->BuildIndex();
  return olp;
}

OlpDescription Olp::Describe() const {
  OlpDescription d;
  for (int v = 0; v < kViewCount; ++v) {
    for (int o = 0; o < kOpCount; ++o) {
      for (const auto& [name, lock] : tables_[v][o]) {
        d.entries.push_back({static_cast<View>(v), static_cast<Op>(o), name, lock.ToString()});
      }
    }
  }
  return d;
}

}  // namespace orb::policy
