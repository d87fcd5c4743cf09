// orbctl admin: the broker's admin service (orb.v1.BrokerAdmin) from the
// command line, through orb::client::Admin.
//
//   orbctl admin sessions [USERID]   the live sessions (of USERID only)
//   orbctl admin close REF           close a session by its reference
//   orbctl admin policy              what policy runs, how the last reload went
//   orbctl admin reload              reload the policy file
//   orbctl admin policy-status [--targets=HOST:PORT,...]
//                                    the policy of several brokers, compared
#ifndef ORB_CLIENT_ORBCTL_ADMIN_COMMANDS_H_
#define ORB_CLIENT_ORBCTL_ADMIN_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/orbctl/remote_commands.h"
#include "orb/client/client.h"

namespace orb::orbctl {

// The exit code of `admin policy-status` when every broker answered but
// they do not agree (or one's last reload failed): "the check failed", as
// `orbctl policy check` exits 1 for an invalid file.
constexpr int kPolicyStatusDifferExit = 1;

// The synopsis and help text of `orbctl admin`, for orbctl's help.
extern const char kAdminSynopsis[];
extern const char kAdminHelp[];

// "" when `args` (the words after "admin") are a well-formed admin command,
// else what is wrong with them, for a usage error (nothing is sent).
std::string AdminUsageError(const std::vector<std::string>& args);

// "" unless `g` has --targets and `command` (the positional words of the
// line) is not `admin policy-status`, the one command that takes it.
std::string TargetsUsageError(const Globals& g, const std::vector<std::string>& command);

// The brokers of --targets ("HOST:PORT,HOST:PORT,..."; HOST a name, an IPv4
// address or a bracketed IPv6 one, PORT 1 to 65535) in order, or the
// usage error ("" elements, a missing or bad port). Duplicates are kept.
std::vector<std::string> ParseTargets(const std::string& list, std::string* problem);

// orbctl admin policy-status: asks each broker of g.targets (else the one
// g.options.target) for its PolicyInfo, every broker at once and each call
// under the client's deadline, with g's credentials and TLS options; prints
// one row per broker (or with g.json one JSON object) and whether they
// agree. Returns the exit code: 0 when every broker answered with the same
// revision and SHA-256 and none has a failed last reload;
// kPolicyStatusDifferExit when all answered but they differ or a reload
// failed; else ExitCode() of the first broker (in --targets order) that did
// not answer (14 UNAVAILABLE for one that cannot be reached); 2 for a bad
// --targets (nothing is sent).
int PolicyStatusMain(const Globals& g);

// Runs the admin command `args` (REQUIRES: AdminUsageError(args) is "", and
// args[0] is not "policy-status", which PolicyStatusMain runs) and
// prints its answer to stdout: text, or with `json` the answer message as
// protobuf JSON. Returns the call's status; the caller reports an error.
absl::Status RunAdmin(const client::Client& client, bool json,
                      const std::vector<std::string>& args);

}  // namespace orb::orbctl

#endif  // ORB_CLIENT_ORBCTL_ADMIN_COMMANDS_H_
