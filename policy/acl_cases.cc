#include "policy/acl_cases.h"

#include <exception>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace orb::policy {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

constexpr absl::string_view kCasesFormat = "pyramid-acl-cases/1";
constexpr absl::string_view kResultsFormat = "pyramid-acl-results/1";
constexpr absl::string_view kAllPermissionsToken = "ALL_PERMISSIONS";
constexpr absl::string_view kDenyAllToken = "DENY_ALL";

// A JSON string literal: keeps every error message on one line whatever the
// name contains.
std::string Quote(absl::string_view s) {
  return Json(std::string(s)).dump(-1, ' ', false, Json::error_handler_t::replace);
}

// A malformed file is reported by throwing this inside the parser and
// turning it into a Status at ParseAclCaseFile's border.
struct ParseError {
  std::string message;
};

[[noreturn]] void Fail(const std::string& where, absl::string_view what) {
  throw ParseError{where.empty() ? std::string(what) : absl::StrCat(where, ": ", what)};
}

const char* TypeName(const Json& j) { return j.type_name(); }

const Json& Field(const Json& object, const char* key, const std::string& where) {
  auto it = object.find(key);
  if (it == object.end()) Fail(where, absl::StrCat("missing field \"", key, "\""));
  return *it;
}

const std::string& StringField(const Json& object, const char* key, const std::string& where) {
  const Json& v = Field(object, key, where);
  if (!v.is_string()) {
    Fail(where, absl::StrCat("\"", key, "\" must be a string, not ", TypeName(v)));
  }
  return v.get_ref<const std::string&>();
}

// An optional array field: absent or null reads as empty.
const Json* OptionalArray(const Json& object, const char* key, const std::string& where) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  if (!it->is_array()) {
    Fail(where, absl::StrCat("\"", key, "\" must be an array, not ", TypeName(*it)));
  }
  return &*it;
}

void CheckNotReserved(const std::string& permission, const std::string& where) {
  if (permission == kAllPermissionsToken) {
    Fail(where, "\"ALL_PERMISSIONS\" is reserved for the wildcard and is not a permission name");
  }
}

AceSpec ParseAce(const Json& ace, const std::string& where) {
  if (ace.is_string()) {
    if (ace.get_ref<const std::string&>() == kDenyAllToken) return AceSpec::DenyAll();
    Fail(where, absl::StrCat("the only ACE written as a string is \"DENY_ALL\", not ",
                             Quote(ace.get_ref<const std::string&>())));
  }
  if (!ace.is_array()) {
    Fail(where, absl::StrCat("an ACE must be [action, principal, permissions] or \"DENY_ALL\", not ",
                             TypeName(ace)));
  }
  if (ace.size() != 3) {
    Fail(where, absl::StrCat("an ACE must have 3 items [action, principal, permissions], not ",
                             ace.size()));
  }
  AceSpec spec;
  const Json& action = ace[0];
  if (!action.is_string()) Fail(where, absl::StrCat("action must be a string, not ", TypeName(action)));
  const std::string& action_name = action.get_ref<const std::string&>();
  if (action_name == "Allow") {
    spec.action = AceAction::kAllow;
  } else if (action_name == "Deny") {
    spec.action = AceAction::kDeny;
  } else {
    Fail(where, absl::StrCat("action ", Quote(action_name), " is neither \"Allow\" nor \"Deny\""));
  }
  const Json& principal = ace[1];
  if (!principal.is_string()) {
    Fail(where, absl::StrCat("principal must be a string, not ", TypeName(principal)));
  }
  spec.principal = principal.get_ref<const std::string&>();
  const Json& perms = ace[2];
  if (perms.is_string()) {
    const std::string& name = perms.get_ref<const std::string&>();
    if (name == kAllPermissionsToken) {
      spec.form = PermissionForm::kAllPermissions;
    } else {
      spec.form = PermissionForm::kString;
      spec.permissions.push_back(name);
    }
  } else if (perms.is_array()) {
    spec.form = PermissionForm::kList;
    for (size_t i = 0; i < perms.size(); ++i) {
      const std::string at = absl::StrCat(where, ": permissions[", i, "]");
      if (!perms[i].is_string()) Fail(at, absl::StrCat("must be a string, not ", TypeName(perms[i])));
      CheckNotReserved(perms[i].get_ref<const std::string&>(), at);
      spec.permissions.push_back(perms[i].get_ref<const std::string&>());
    }
  } else {
    Fail(where, absl::StrCat("permissions must be a string, an array of strings or "
                             "\"ALL_PERMISSIONS\", not ",
                             TypeName(perms)));
  }
  return spec;
}

// Explains why the parent of nodes[index] is not an earlier node.
[[noreturn]] void FailLateParent(const Json& nodes, size_t index, const std::string& parent,
                                 const std::string& where) {
  absl::flat_hash_map<std::string, size_t> all;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Json& n = nodes[i];
    if (!n.is_object()) continue;
    auto name = n.find("name");
    if (name != n.end() && name->is_string()) all.emplace(name->get<std::string>(), i);
  }
  auto it = all.find(parent);
  if (it == all.end()) Fail(where, absl::StrCat("parent ", Quote(parent), " is not a node of this tree"));
  // Follow the parents from here; coming back to this node is a cycle.
  std::string chain = Quote(nodes[index]["name"].get<std::string>());
  size_t at = it->second;
  for (size_t steps = 0; steps <= nodes.size(); ++steps) {
    absl::StrAppend(&chain, " -> ", Quote(nodes[at]["name"].get<std::string>()));
    if (at == index) Fail(where, absl::StrCat("the parents form a cycle: ", chain));
    auto p = nodes[at].find("parent");
    if (p == nodes[at].end() || !p->is_string()) break;
    auto next = all.find(p->get<std::string>());
    if (next == all.end()) break;
    at = next->second;
  }
  Fail(where, absl::StrCat("parent ", Quote(parent),
                           " is listed after this node (a parent must precede its children)"));
}

AclCase ParseCase(const Json& c, size_t case_index, absl::flat_hash_set<std::string>& ids) {
  std::string where = absl::StrCat("cases[", case_index, "]");
  if (!c.is_object()) Fail(where, absl::StrCat("a case must be an object, not ", TypeName(c)));
  AclCase out;
  out.id = StringField(c, "id", where);
  where = absl::StrCat(where, " (id ", Quote(out.id), ")");
  if (!ids.insert(out.id).second) Fail(where, "duplicate id");

  const Json& tree = Field(c, "tree", where);
  if (!tree.is_object()) Fail(where, absl::StrCat("\"tree\" must be an object, not ", TypeName(tree)));
  const Json& nodes = Field(tree, "nodes", where + ": tree");
  if (!nodes.is_array()) {
    Fail(where, absl::StrCat("tree.nodes must be an array, not ", TypeName(nodes)));
  }
  if (nodes.empty()) Fail(where, "tree.nodes is empty; a tree has exactly one root");

  absl::flat_hash_map<std::string, int> index_of;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Json& n = nodes[i];
    std::string at = absl::StrCat(where, ": tree.nodes[", i, "]");
    if (!n.is_object()) Fail(at, absl::StrCat("a node must be an object, not ", TypeName(n)));
    AclCaseNode node;
    node.name = StringField(n, "name", at);
    at = absl::StrCat(at, " (name ", Quote(node.name), ")");
    if (index_of.contains(node.name)) Fail(at, "duplicate node name");
    const Json& parent = Field(n, "parent", at);
    if (parent.is_null()) {
      if (i != 0) Fail(at, "a second root (parent null); a tree has exactly one root, listed first");
    } else if (parent.is_string()) {
      const std::string& parent_name = parent.get_ref<const std::string&>();
      if (parent_name == node.name) {
        Fail(at, absl::StrCat("the parents form a cycle: ", Quote(node.name), " is its own parent"));
      }
      auto it = index_of.find(parent_name);
      if (it == index_of.end()) FailLateParent(nodes, i, parent_name, at);
      node.parent = it->second;
    } else {
      Fail(at, absl::StrCat("\"parent\" must be a string or null, not ", TypeName(parent)));
    }
    if (i == 0 && node.parent != -1) Fail(at, "the first node must be the root (parent null)");
    const Json& acl = Field(n, "acl", at);
    if (acl.is_array()) {
      std::vector<AceSpec> aces;
      aces.reserve(acl.size());
      for (size_t k = 0; k < acl.size(); ++k) {
        aces.push_back(ParseAce(acl[k], absl::StrCat(at, ": acl[", k, "]")));
      }
      node.acl = Acl::Compile(std::move(aces));
    } else if (!acl.is_null()) {
      Fail(at, absl::StrCat("\"acl\" must be an array of ACEs or null, not ", TypeName(acl)));
    }
    index_of.emplace(node.name, static_cast<int>(i));
    out.nodes.push_back(std::move(node));
  }

  const auto context_of = [&](const Json& q, const std::string& at) {
    const std::string& context = StringField(q, "context", at);
    auto it = index_of.find(context);
    if (it == index_of.end()) {
      Fail(at, absl::StrCat("context ", Quote(context), " is not a node of this tree"));
    }
    return it->second;
  };
  const auto query_id = [&](const Json& q, const std::string& at) {
    const std::string& id = StringField(q, "id", at);
    if (!ids.insert(id).second) Fail(at, absl::StrCat("duplicate query id ", Quote(id)));
    return id;
  };

  if (const Json* queries = OptionalArray(c, "queries", where)) {
    for (size_t i = 0; i < queries->size(); ++i) {
      const Json& q = (*queries)[i];
      std::string at = absl::StrCat(where, ": queries[", i, "]");
      if (!q.is_object()) Fail(at, absl::StrCat("a query must be an object, not ", TypeName(q)));
      AclCasePermitsQuery query;
      query.id = query_id(q, at);
      at = absl::StrCat(at, " (id ", Quote(query.id), ")");
      query.context = context_of(q, at);
      const Json& principals = Field(q, "principals", at);
      if (!principals.is_array()) {
        Fail(at, absl::StrCat("\"principals\" must be an array of strings, not ", TypeName(principals)));
      }
      for (size_t k = 0; k < principals.size(); ++k) {
        if (!principals[k].is_string()) {
          Fail(at, absl::StrCat("principals[", k, "] must be a string, not ", TypeName(principals[k])));
        }
        query.principals.push_back(principals[k].get<std::string>());
      }
      query.permission = StringField(q, "permission", at);
      CheckNotReserved(query.permission, at + ": permission");
      out.queries.push_back(std::move(query));
    }
  }
  if (const Json* queries = OptionalArray(c, "allowed_queries", where)) {
    for (size_t i = 0; i < queries->size(); ++i) {
      const Json& q = (*queries)[i];
      std::string at = absl::StrCat(where, ": allowed_queries[", i, "]");
      if (!q.is_object()) Fail(at, absl::StrCat("a query must be an object, not ", TypeName(q)));
      AclCaseAllowedQuery query;
      query.id = query_id(q, at);
      at = absl::StrCat(at, " (id ", Quote(query.id), ")");
      query.context = context_of(q, at);
      query.permission = StringField(q, "permission", at);
      CheckNotReserved(query.permission, at + ": permission");
      out.allowed_queries.push_back(std::move(query));
    }
  }
  return out;
}

AclCaseFile ParseDocument(const Json& doc) {
  if (!doc.is_object()) Fail("", absl::StrCat("the case file must be a JSON object, not ", TypeName(doc)));
  auto format = doc.find("format");
  if (format != doc.end() && !(format->is_string() && format->get<std::string>() == kCasesFormat)) {
    Fail("format", absl::StrCat("expected \"", kCasesFormat, "\", got ", format->dump()));
  }
  const Json& cases = Field(doc, "cases", "");
  if (!cases.is_array()) Fail("", absl::StrCat("\"cases\" must be an array, not ", TypeName(cases)));
  AclCaseFile file;
  file.cases.reserve(cases.size());
  absl::flat_hash_set<std::string> ids;
  for (size_t i = 0; i < cases.size(); ++i) file.cases.push_back(ParseCase(cases[i], i, ids));
  return file;
}

// nlohmann prefixes its messages with "[json.exception.parse_error.101] ".
std::string WithoutJsonPrefix(const char* what) {
  absl::string_view s(what);
  if (!s.empty() && s.front() == '[') {
    size_t end = s.find("] ");
    if (end != absl::string_view::npos) s.remove_prefix(end + 2);
  }
  return std::string(s);
}

OrderedJson OptionalString(const std::optional<std::string>& s) {
  return s ? OrderedJson(*s) : OrderedJson(nullptr);
}

}  // namespace

std::vector<LineageNode> AclCase::Lineage(int node) const {
  std::vector<LineageNode> lineage;
  // Parents precede children, so this walk ends; the bound guards a case
  // assembled by hand.
  for (int at = node; at >= 0 && lineage.size() <= nodes.size(); at = nodes[at].parent) {
    LineageNode n;
    n.acl = nodes[at].acl.get();
    n.name = nodes[at].name;
    lineage.push_back(n);
  }
  return lineage;
}

size_t AclCaseFile::permits_query_count() const {
  size_t n = 0;
  for (const AclCase& c : cases) n += c.queries.size();
  return n;
}

size_t AclCaseFile::allowed_query_count() const {
  size_t n = 0;
  for (const AclCase& c : cases) n += c.allowed_queries.size();
  return n;
}

absl::StatusOr<AclCaseFile> ParseAclCaseFile(absl::string_view json_text) {
  try {
    Json doc = Json::parse(json_text.begin(), json_text.end());
    return ParseDocument(doc);
  } catch (const ParseError& e) {
    return absl::InvalidArgumentError(e.message);
  } catch (const Json::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat("not valid JSON: ", WithoutJsonPrefix(e.what())));
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("malformed case file: ", WithoutJsonPrefix(e.what())));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("cannot read the case file: ", e.what()));
  }
}

AclCasePermitsOutcome EvaluatePermitsQuery(const AclCase& c, const AclCasePermitsQuery& q) {
  const std::vector<LineageNode> lineage = c.Lineage(q.context);
  const Principals principals(q.principals);
  const AclResult result = Permits(lineage, principals, q.permission);
  AclCasePermitsOutcome out;
  out.allowed = result.allowed();
  if (!result.default_deny()) {
    out.acl_node = std::string(lineage[result.acl_node()].name);
    out.ace_index = result.ace_index();
  }
  if (result.msg_acl_node() >= 0) out.msg_acl_node = std::string(lineage[result.msg_acl_node()].name);
  out.msg = result.Message(lineage, principals.as_given(), q.permission);
  return out;
}

std::vector<std::string> EvaluateAllowedQuery(const AclCase& c, const AclCaseAllowedQuery& q) {
  return PrincipalsAllowedByPermission(c.Lineage(q.context), q.permission);
}

std::string EvaluateAclCaseFileToResultsJson(const AclCaseFile& file) {
  const auto dump = [](const OrderedJson& j) {
    // Names are valid UTF-8 (the parser checks) and reprs are ASCII or
    // copies of names; `replace` only keeps dump() from ever throwing.
    return j.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
  };
  std::string out = absl::StrCat("{\"format\":\"", kResultsFormat, "\",\"results\":[");
  bool first = true;
  const auto add = [&](OrderedJson row) {
    absl::StrAppend(&out, first ? "\n" : ",\n", dump(row));
    first = false;
  };
  for (const AclCase& c : file.cases) {
    for (const AclCasePermitsQuery& q : c.queries) {
      const AclCasePermitsOutcome r = EvaluatePermitsQuery(c, q);
      OrderedJson got;
      got["allowed"] = r.allowed;
      got["acl_node"] = OptionalString(r.acl_node);
      got["ace_index"] = r.ace_index ? OrderedJson(*r.ace_index) : OrderedJson(nullptr);
      got["msg_acl_node"] = OptionalString(r.msg_acl_node);
      got["msg"] = r.msg;
      OrderedJson row;
      row["id"] = q.id;
      row["got"] = std::move(got);
      add(std::move(row));
    }
    for (const AclCaseAllowedQuery& q : c.allowed_queries) {
      OrderedJson row;
      row["id"] = q.id;
      row["got"] = EvaluateAllowedQuery(c, q);
      add(std::move(row));
    }
  }
  out.append("\n]}\n");
  return out;
}

}  // namespace orb::policy
