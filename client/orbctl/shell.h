// orbctl shell: many commands in one session, from a terminal (libedit:
// prompt, line editing, history) or from a script on standard input; the
// handles the commands return are named $1, $2, ... for later commands.
// The behaviour (names, errors, exit status, a lost session) is kShellHelp
// in shell.cc, which `orbctl shell --help` prints; docs/clients.md shows it.
#ifndef ORB_CLIENT_ORBCTL_SHELL_H_
#define ORB_CLIENT_ORBCTL_SHELL_H_

#include <string>
#include <vector>

#include "client/orbctl/remote_commands.h"

namespace orb::orbctl {

// Runs the shell with the global options `g`; `args` are the words after
// "shell" (there may be none). Returns the exit code: 0 when every command
// succeeded, else the last failed command's (2 for a usage error, else
// the gRPC code); the code of OpenSession's failure when no session opens
// at the start.
int ShellMain(const Globals& g, const std::vector<std::string>& args);

}  // namespace orb::orbctl

#endif  // ORB_CLIENT_ORBCTL_SHELL_H_
