#include "orb/policy/acl.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/utf8.h"

namespace orb::policy {
namespace {

constexpr absl::string_view kDefaultDenyAceRepr = "'<default deny>'";
constexpr absl::string_view kNoAclFoundRepr =
    "'<No ACL found on any object in resource lineage>'";

// ---------------------------------------------------------------------------
// Python 3 str.__repr__.

struct CodePointRange {
  uint32_t first;
  uint32_t last;
};

// Code points >= U+0080 that str.isprintable() rejects (Unicode 14.0.0, the
// database of the Python 3.11 that produced the conformance corpus).
constexpr CodePointRange kNonPrintable[] = {
#include "policy/py_printable_table.inc"
};

bool IsPrintableNonAscii(uint32_t cp) {
  auto it = std::upper_bound(std::begin(kNonPrintable), std::end(kNonPrintable), cp,
                             [](uint32_t v, const CodePointRange& r) { return v < r.first; });
  if (it == std::begin(kNonPrintable)) return true;
  --it;
  return cp > it->last;
}

void AppendHexEscape(std::string& out, char kind, uint32_t cp, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('\\');
  out.push_back(kind);
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out.push_back(kHex[(cp >> shift) & 0xF]);
}

void AppendPyRepr(std::string& out, absl::string_view s) {
  // Python prefers single quotes and switches to double quotes only when the
  // text has a single quote and no double quote.
  const bool has_squote = s.find('\'') != absl::string_view::npos;
  const bool has_dquote = s.find('"') != absl::string_view::npos;
  const char quote = (has_squote && !has_dquote) ? '"' : '\'';
  out.push_back(quote);
  for (size_t i = 0; i < s.size();) {
    uint32_t cp;
    size_t len = base::DecodeUtf8(s, i, &cp);
    if (len == 0) {
      // Not UTF-8: render the byte as Python's surrogateescape decoding
      // would have stored it (U+DC80..U+DCFF), which repr shows as \udcXX.
      AppendHexEscape(out, 'u', 0xDC00 + static_cast<uint8_t>(s[i]), 4);
      ++i;
      continue;
    }
    if (cp == static_cast<uint32_t>(quote) || cp == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(cp));
    } else if (cp == '\t') {
      out.append("\\t");
    } else if (cp == '\n') {
      out.append("\\n");
    } else if (cp == '\r') {
      out.append("\\r");
    } else if (cp < 0x20 || cp == 0x7F) {
      AppendHexEscape(out, 'x', cp, 2);
    } else if (cp < 0x80 || IsPrintableNonAscii(cp)) {
      out.append(s.data() + i, len);
    } else if (cp <= 0xFF) {
      AppendHexEscape(out, 'x', cp, 2);
    } else if (cp <= 0xFFFF) {
      AppendHexEscape(out, 'u', cp, 4);
    } else {
      AppendHexEscape(out, 'U', cp, 8);
    }
    i += len;
  }
  out.push_back(quote);
}

// ('Allow', 'bob', 'view'), ('Deny', 'x', ('a', 'b')), ('Allow', 'x', ('a',)),
// ('Allow', 'x', ()) or ('Deny', 'system.Everyone', ALL_PERMISSIONS).
std::string AceRepr(const AceSpec& ace) {
  std::string out = ace.action == AceAction::kAllow ? "('Allow', " : "('Deny', ";
  AppendPyRepr(out, ace.principal);
  out.append(", ");
  switch (ace.form) {
    case PermissionForm::kAllPermissions:
      out.append("ALL_PERMISSIONS");
      break;
    case PermissionForm::kString:
      AppendPyRepr(out, ace.permissions.empty() ? absl::string_view() : ace.permissions[0]);
      break;
    case PermissionForm::kList:
      out.push_back('(');
      for (size_t i = 0; i < ace.permissions.size(); ++i) {
        if (i > 0) out.append(", ");
        AppendPyRepr(out, ace.permissions[i]);
      }
      if (ace.permissions.size() == 1) out.push_back(',');  // a 1-tuple
      out.push_back(')');
      break;
  }
  out.push_back(')');
  return out;
}

void AppendResource(std::string& out, const LineageNode& node) {
  out.push_back('<');
  out.append(node.kind.data(), node.kind.size());
  out.push_back(' ');
  AppendPyRepr(out, node.name);
  out.push_back('>');
}

}  // namespace

// ---------------------------------------------------------------------------
// AceSpec

AceSpec AceSpec::Allow(std::string principal, std::string permission) {
  return {AceAction::kAllow, std::move(principal), PermissionForm::kString, {std::move(permission)}};
}
AceSpec AceSpec::Allow(std::string principal, std::vector<std::string> permissions) {
  return {AceAction::kAllow, std::move(principal), PermissionForm::kList, std::move(permissions)};
}
AceSpec AceSpec::AllowAll(std::string principal) {
  return {AceAction::kAllow, std::move(principal), PermissionForm::kAllPermissions, {}};
}
AceSpec AceSpec::Deny(std::string principal, std::string permission) {
  return {AceAction::kDeny, std::move(principal), PermissionForm::kString, {std::move(permission)}};
}
AceSpec AceSpec::Deny(std::string principal, std::vector<std::string> permissions) {
  return {AceAction::kDeny, std::move(principal), PermissionForm::kList, std::move(permissions)};
}
AceSpec AceSpec::DenyAllFor(std::string principal) {
  return {AceAction::kDeny, std::move(principal), PermissionForm::kAllPermissions, {}};
}
AceSpec AceSpec::DenyAll() { return DenyAllFor(std::string(kEveryone)); }

// ---------------------------------------------------------------------------
// Acl

// The decision path's view of one ACL.
struct Acl::DecisionTable {
  // One ACE in 16 bytes, all in one contiguous array, with the permissions
  // of multi-permission ACEs in another, so that a scan follows no pointer
  // per ACE.
  enum class Match : uint8_t { kNothing, kOne, kMany, kAll };
  struct HotAce {
    SymbolId principal;
    SymbolId permission;   // kOne: the permission
    uint32_t perms_begin;  // kMany: first index in many_perms
    uint16_t perms_count;  // kMany: number of ids there (sorted, unique)
    Match match;
    bool allow;
  };

  // Large ACLs are not scanned: an open-addressing table maps each
  // (principal, permission) pair, and (principal, ALL_PERMISSIONS), to the
  // first ACE granting or denying it, so a decision costs two probes per
  // held principal instead of one test per ACE. The first match is the
  // smallest index over those probes, exactly what the in-order scan finds.
  static constexpr SymbolId kAllPermissionsKey = kNoSymbol;
  static constexpr uint32_t kNoAce = 0xffffffffu;
  struct IndexSlot {
    SymbolId principal;
    SymbolId permission;  // or kAllPermissionsKey
    uint32_t ace;         // kNoAce: an empty slot
  };
  static uint32_t SlotHash(SymbolId principal, SymbolId permission) {
    uint32_t h = (principal * 0x9E3779B1u) ^ (permission * 0x85EBCA6Bu);
    return h ^ (h >> 15);
  }
  // The first ACE keyed (principal, permission), or kNoAce.
  uint32_t FirstAce(SymbolId principal, SymbolId permission) const {
    for (uint32_t at = SlotHash(principal, permission) & index_mask;; at = (at + 1) & index_mask) {
      const IndexSlot& slot = index[at];
      if (slot.ace == kNoAce) return kNoAce;
      if (slot.principal == principal && slot.permission == permission) return slot.ace;
    }
  }
  void BuildIndex(const std::vector<CompiledAce>& compiled);

  std::vector<HotAce> hot;
  std::vector<SymbolId> many_perms;
  std::vector<IndexSlot> index;  // empty: the ACL is scanned
  uint32_t index_mask = 0;       // index.size() - 1
  uint64_t principal_mask = 0;   // Principals::MaskBit over every ACE principal
};

Acl::Acl() : table_(std::make_unique<DecisionTable>()) {}

bool Acl::indexed() const { return !table_->index.empty(); }

Acl::~Acl() {
  SymbolTable& symbols = SymbolTable::Global();
  for (SymbolId id : held_) symbols.Release(id);
}

std::shared_ptr<const Acl> Acl::Compile(std::vector<AceSpec> aces) {
  SymbolTable& symbols = SymbolTable::Global();
  std::shared_ptr<Acl> acl(new Acl());
  acl->compiled_.reserve(aces.size());
  acl->table_->hot.reserve(aces.size());
  acl->ace_reprs_.reserve(aces.size());
  acl->repr_.push_back('[');
  for (AceSpec& spec : aces) {
    // A string form carries exactly one name; keep the spec truthful so that
    // its repr and its matching agree.
    if (spec.form == PermissionForm::kString && spec.permissions.size() != 1) {
      spec.permissions.resize(1);
    }
    if (spec.form == PermissionForm::kAllPermissions) spec.permissions.clear();

    CompiledAce compiled;
    compiled.action = spec.action;
    compiled.all_permissions = spec.form == PermissionForm::kAllPermissions;
    compiled.principal = symbols.Intern(spec.principal);
    acl->held_.push_back(compiled.principal);
    for (const std::string& permission : spec.permissions) {
      compiled.permissions.push_back(symbols.Intern(permission));
      acl->held_.push_back(compiled.permissions.back());
    }
    std::sort(compiled.permissions.begin(), compiled.permissions.end());
    compiled.permissions.erase(std::unique(compiled.permissions.begin(), compiled.permissions.end()),
                               compiled.permissions.end());

    DecisionTable::HotAce hot{};
    hot.principal = compiled.principal;
    hot.permission = kNoSymbol;
    hot.allow = spec.action == AceAction::kAllow;
    if (compiled.all_permissions) {
      hot.match = DecisionTable::Match::kAll;
    } else if (compiled.permissions.empty()) {
      hot.match = DecisionTable::Match::kNothing;
    } else if (compiled.permissions.size() == 1) {
      hot.match = DecisionTable::Match::kOne;
      hot.permission = compiled.permissions[0];
    } else if (compiled.permissions.size() <= UINT16_MAX) {
      hot.match = DecisionTable::Match::kMany;
      hot.perms_begin = static_cast<uint32_t>(acl->table_->many_perms.size());
      hot.perms_count = static_cast<uint16_t>(compiled.permissions.size());
      acl->table_->many_perms.insert(acl->table_->many_perms.end(), compiled.permissions.begin(), compiled.permissions.end());
    } else {
      // Beyond any real ACE; the compiled vector answers for it.
      hot.match = DecisionTable::Match::kMany;
      hot.perms_count = 0;
    }
    acl->table_->principal_mask |= Principals::MaskBit(hot.principal);

    std::string repr = AceRepr(spec);
    if (acl->repr_.size() > 1) acl->repr_.append(", ");
    acl->repr_.append(repr);
    acl->ace_reprs_.push_back(std::move(repr));
    acl->compiled_.push_back(std::move(compiled));
    acl->table_->hot.push_back(hot);
  }
  acl->repr_.push_back(']');
  acl->specs_ = std::move(aces);
  if (acl->table_->hot.size() >= kIndexFromSize) acl->table_->BuildIndex(acl->compiled_);
  return acl;
}

void Acl::DecisionTable::BuildIndex(const std::vector<CompiledAce>& compiled) {
  size_t keys = 0;
  for (const CompiledAce& ace : compiled) keys += ace.all_permissions ? 1 : ace.permissions.size();
  size_t capacity = 16;
  while (capacity < 2 * keys) capacity *= 2;  // load factor <= 1/2: short probes
  index.assign(capacity, IndexSlot{kNoSymbol, kNoSymbol, kNoAce});
  index_mask = static_cast<uint32_t>(capacity - 1);
  const auto insert = [&](SymbolId principal, SymbolId permission, uint32_t ace) {
    for (uint32_t at = SlotHash(principal, permission) & index_mask;; at = (at + 1) & index_mask) {
      IndexSlot& slot = index[at];
      if (slot.ace == kNoAce) {
        slot = IndexSlot{principal, permission, ace};
        return;
      }
      // Already keyed by an earlier ACE, which is the one that matches first.
      if (slot.principal == principal && slot.permission == permission) return;
    }
  };
  for (uint32_t i = 0; i < compiled.size(); ++i) {
    const CompiledAce& ace = compiled[i];
    if (ace.all_permissions) {
      insert(ace.principal, kAllPermissionsKey, i);
    } else {
      for (SymbolId permission : ace.permissions) insert(ace.principal, permission, i);
    }
  }
}

// ---------------------------------------------------------------------------
// Permits

AclResult Permits(absl::Span<const LineageNode> lineage, const Principals& principals,
                  SymbolId permission) {
  using Table = Acl::DecisionTable;
  AclResult result;
  // Membership is tested inline: a 64-bit mask rejects most ACE principals
  // with a shift and an AND, and the few survivors are looked up in the
  // caller's (small, sorted) id list.
  const uint64_t principal_mask = principals.mask();
  const SymbolId* held = principals.ids().data();
  const size_t held_count = principals.ids().size();
  const auto holds = [&](SymbolId id) {
    if ((principal_mask & Principals::MaskBit(id)) == 0) return false;
    if (held_count > 16) return std::binary_search(held, held + held_count, id);
    for (size_t k = 0; k < held_count; ++k) {
      if (held[k] >= id) return held[k] == id;
    }
    return false;
  };
  const int depth = static_cast<int>(lineage.size());
  for (int node = 0; node < depth; ++node) {
    const Acl* acl = lineage[node].acl;
    if (acl == nullptr) continue;
    const Acl::DecisionTable& table = *acl->table_;
    result.msg_acl_node_ = node;  // the root-most ACL seen, for default deny
    // No ACE principal can be held: nothing in this ACL can match.
    if ((table.principal_mask & principal_mask) == 0) continue;
    if (!table.index.empty()) {
      uint32_t first = Table::kNoAce;
      for (size_t k = 0; k < held_count; ++k) {
        const SymbolId p = held[k];
        if ((table.principal_mask & Principals::MaskBit(p)) == 0) continue;
        first = std::min(first, table.FirstAce(p, permission));
        // An unknown permission (kNoSymbol) was just looked up as the
        // ALL_PERMISSIONS key itself.
        if (permission != Table::kAllPermissionsKey) {
          first = std::min(first, table.FirstAce(p, Table::kAllPermissionsKey));
        }
      }
      if (first == Table::kNoAce) continue;
      result.allowed_ = table.hot[first].allow;
      result.acl_node_ = node;
      result.ace_index_ = static_cast<int>(first);
      result.msg_acl_node_ = node;
      return result;
    }
    const Table::HotAce* aces = table.hot.data();
    const int count = static_cast<int>(table.hot.size());
    for (int i = 0; i < count; ++i) {
      const Table::HotAce& ace = aces[i];
      // Pyramid tests the principal first; both tests are pure, so the
      // order cannot change the outcome.
      if (!holds(ace.principal)) continue;
      bool matches = false;
      switch (ace.match) {
        case Table::Match::kAll:
          matches = true;
          break;
        case Table::Match::kOne:
          matches = ace.permission == permission;
          break;
        case Table::Match::kMany:
          if (ace.perms_count > 0) {
            const SymbolId* ids = table.many_perms.data() + ace.perms_begin;
            matches = std::binary_search(ids, ids + ace.perms_count, permission);
          } else {
            const std::vector<SymbolId>& ids = acl->compiled_[i].permissions;
            matches = std::binary_search(ids.begin(), ids.end(), permission);
          }
          break;
        case Table::Match::kNothing:
          break;
      }
      if (!matches) continue;
      result.allowed_ = ace.allow;
      result.acl_node_ = node;
      result.ace_index_ = i;
      result.msg_acl_node_ = node;
      return result;
    }
  }
  return result;  // default deny
}

AclResult Permits(absl::Span<const LineageNode> lineage, const Principals& principals,
                  absl::string_view permission) {
  // Never intern a caller-chosen name: an unknown name matches exactly what
  // kNoSymbol matches, ALL_PERMISSIONS.
  return Permits(lineage, principals, SymbolTable::Global().Find(permission));
}

std::string AclResult::Message(absl::Span<const LineageNode> lineage,
                               const std::vector<std::string>& principals_as_given,
                               absl::string_view permission) const {
  std::string out = allowed_ ? "ACLAllowed permission " : "ACLDenied permission ";
  AppendPyRepr(out, permission);
  out.append(" via ACE ");
  if (acl_node_ >= 0) {
    out.append(lineage[acl_node_].acl->ace_repr(ace_index_));
  } else {
    out.append(kDefaultDenyAceRepr.data(), kDefaultDenyAceRepr.size());
  }
  out.append(" in ACL ");
  if (msg_acl_node_ >= 0) {
    out.append(lineage[msg_acl_node_].acl->repr());
  } else {
    out.append(kNoAclFoundRepr.data(), kNoAclFoundRepr.size());
  }
  out.append(" on context ");
  const size_t context = static_cast<size_t>(acl_node_ >= 0 ? acl_node_ : context_node_);
  if (context < lineage.size()) {
    AppendResource(out, lineage[context]);
  } else {
    out.append("None");  // an empty lineage breaks Permits' contract; do not crash
  }
  out.append(" for principals [");
  for (size_t i = 0; i < principals_as_given.size(); ++i) {
    if (i > 0) out.append(", ");
    AppendPyRepr(out, principals_as_given[i]);
  }
  out.push_back(']');
  return out;
}

// ---------------------------------------------------------------------------
// principals_allowed_by_permission

namespace {

bool AceGrantsPermission(const Acl::CompiledAce& ace, SymbolId permission) {
  return ace.all_permissions ||
         std::binary_search(ace.permissions.begin(), ace.permissions.end(), permission);
}

}  // namespace

std::vector<std::string> PrincipalsAllowedByPermission(absl::Span<const LineageNode> lineage,
                                                       absl::string_view permission) {
  SymbolTable& symbols = SymbolTable::Global();
  const SymbolId perm = symbols.Find(permission);
  // Found, not interned: when no live ACL names it, no ACE can match it.
  const SymbolId everyone = symbols.Find(kEveryone);
  // Small sets of ids; vectors keep this simple and fast at ACL sizes.
  std::vector<SymbolId> allowed;
  std::vector<SymbolId> allowed_here;
  std::vector<SymbolId> denied_here;
  const auto contains = [](const std::vector<SymbolId>& set, SymbolId id) {
    return std::find(set.begin(), set.end(), id) != set.end();
  };
  // Root first, down to the context.
  for (auto node = lineage.rbegin(); node != lineage.rend(); ++node) {
    if (node->acl == nullptr) continue;
    allowed_here.clear();
    denied_here.clear();
    for (const Acl::CompiledAce& ace : node->acl->compiled()) {
      if (!AceGrantsPermission(ace, perm)) continue;
      if (ace.action == AceAction::kAllow) {
        if (!contains(denied_here, ace.principal) && !contains(allowed_here, ace.principal)) {
          allowed_here.push_back(ace.principal);
        }
        continue;
      }
      if (!contains(denied_here, ace.principal)) denied_here.push_back(ace.principal);
      if (ace.principal == everyone) {
        // Deny of Everyone wipes what was inherited and ends this ACL; the
        // Allows already seen in it are still merged below.
        allowed.clear();
        break;
      }
      allowed.erase(std::remove(allowed.begin(), allowed.end(), ace.principal), allowed.end());
    }
    for (SymbolId id : allowed_here) {
      if (!contains(allowed, id)) allowed.push_back(id);
    }
  }
  std::vector<std::string> names;
  names.reserve(allowed.size());
  for (SymbolId id : allowed) names.emplace_back(symbols.Name(id));
  // std::string compares bytes as unsigned char, and UTF-8 byte order is
  // code point order.
  std::sort(names.begin(), names.end());
  return names;
}

std::string PyRepr(absl::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  AppendPyRepr(out, s);
  return out;
}

}  // namespace orb::policy
