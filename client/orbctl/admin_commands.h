// orbctl admin: the broker's admin service (orb.v1.BrokerAdmin) from the
// command line, through orb::client::Admin.
//
//   orbctl admin sessions [USERID]   the live sessions (of USERID only)
//   orbctl admin close REF           close a session by its reference
//   orbctl admin policy              what policy runs, how the last reload went
//   orbctl admin reload              reload the policy file
#ifndef ORB_CLIENT_ORBCTL_ADMIN_COMMANDS_H_
#define ORB_CLIENT_ORBCTL_ADMIN_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "orb/client/client.h"

namespace orb::orbctl {

// The synopsis and help text of `orbctl admin`, for orbctl's help.
extern const char kAdminSynopsis[];
extern const char kAdminHelp[];

// "" when `args` (the words after "admin") are a well-formed admin command,
// else what is wrong with them, for a usage error (nothing is sent).
std::string AdminUsageError(const std::vector<std::string>& args);

// Runs the admin command `args` (REQUIRES: AdminUsageError(args) is "") and
// prints its answer to stdout: text, or with `json` the answer message as
// protobuf JSON. Returns the call's status; the caller reports an error.
absl::Status RunAdmin(const client::Client& client, bool json,
                      const std::vector<std::string>& args);

}  // namespace orb::orbctl

#endif  // ORB_CLIENT_ORBCTL_ADMIN_COMMANDS_H_
