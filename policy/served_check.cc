#include "orb/policy/served_check.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "orb/v1/policy.pb.h"
#include "policy/edit_distance.h"

namespace orb::policy {
namespace {

using google::protobuf::TextFormat;

constexpr absl::string_view kWildcards[] = {"*", "&", "|"};

bool IsWildcard(absl::string_view name) {
  return std::find(std::begin(kWildcards), std::end(kWildcards), name) != std::end(kWildcards);
}

std::string Quote(absl::string_view s) { return absl::StrCat("'", absl::CHexEscape(s), "'"); }

// " Did you mean "x"?" when one of `candidates` is close to `written`.
std::string Suggestion(absl::string_view written, const std::vector<std::string>& candidates) {
  const std::optional<std::string> close = ClosestMatch(written, candidates);
  if (!close.has_value()) return "";
  return absl::StrCat(" Did you mean ", Quote(*close), "?");
}

void AddPermissions(const Lock* lock, std::set<std::string>* out) {
  if (lock == nullptr) return;
  if (lock->kind() == Lock::Kind::kPermission) out->insert(lock->permission());
  for (const Lock& child : lock->children()) AddPermissions(&child, out);
}

void AddPermissions(const v1::Lock& lock, absl::flat_hash_set<std::string>* out) {
  if (!lock.permission().empty()) out->insert(lock.permission());
  for (const v1::Lock& child : lock.all_of().lock()) AddPermissions(child, out);
  for (const v1::Lock& child : lock.any_of().lock()) AddPermissions(child, out);
}

// The 1-based line of `field` (its `index`-th value) under `tree`, or
// `fallback` when the text does not locate it.
int LineOf(const TextFormat::ParseInfoTree* tree, const google::protobuf::Message& message,
           absl::string_view field, int index, int fallback) {
  if (tree == nullptr) return fallback;
  const google::protobuf::FieldDescriptor* f =
      message.GetDescriptor()->FindFieldByName(std::string(field));
  if (f == nullptr) return fallback;
  const auto location = tree->GetLocation(f, f->is_repeated() ? index : -1);
  return location.line >= 0 ? location.line + 1 : fallback;
}

const TextFormat::ParseInfoTree* Nested(const TextFormat::ParseInfoTree* tree,
                                        const google::protobuf::Message& message,
                                        absl::string_view field, int index) {
  if (tree == nullptr) return nullptr;
  const google::protobuf::FieldDescriptor* f =
      message.GetDescriptor()->FindFieldByName(std::string(field));
  if (f == nullptr) return nullptr;
  return tree->GetTreeForNested(f, f->is_repeated() ? index : -1);
}

// Collects the warnings, each with its line.
class Checker {
 public:
  Checker(const v1::Policy& policy, const TextFormat::ParseInfoTree& tree,
          const v1::ServedTypes& served)
      : policy_(policy), tree_(tree), served_(served) {
    for (const v1::ServedType& type : served_.type()) {
      served_names_.push_back(type.name());
      by_name_.emplace(type.name(), &type);
      for (const v1::ServedOlpEntry& entry : type.olp()) {
        for (const std::string& p : entry.permission()) asked_.insert(p);
      }
    }
    for (const std::string& p : served_.permission()) asked_.insert(p);
    if (!policy_.default_permission().empty()) asked_.insert(policy_.default_permission());
    for (const v1::TypePolicy& type : policy_.type()) {
      if (!type.olp().inherit().empty()) inherited_.insert(type.olp().inherit());
      for (const v1::OlpTables* tables : {&type.olp().instance(), &type.olp().cls()}) {
        for (const auto* list : {&tables->getattr(), &tables->setattr(), &tables->delattr(),
                                 &tables->call()}) {
          for (const v1::OlpEntry& entry : *list) {
            if (!entry.permission().empty()) asked_.insert(entry.permission());
            AddPermissions(entry.lock(), &asked_);
          }
        }
      }
    }
    held_ = {"system.Everyone", "system.Authenticated"};
    for (const v1::User& user : policy_.user()) {
      held_.insert(user.userid());
      for (const std::string& group : user.group()) {
        held_.insert(group);
        groups_.insert(group);
      }
    }
    for (const v1::BearerToken& token : policy_.authentication().bearer_token()) {
      held_.insert(token.userid());
    }
    for (const v1::CertificateMapping& map : policy_.authentication().mtls().map()) {
      held_.insert(map.userid());
    }
    held_list_.assign(held_.begin(), held_.end());
    std::sort(held_list_.begin(), held_list_.end());
  }

  std::vector<std::pair<int, std::string>> Run() {
    for (int i = 0; i < policy_.type_size(); ++i) CheckType(i);
    for (int i = 0; i < policy_.type_size(); ++i) {
      const v1::TypePolicy& type = policy_.type(i);
      CheckAcl(type.acl(), Nested(Nested(&tree_, policy_, "type", i), type, "acl", -1),
               LineOf(&tree_, policy_, "type", i, 0));
    }
    for (int i = 0; i < policy_.path_acl_size(); ++i) {
      const v1::PathAcl& path = policy_.path_acl(i);
      CheckAcl(path.acl(), Nested(Nested(&tree_, policy_, "path_acl", i), path, "acl", -1),
               LineOf(&tree_, policy_, "path_acl", i, 0));
    }
    CheckAcl(policy_.admin().acl(),
             Nested(Nested(&tree_, policy_, "admin", -1), policy_.admin(), "acl", -1),
             LineOf(&tree_, policy_, "admin", -1, 0));
    std::stable_sort(found_.begin(), found_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    return std::move(found_);
  }

 private:
  void CheckType(int i) {
    const v1::TypePolicy& type = policy_.type(i);
    const TextFormat::ParseInfoTree* tree = Nested(&tree_, policy_, "type", i);
    const int line = LineOf(tree, type, "name", -1, LineOf(&tree_, policy_, "type", i, 0));
    auto served = by_name_.find(type.name());
    if (served == by_name_.end()) {
      // A type only other policy types inherit from is a shared OLP, not
      // a served type.
      if (inherited_.contains(type.name())) return;
      std::string known = Suggestion(type.name(), served_names_);
      if (known.empty()) {
        known = served_names_.empty()
                    ? " The broker serves no types."
                    : absl::StrCat(" Served types: ", absl::StrJoin(First(served_names_), ", "),
                                   ".");
      }
      found_.emplace_back(
          line, absl::StrCat("type ", Quote(type.name()),
                             " is served by nobody: its ACL and OLP apply to no object.", known));
      return;
    }
    if (!type.has_olp()) return;
    const TextFormat::ParseInfoTree* olp_tree = Nested(tree, type, "olp", -1);
    CheckTables(*served->second, View::kInstance, type.olp().instance(),
                Nested(olp_tree, type.olp(), "instance", -1));
    CheckTables(*served->second, View::kClass, type.olp().cls(),
                Nested(olp_tree, type.olp(), "cls", -1));
  }

  void CheckTables(const v1::ServedType& served, View view, const v1::OlpTables& tables,
                   const TextFormat::ParseInfoTree* tree) {
    std::vector<std::string> members;
    std::vector<std::string> other_view;
    for (const v1::ServedMember& m : served.member()) {
      (m.view() == ViewName(view) ? members : other_view).push_back(m.name());
    }
    const std::pair<Op, absl::string_view> ops[] = {
        {Op::kGetAttr, "getattr"}, {Op::kSetAttr, "setattr"},
        {Op::kDelAttr, "delattr"}, {Op::kCall, "call"}};
    for (const auto& [op, field] : ops) {
      const google::protobuf::FieldDescriptor* f =
          tables.GetDescriptor()->FindFieldByName(std::string(field));
      const int count = tables.GetReflection()->FieldSize(tables, f);
      for (int k = 0; k < count; ++k) {
        const auto& entry = static_cast<const v1::OlpEntry&>(
            tables.GetReflection()->GetRepeatedMessage(tables, f, k));
        if (IsWildcard(entry.name()) ||
            std::find(members.begin(), members.end(), entry.name()) != members.end()) {
          continue;
        }
        const int line = LineOf(Nested(tree, tables, field, k), entry, "name", -1,
                                LineOf(tree, tables, field, k, 0));
        std::string hint = Suggestion(entry.name(), members);
        if (hint.empty() &&
            std::find(other_view.begin(), other_view.end(), entry.name()) != other_view.end()) {
          hint = absl::StrCat(" ", Quote(entry.name()), " is a member of the ",
                              view == View::kInstance ? "class" : "instance",
                              " view: move the entry there.");
        }
        found_.emplace_back(
            line, absl::StrCat("OLP entry ", Quote(entry.name()), " (", ViewName(view), " ",
                               OpName(op), ") of type ", Quote(served.name()),
                               " names no member of that type: it exposes nothing.", hint));
      }
    }
  }

  void CheckAcl(const v1::Acl& acl, const TextFormat::ParseInfoTree* tree, int fallback) {
    std::vector<std::string> asked(asked_.begin(), asked_.end());
    std::sort(asked.begin(), asked.end());
    for (int i = 0; i < acl.ace_size(); ++i) {
      const v1::Ace& ace = acl.ace(i);
      const TextFormat::ParseInfoTree* ace_tree = Nested(tree, acl, "ace", i);
      const int line = LineOf(tree, acl, "ace", i, fallback);
      if (!ace.principal().empty() && !held_.contains(ace.principal())) {
        std::string hint;
        if (groups_.contains(absl::StrCat("group:", ace.principal()))) {
          hint = absl::StrCat(" Did you mean ", Quote(absl::StrCat("group:", ace.principal())),
                              "?");
        } else {
          hint = Suggestion(ace.principal(), held_list_);
        }
        std::string unless;
        if (!policy_.authentication().tickets().hmac_key_hex().empty() ||
            !policy_.authentication().tickets().hmac_key_file().empty()) {
          unless = " (unless a ticket names it)";
        }
        if (policy_.authentication().has_mtls()) {
          unless = unless.empty() ? " (unless a certificate names it)"
                                  : " (unless a ticket or a certificate names it)";
        }
        found_.emplace_back(LineOf(ace_tree, ace, "principal", -1, line),
                            absl::StrCat("principal ", Quote(ace.principal()),
                                         " is held by no user, group, token or certificate "
                                         "mapping of this policy",
                                         unless, ": the ACE matches nobody.", hint));
      }
      std::vector<std::string> granted;
      if (!ace.permission().empty()) granted.push_back(ace.permission());
      for (const std::string& p : ace.permissions()) granted.push_back(p);
      for (const std::string& p : granted) {
        if (asked_.contains(p)) continue;
        found_.emplace_back(
            LineOf(ace_tree, ace, ace.permission() == p ? "permission" : "permissions", 0, line),
            absl::StrCat("permission ", Quote(p),
                         " is granted but no lock of the policy or of a served type asks for "
                         "it: the grant does nothing.",
                         Suggestion(p, asked)));
      }
    }
  }

  // At most 12 names, then "...".
  static std::vector<std::string> First(const std::vector<std::string>& names) {
    std::vector<std::string> out(names.begin(), names.begin() + std::min<size_t>(names.size(), 12));
    if (names.size() > 12) out.push_back("...");
    return out;
  }

  const v1::Policy& policy_;
  const TextFormat::ParseInfoTree& tree_;
  const v1::ServedTypes& served_;
  std::vector<std::string> served_names_;
  absl::flat_hash_map<std::string, const v1::ServedType*> by_name_;
  absl::flat_hash_set<std::string> inherited_;
  absl::flat_hash_set<std::string> asked_;
  absl::flat_hash_set<std::string> held_;
  absl::flat_hash_set<std::string> groups_;
  std::vector<std::string> held_list_;
  std::vector<std::pair<int, std::string>> found_;
};

}  // namespace

void AddOlpEntries(const Olp& olp, v1::ServedType* type) {
  for (const OlpDescription::Entry& entry : olp.Describe().entries) {
    v1::ServedOlpEntry* out = type->add_olp();
    out->set_view(std::string(ViewName(entry.view)));
    out->set_op(std::string(OpName(entry.op)));
    out->set_name(entry.name);
    out->set_lock(entry.lock);
    // A wildcard's own lock shows under a name no entry has.
    const Olp::Resolved resolved =
        olp.Resolve(entry.view, entry.op, IsWildcard(entry.name) ? "\x01" : entry.name);
    std::set<std::string> permissions;
    AddPermissions(resolved.own, &permissions);
    AddPermissions(resolved.all, &permissions);
    AddPermissions(resolved.alt, &permissions);
    for (const std::string& p : permissions) out->add_permission(p);
  }
}

std::vector<PolicyError> CheckAgainstServed(absl::string_view text, absl::string_view file,
                                            const v1::ServedTypes& served, size_t max_warnings) {
  v1::Policy policy;
  TextFormat::ParseInfoTree tree;
  TextFormat::Parser parser;
  parser.WriteLocationsTo(&tree);
  // Quiet: the loader has reported whatever does not parse.
  struct Quiet : google::protobuf::io::ErrorCollector {
    void AddError(int, int, const std::string&) override {}
    void AddWarning(int, int, const std::string&) override {}
  } quiet;
  parser.RecordErrorsTo(&quiet);
  if (!parser.ParseFromString(std::string(text), &policy)) return {};
  std::vector<std::pair<int, std::string>> found = Checker(policy, tree, served).Run();
  std::vector<PolicyError> out;
  for (size_t i = 0; i < found.size() && i < max_warnings; ++i) {
    out.push_back({std::string(file), found[i].first, std::move(found[i].second)});
  }
  if (found.size() > max_warnings && !out.empty()) {
    out.back().message += absl::StrCat(" (and ", found.size() - max_warnings,
                                       " more warnings not shown)");
  }
  return out;
}

std::string ServedTypesToJson(const v1::ServedTypes& served) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(served, &json, options);
  return json;
}

absl::StatusOr<v1::ServedTypes> ServedTypesFromJson(absl::string_view json) {
  v1::ServedTypes served;
  const auto status = google::protobuf::util::JsonStringToMessage(std::string(json), &served);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the types file is not the JSON `orbd --dump-types` writes: ", status.message().as_string()));
  }
  return served;
}

}  // namespace orb::policy
