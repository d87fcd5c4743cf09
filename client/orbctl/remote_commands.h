// orbctl's global options and its session commands (get, set, del, call,
// describe, snapshot, watch, whoami, batch), shared by one-shot orbctl
// (RemoteMain, one session per command) and `orbctl shell` (one session for
// many commands): the parsing, the checks, the running and the reporting
// live here once.
#ifndef ORB_CLIENT_ORBCTL_REMOTE_COMMANDS_H_
#define ORB_CLIENT_ORBCTL_REMOTE_COMMANDS_H_

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "client/orbctl/json.h"
#include "orb/client/client.h"

namespace orb::orbctl {

// The exit code of a usage error: nothing was sent.
constexpr int kUsageExit = 2;

// "Global options ...", the options, PATH, VALUE and the exit codes, as
// every remote command's --help ends.
extern const char kGlobalHelp[];

// The global options of a remote command line.
struct Globals {
  client::ClientOptions options;
  bool json = false;
  bool help = false;
  // --targets=HOST:PORT,... as given (checked by `admin policy-status`, the
  // one command that takes it); unset when absent.
  std::optional<std::string> targets;
  // --count=N as given (checked by `watch`, the one command that takes it:
  // CountUsageError in watch_command.h); unset when absent.
  std::optional<std::string> count;
  // --by-value (checked by `call`, the one command that takes it: see
  // CommandOptionsUsageError): the result object as a map of its attributes.
  bool by_value = false;
  // The line after a usage error's message ("" for none): one-shot orbctl
  // points at --help, the shell says nothing more.
  std::string usage_hint = "Run 'orbctl --help' for usage.";
};

// Globals with the environment's defaults: $ORB_TARGET (else
// 127.0.0.1:50051), $ORB_TOKEN, $ORB_TICKET; client name "orbctl".
Globals DefaultGlobals();

// Parses `args` (main()'s argv without argv[0], or the words of a shell
// line) into `*g`: the global options may stand anywhere, `--` makes every
// later word an argument, and a lone '-' or a negative number is an
// argument. The indices in `args` of the words that are not options go to
// `*positional`, in order. Returns "" or the usage error ("unknown option
// '--x'", "--token needs a value").
std::string ParseGlobalOptions(const std::vector<std::string>& args, Globals* g,
                               std::vector<size_t>* positional);

// "" when every option in `g` that only one command takes (--targets,
// --count, --by-value) is given to that command (`command`: the command's
// words) with a well-formed value, else the usage error to report.
std::string CommandOptionsUsageError(const Globals& g, const std::vector<std::string>& command);

// Prints "orbctl: MESSAGE" and g.usage_hint on stderr; returns kUsageExit.
int Usage(const Globals& g, const std::string& message);
// The exit code of `status`: 0 for OK, else its gRPC code, except UNKNOWN
// (gRPC's 2, the usage code), which is 17.
int ExitCode(const absl::Status& status);
// Reports a failed operation: "orbctl: CODE: message [reason, gate g]" on
// stderr, or with --json {"error":{...}} on stdout. Returns ExitCode(status).
int Fail(const Globals& g, const absl::Status& status);
// The parts of Fail's report: "CODE: message [reason, gate g]" (with the
// transport hint's advice in the message), and the JSON object of
// {"error":...} ({"code":14,"status":"UNAVAILABLE","message":...}).
std::string ErrorText(const absl::Status& status);
std::string ErrorJson(const absl::Status& status);

// The help of one session command.
struct CommandHelp {
  const char* name;
  const char* synopsis;
  const char* summary;  // one line, for `orbctl --help`
  const char* text;     // more, for `orbctl COMMAND --help` (may be empty)
  // Uses the demo blog's names and tokens (scripts/demo) and runs against
  // it as written, except del's: the blog's one deletable attribute, an
  // entry's body, is reached through a call, which a PATH cannot hold.
  const char* example;
};
// The session commands, in the order help lists them.
const std::vector<CommandHelp>& SessionCommands();
// The command named `name`, or nullptr.
const CommandHelp* FindCommand(absl::string_view name);
// `help`'s summary as a sentence, then its text: what `orbctl COMMAND
// --help` prints between the usage line and the example.
std::string HelpParagraph(const CommandHelp& help);

// Where the value of a keyword argument NAME=ARG (NAME an identifier)
// starts in `arg`, or 0 when `arg` is a positional argument.
size_t KeywordValueStart(absl::string_view arg);

// One session command to run.
struct Invocation {
  std::string command;
  std::vector<std::string> args;
  // Where PATH (args[0]) starts: an empty Ref is the root. The shell sets
  // it for a PATH written "$N.rest", args[0] then holding "rest" ("" for
  // the object itself).
  client::Ref start;
  // Handles standing for arguments, by index in `args`: for a whole
  // argument, or for the value of a NAME=ARG keyword argument.
  std::map<size_t, client::Ref> handle_args;
  // How results name the handles they hold (the shell's $N); empty: by id.
  HandleNamer namer;
};

// "" when `inv` is a well-formed call of its command (REQUIRES: a session
// command), else the usage error to report ("usage: orbctl get PATH", "bad
// path 'a..b': ..."); nothing is sent either way. `program` starts the
// synopsis ("orbctl " or "" in the shell).
std::string InvocationUsageError(const Invocation& inv, absl::string_view program);

// The outcome of a command: its exit code, and why it failed.
struct Outcome {
  int exit_code = 0;
  absl::Status status;  // OK on success; a usage error is INVALID_ARGUMENT
};

// Runs `inv` (REQUIRES: InvocationUsageError(inv, ...) is "") in `session`:
// prints its result on stdout and any failure as Fail() or Usage() do.
Outcome RunInvocation(const Globals& g, const client::Session& session, const Invocation& inv);

}  // namespace orb::orbctl

#endif  // ORB_CLIENT_ORBCTL_REMOTE_COMMANDS_H_
