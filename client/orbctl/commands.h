// The subcommands of orbctl. Each takes the arguments after its own name
// (argv[0] is the subcommand's name) and returns the process exit code.
#ifndef ORB_CLIENT_ORBCTL_COMMANDS_H_
#define ORB_CLIENT_ORBCTL_COMMANDS_H_

namespace orb::orbctl {

// orbctl policy eval-cases --in CASES.json --out RESULTS.json
// Evaluates a Pyramid ACL case file and writes a pyramid-acl-results/1 file.
// Exit 0 on success, 1 on a malformed case file (with a message), 2 on usage.
int PolicyEvalCases(int argc, char** argv);

// orbctl policy check FILE: prints "OK" (exit 0) or every error as
// file:line: message (exit 1).
int PolicyCheck(int argc, char** argv);

// orbctl policy mint-ticket --key-file F | --key-hex H --userid U [--ttl S]
// Prints a signed, expiring ticket.
int PolicyMintTicket(int argc, char** argv);

// orbctl policy hash-token [TOKEN]: prints the SHA-256 hex a policy file's
// bearer_token.sha256 wants (reads the token from stdin without TOKEN).
int PolicyHashToken(int argc, char** argv);

// Every command but `policy`: the remote commands (get, set, del, call,
// describe, snapshot, whoami, batch; remote_commands.h), `admin`, `shell`
// (shell.h) and the global options; argv is main()'s. Returns the
// exit code (0, 2 for usage, else the gRPC status code; see --help).
int RemoteMain(int argc, char** argv);

}  // namespace orb::orbctl

#endif  // ORB_CLIENT_ORBCTL_COMMANDS_H_
