// Pyramid ACL case files (format "pyramid-acl-cases/1", described in
// tests/conformance/SEMANTICS.md): parsing, evaluation with this project's
// ACL evaluator, and the "pyramid-acl-results/1" results document that
// tests/conformance/check_cases.py compares with real Pyramid's answers.
//
// Used by `orbctl policy eval-cases` and by the conformance tests, so both
// evaluate a case file through exactly the same code.
#ifndef ORB_POLICY_ACL_CASES_H_
#define ORB_POLICY_ACL_CASES_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "orb/policy/acl.h"

namespace orb::policy {

struct AclCaseNode {
  std::string name;
  int parent = -1;  // index of the parent in AclCase::nodes; -1 for the root
  AclPtr acl;       // null: the node has no ACL at all (JSON null)
};

struct AclCasePermitsQuery {
  std::string id;
  int context = 0;  // index in AclCase::nodes
  std::vector<std::string> principals;  // as given: order and duplicates kept
  std::string permission;
};

struct AclCaseAllowedQuery {
  std::string id;
  int context = 0;  // index in AclCase::nodes
  std::string permission;
};

// One case: a tree and the queries asked on it. A parent always precedes
// its children in `nodes`, and nodes[0] is the only root.
struct AclCase {
  std::string id;
  std::vector<AclCaseNode> nodes;
  std::vector<AclCasePermitsQuery> queries;
  std::vector<AclCaseAllowedQuery> allowed_queries;

  // The lineage of nodes[node], context first and root last. The views
  // point into this case: valid while it is neither changed nor moved.
  std::vector<LineageNode> Lineage(int node) const;
};

struct AclCaseFile {
  std::vector<AclCase> cases;

  size_t permits_query_count() const;
  size_t allowed_query_count() const;
};

// Parses and validates a case file. Expected answers ("expect") are not
// read: this is the evaluator's input. On a malformed file returns
// InvalidArgument with a one-line message that names the case id and the
// field, e.g.
//   cases[3] (id "s1-t0003"): tree.nodes[2] (name "blog"): parent "x" is not a node of this tree
// Never throws.
absl::StatusOr<AclCaseFile> ParseAclCaseFile(absl::string_view json_text);

// What Pyramid's permits() answered, in the case format's terms.
struct AclCasePermitsOutcome {
  bool allowed = false;
  std::optional<std::string> acl_node;      // deciding node; nullopt on default deny
  std::optional<int> ace_index;             // deciding ACE; nullopt on default deny
  std::optional<std::string> msg_acl_node;  // node reported as result.acl; nullopt: none
  std::string msg;                          // result.msg
};

AclCasePermitsOutcome EvaluatePermitsQuery(const AclCase& c, const AclCasePermitsQuery& q);

// principals_allowed_by_permission, sorted by code point, unique.
std::vector<std::string> EvaluateAllowedQuery(const AclCase& c, const AclCaseAllowedQuery& q);

// Evaluates every query and renders
//   {"format":"pyramid-acl-results/1","results":[{"id":...,"got":...},...]}
// one result per line, in file order. Permits results carry allowed,
// acl_node, ace_index, msg_acl_node and msg; allowed results a sorted list.
std::string EvaluateAclCaseFileToResultsJson(const AclCaseFile& file);

}  // namespace orb::policy

#endif  // ORB_POLICY_ACL_CASES_H_
