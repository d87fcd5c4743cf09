// Checking a policy against the types a broker serves. A policy that loads
// cleanly can still be wrong for the program it guards: a type name with a
// typo gives its rules to nothing (and every member of the real type is
// then NOT_FOUND), an OLP entry naming no member locks nothing, a permission
// that no lock asks for grants nothing, a principal that no identity can
// hold matches nobody. Each is legal, so the loader accepts it; this check
// finds them, each as a warning naming the file, the line and, where one
// is close, the name probably meant.
//
// orbd runs it at start and at every reload (warnings on stderr; errors
// with --strict-policy); `orbctl policy check --types=FILE` runs it offline
// against `orbd --dump-types=FILE`.
#ifndef ORB_POLICY_SERVED_CHECK_H_
#define ORB_POLICY_SERVED_CHECK_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "orb/policy/olp.h"
#include "orb/policy/policy_loader.h"
#include "orb/v1/served_types.pb.h"

namespace orb::policy {

// Adds every entry of `olp` to `type->olp`: view, op, name, the lock as
// Describe renders it, and each permission the lock names.
void AddOlpEntries(const Olp& olp, v1::ServedType* type);

// The warnings for policy `text` (as loaded from `file`) against `served`,
// ordered by line; at most `max_warnings` of them, the last then saying
// how many more there were. Requires: `text` compiles cleanly
// (CompilePolicyText reports no errors); for text that does not parse,
// returns nothing (the loader's errors say what is wrong).
std::vector<PolicyError> CheckAgainstServed(absl::string_view text, absl::string_view file,
                                            const v1::ServedTypes& served,
                                            size_t max_warnings = 50);

// ServedTypes as the JSON `orbd --dump-types` writes (protobuf's JSON
// mapping, field names as in served_types.proto), and back. Errors:
// INVALID_ARGUMENT naming what did not parse.
std::string ServedTypesToJson(const v1::ServedTypes& served);
absl::StatusOr<v1::ServedTypes> ServedTypesFromJson(absl::string_view json);

}  // namespace orb::policy

#endif  // ORB_POLICY_SERVED_CHECK_H_
