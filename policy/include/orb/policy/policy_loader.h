// Loading and validating policy files (text-format orb.v1.Policy) into an
// immutable CompiledPolicy. docs/policy.md is the reference for the language
// and lists every check; the rules this code owns:
//   - Every problem is reported with the 1-based line of the offending field
//     (or of its enclosing message when the field was not written). A syntax
//     error stops the parse: only it is reported, with its column in the
//     message. Unknown fields are all reported in one pass; semantic checks
//     run only on a file that parsed cleanly.
//   - `inherit` names a type declared in the same policy file with an `olp`;
//     bases are compiled first whatever the declaration order.
//   - OLP entries with neither `permission` nor `lock` get
//     Lock::Permission(default_permission).
//   - Userids named by bearer tokens and by the mTLS map must be declared in
//     the users table; userids from tickets and unmapped certificates need
//     not be (they then have no groups).
//   - A ticket key file holds the key as lower-case hex (white space around
//     it ignored); it is resolved relative to `base_dir`.
//   - No error message contains a token, a key or a hash.
#ifndef ORB_POLICY_POLICY_LOADER_H_
#define ORB_POLICY_POLICY_LOADER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "orb/v1/policy.pb.h"
#include "orb/policy/acl.h"
#include "orb/policy/authn.h"
#include "orb/policy/olp.h"

namespace orb::policy {

// The effective quotas and limits (policy `limits`, zeros replaced by the
// defaults documented in policy.proto).
struct Limits {
  uint32_t max_handles_per_session = 10000;
  uint32_t max_sessions_per_identity = 64;
  uint32_t max_value_depth = 64;
  uint32_t max_value_elements = 100000;
  uint64_t max_message_bytes = 4 * 1024 * 1024;
  uint32_t session_ttl_seconds = 300;
  uint32_t max_member_calls_per_identity = 64;
  uint32_t max_batch_operations = 64;
  uint32_t max_stream_operations_in_flight = 32;
  uint32_t request_id_window_seconds = 600;
  uint32_t max_request_ids_per_session = 1000;
  uint32_t max_watches_per_session = 16;
  uint32_t max_names_per_watch = 64;
};

// What a policy says about one type.
struct TypeRules {
  std::string name;
  AclPtr acl;  // the type's class-level ACL; null when the policy gives none
  OlpPtr olp;  // the type's OLP (inherit resolved); null when none given
};

// One validation problem, located in the file. A value type.
struct PolicyError {
  std::string file;
  int line = 0;  // 1-based; 0 when the problem has no single line
  std::string message;
  std::string ToString() const;  // "file:line: message"
};

// A loaded, validated policy.
//
// Thread safety: immutable; share through std::shared_ptr<const ...>.
class CompiledPolicy {
 public:
  // The rules the policy gives for a type, or nullptr when it names none.
  // The pointer lives as long as this policy.
  const TypeRules* FindType(absl::string_view type_name) const;
  // The ACL of `path_acl { path: ... }` for exactly this path (paths are
  // validated canonical: "/", "/a", "/a/b"); null when none.
  AclPtr FindPathAcl(absl::string_view path) const;
  // False when the policy has no path ACL at all (the broker then skips
  // building paths on every call).
  bool has_path_acls() const { return !path_acls_.empty(); }
  const std::string& default_permission() const { return default_permission_; }
  bool debug_authorization() const { return debug_authorization_; }
  const Limits& limits() const { return limits_; }
  const Authenticator& authenticator() const { return *authenticator_; }
  // The policy as written (a ticket key file is not inlined here).
  const orb::v1::Policy& source() const { return source_; }
  // The name the policy was compiled under (the path for LoadPolicyFile).
  const std::string& file() const { return file_; }
  // The policy's `revision` (0: unversioned).
  uint64_t revision() const { return source_.revision(); }
  // Lower-case hex SHA-256 of the policy text it was compiled from.
  const std::string& text_sha256() const { return text_sha256_; }
  // The policy text it was compiled from (for checks that point at lines,
  // e.g. CheckAgainstServed).
  const std::string& text() const { return text_; }
  // The ACL of `admin { acl { ... } }`; null when the policy has no admin
  // section (every admin call is then refused).
  AclPtr admin_acl() const { return admin_acl_; }

 private:
  friend class PolicyCompiler;
  CompiledPolicy() = default;
  orb::v1::Policy source_;
  std::string file_;
  std::string text_sha256_;
  std::string text_;
  AclPtr admin_acl_;
  absl::flat_hash_map<std::string, TypeRules> types_;
  absl::flat_hash_map<std::string, AclPtr> path_acls_;
  std::string default_permission_;
  bool debug_authorization_ = false;
  Limits limits_;
  std::unique_ptr<const Authenticator> authenticator_;
};
using PolicyPtr = std::shared_ptr<const CompiledPolicy>;

// Parses and validates policy text. `file` names the source in errors.
// On failure returns every problem found (not just the first), ordered by
// line. `base_dir` resolves relative paths inside the policy (e.g. key
// files). Thread-safe (no shared state besides SymbolTable::Global()).
struct LoadResult {
  PolicyPtr policy;                 // null when errors is not empty
  std::vector<PolicyError> errors;  // each "file:line: what to fix"
};
LoadResult CompilePolicyText(absl::string_view text, absl::string_view file,
                             absl::string_view base_dir = ".");

// Reads and compiles a policy file; relative paths inside it are resolved
// against the file's folder. Errors: NOT_FOUND when the file cannot be read
// (or is a directory); INVALID_ARGUMENT whose message lists every
// PolicyError as "file:line: message", one per line.
absl::StatusOr<PolicyPtr> LoadPolicyFile(const std::string& path);

// Converts a constructed Acl proto (e.g. from C++ code) into AceSpecs, in
// order, validating each ACE as the loader does. Errors: INVALID_ARGUMENT
// naming every bad ACE by index ("ace 2: ACE has no action: ...").
absl::StatusOr<std::vector<AceSpec>> AceSpecsFromProto(const orb::v1::Acl& acl);

}  // namespace orb::policy

#endif  // ORB_POLICY_POLICY_LOADER_H_
