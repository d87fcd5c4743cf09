#include "client/orbctl/shell.h"

#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/orbctl/admin_commands.h"
#include "client/orbctl/json.h"
#include "client/orbctl/lease_keeper.h"
#include "client/orbctl/line_reader.h"
#include "client/orbctl/shell_names.h"
#include "client/orbctl/shell_words.h"
#include "client/orbctl/watch_command.h"
#include "orb/client/client.h"
#include "orb/client/errors.h"

namespace orb::orbctl {
namespace {

using client::Client;
using client::Ref;
using client::Session;

constexpr char kPrompt[] = "orb> ";

constexpr char kShellHelp[] =
    "usage: orbctl [OPTIONS] shell\n"
    "\n"
    "Runs many commands in one session, one a line: from a terminal (prompt 'orb> ',\n"
    "line editing and history; Ctrl-C drops the line) or from standard input (a\n"
    "script: no prompt). A line is a command as it would follow 'orbctl', quoted as\n"
    "in sh ('...', \"...\", \\); blank lines and lines starting with # are skipped.\n"
    "--json and --help may end a line (and --targets an 'admin policy-status' line,\n"
    "--count a watch line, --by-value a call line); the other global options are\n"
    "given when the shell starts. A watch runs until its --count, its end, or\n"
    "Ctrl-C (then 130).\n"
    "\n"
    "Every handle a command prints is named: $1 = <demo.Entry handle>, then $2, ...\n"
    "(the same handle keeps its name; --json adds \"name\":\"$1\" to the handle). A PATH\n"
    "may start with a name: get $1.title, describe $1, snapshot $1 title body;\n"
    "'call $1 METHOD ...' is 'call $1.METHOD ...'. An argument written $N, or\n"
    "NAME=$N, passes the handle ('$1' quoted is the text). Names are never reused.\n"
    "\n"
    "Shell commands: help [COMMAND], handles (the named handles), release $N...\n"
    "(the broker drops them), quit or exit (or end of input, Ctrl-D).\n"
    "\n"
    "An error is one line on stderr (with --json, the broker's errors are JSON on\n"
    "stdout, as in one-shot orbctl) and the shell goes on with the next line.\n"
    "Exit status: 0 when every command succeeded, else the exit code of the LAST\n"
    "command that failed: 2 for a usage error (unknown command or option, bad\n"
    "quoting, a $N that names no handle; nothing was sent), else its gRPC code as\n"
    "below. When no session can be opened at the start, that failure's code.\n"
    "\n"
    "A lost session (the broker restarted, or the session expired or was closed:\n"
    "NOT_FOUND, reason SESSION_NOT_FOUND) is reported, every $N name is dropped\n"
    "(using one says so) and a new session is opened. While the shell waits for a\n"
    "line it renews the session's lease, so an idle shell keeps its session.\n";

// The shell's own commands, for `help`.
constexpr CommandHelp kShellCommands[] = {
    {"help", "help [COMMAND]", "list the commands, or describe one", "", ""},
    {"handles", "handles", "list the named handles", "One '$N = <TYPE handle>' line each.", ""},
    {"release", "release $N...", "release named handles",
     "The broker drops them; the names are not given again.", ""},
    {"quit", "quit", "leave the shell (also 'exit', or end of input)", "", ""},
};

const CommandHelp* FindShellCommand(absl::string_view name) {
  if (name == "exit") name = "quit";
  for (const auto& c : kShellCommands) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

bool IsSessionLost(const absl::Status& status) {
  std::optional<client::ErrorInfo> info = client::ErrorInfoOf(status);
  return status.code() == absl::StatusCode::kNotFound && info.has_value() &&
         info->reason == "SESSION_NOT_FOUND";
}

// Whether a line's options would change the connection, which the shell
// keeps for its whole life.
bool SameConnection(const client::ClientOptions& a, const client::ClientOptions& b) {
  return a.target == b.target && a.token == b.token && a.ticket == b.ticket &&
         a.tls_ca_file == b.tls_ca_file && a.tls_cert_file == b.tls_cert_file &&
         a.tls_key_file == b.tls_key_file;
}

class Shell {
 public:
  Shell(Globals g, Client client) : g_(std::move(g)), client_(std::move(client)) {}

  // Opens the session (closing a previous one) and keeps its lease.
  absl::Status Open();
  // Reads and runs lines until the end of input or quit; returns the exit
  // status (see kShellHelp).
  int Loop(LineReader& reader);

 private:
  // Runs one line; returns its exit code (0 for a blank line).
  int RunLine(absl::string_view line);
  int Help(const std::vector<Word>& args);
  int Handles(const Globals& g);
  int Release(const std::vector<Word>& args);
  // A session command (get, set, ...): its $N names resolved, run.
  int RunCommand(const Globals& g, const std::vector<Word>& words);
  // Resolves a PATH written "$N..." (inv->args[0], its word `path`) into
  // inv->start; returns "" or the usage error.
  std::string ResolvePath(const Word& path, Invocation* inv);
  // Resolves arguments written $N or NAME=$N (`words` parallel to
  // inv->args) into inv->handle_args; returns "" or the usage error.
  std::string ResolveArguments(const std::vector<const Word*>& words, Invocation* inv);
  // After a command met a lost session: drop the names, reopen.
  void SessionLost(const Globals& g);

  const Globals g_;
  const Client client_;
  // Declared in this order so that the keeper stops before its session
  // goes, and the names' Refs before their session closes.
  std::optional<Session> session_;
  std::optional<LeaseKeeper> keeper_;
  HandleNames names_;
  bool quit_ = false;
};

absl::Status Shell::Open() {
  keeper_.reset();
  session_.reset();
  absl::StatusOr<Session> session = client_.OpenSession();
  if (!session.ok()) return session.status();
  session_.emplace(*std::move(session));
  keeper_.emplace(&*session_);
  return absl::OkStatus();
}

int Shell::Loop(LineReader& reader) {
  if (reader.interactive()) {
    std::fprintf(stderr, "orbctl shell: %s on %s; 'help' lists the commands, Ctrl-D leaves\n",
                 session_->userid().empty() ? "anonymous" : session_->userid().c_str(),
                 g_.options.target.c_str());
  }
  int status = 0;
  while (!quit_) {
    std::optional<std::string> line = reader.Next();
    if (!line.has_value()) break;
    const int code = RunLine(*line);
    std::fflush(stdout);
    if (code != 0) status = code;
  }
  return status;
}

int Shell::RunLine(absl::string_view line) {
  absl::StatusOr<std::vector<Word>> words = SplitWords(line);
  if (!words.ok()) return Usage(g_, std::string(words.status().message()));
  if (words->empty()) return 0;
  std::vector<std::string> texts;
  for (const Word& w : *words) texts.push_back(w.text);
  Globals g = g_;
  std::vector<size_t> positional;
  if (std::string problem = ParseGlobalOptions(texts, &g, &positional); !problem.empty()) {
    return Usage(g_, problem);
  }
  if (!SameConnection(g.options, g_.options)) {
    return Usage(g_,
                 "--target, --token, --ticket and --tls-* are given when the shell starts "
                 "(orbctl [OPTIONS] shell)");
  }
  std::vector<Word> command;
  for (size_t i : positional) command.push_back((*words)[i]);
  if (command.empty()) return g.help ? Help({}) : Usage(g_, "no command ('help' lists them)");
  std::vector<std::string> command_texts;
  for (const Word& w : command) command_texts.push_back(w.text);
  if (std::string problem = CommandOptionsUsageError(g, command_texts); !problem.empty()) {
    return Usage(g_, problem);
  }
  const std::string name = command[0].text;
  if (g.help) return Help({command[0]});
  const std::vector<Word> args(command.begin() + 1, command.end());
  if (name == "help") return Help(args);
  if (const CommandHelp* own = FindShellCommand(name); own != nullptr) {
    if (name != "release" && !args.empty()) {
      return Usage(g_, absl::StrCat("usage: ", own->synopsis));
    }
  }
  if (name == "handles") return Handles(g);
  if (name == "release") return Release(args);
  if (name == "quit" || name == "exit") {
    quit_ = true;
    return 0;
  }
  if (name == "admin") {
    std::vector<std::string> admin_args;
    for (const Word& w : args) admin_args.push_back(w.text);
    if (std::string problem = AdminUsageError(admin_args); !problem.empty()) {
      return Usage(g_, problem);
    }
    // Its own connections, with the shell's options, to each broker.
    if (admin_args[0] == "policy-status") return PolicyStatusMain(g);
    const absl::Status status = RunAdmin(client_, g.json, admin_args);
    return status.ok() ? 0 : Fail(g, status);
  }
  if (FindCommand(name) == nullptr) return Usage(g_, absl::StrCat("unknown command '", name, "'"));
  return RunCommand(g, command);
}

int Shell::Help(const std::vector<Word>& args) {
  if (args.size() > 1) return Usage(g_, "usage: help [COMMAND]");
  if (args.empty()) {
    std::printf("Commands (one a line; 'help COMMAND' for more):\n");
    for (const auto& c : SessionCommands()) std::printf("  %-34s%s\n", c.synopsis, c.summary);
    std::printf("  %-34s%s\n", "admin ...", "the broker's admin service ('help admin')");
    for (const auto& c : kShellCommands) std::printf("  %-34s%s\n", c.synopsis, c.summary);
    std::printf(
        "\nHandles printed are named $1, $2, ...: get $1.title, describe $1, call $1 delete.\n"
        "'orbctl shell --help' tells the rest (quoting, errors, exit status).\n");
    return 0;
  }
  const std::string& name = args[0].text;
  if (name == "admin") {
    std::printf("usage: %s\n\n%s\n", kAdminSynopsis, kAdminHelp);
    return 0;
  }
  const CommandHelp* help = FindCommand(name);
  if (help == nullptr) help = FindShellCommand(name);
  if (help == nullptr) return Usage(g_, absl::StrCat("unknown command '", name, "'"));
  std::printf("usage: %s\n\n%s\n", help->synopsis, HelpParagraph(*help).c_str());
  return 0;
}

int Shell::Handles(const Globals& g) {
  const HandleNamer namer = [this](const Ref& ref) { return names_.Name(ref); };
  std::vector<std::string> lines;
  for (const auto& [name, ref] : names_.List()) {
    lines.push_back(g.json ? ToJson(Value(ref), namer) : ToHuman(Value(ref), namer));
  }
  if (g.json) {
    std::printf("[%s]\n", absl::StrJoin(lines, ",").c_str());
  } else if (!lines.empty()) {
    std::printf("%s\n", absl::StrJoin(lines, "\n").c_str());
  }
  return 0;
}

int Shell::Release(const std::vector<Word>& args) {
  if (args.empty()) return Usage(g_, "usage: release $N...");
  for (const Word& w : args) {
    if (!w.Unquoted(0) || !HandleNames::StartsWithName(w.text) ||
        HandleNames::NameLength(w.text) != w.text.size()) {
      return Usage(g_, absl::StrCat("'", w.text, "' is not a handle name ($1, $2, ...)"));
    }
    if (absl::StatusOr<Ref> ref = names_.Find(w.text); !ref.ok()) {
      return Usage(g_, std::string(ref.status().message()));
    }
  }
  for (const Word& w : args) (void)names_.Release(w.text);
  // Sent now rather than with the next command, so that the broker drops
  // the handles when the user says so.
  if (!session_.has_value()) return 0;
  const absl::Status flushed = session_->Flush();
  if (flushed.ok()) return 0;
  const int code = Fail(g_, flushed);
  if (IsSessionLost(flushed)) SessionLost(g_);
  return code;
}

std::string Shell::ResolvePath(const Word& path, Invocation* inv) {
  const std::string& text = path.text;
  if (!path.Unquoted(0) || !HandleNames::StartsWithName(text)) return "";
  const size_t length = HandleNames::NameLength(text);
  const std::string name = text.substr(0, length);
  const std::string rest = text.substr(length);
  if (!rest.empty() && (rest[0] != '.' || rest.size() == 1)) {
    return absl::StrCat("bad path '", text, "': a handle name is followed by '.' and a name, e.g. ",
                        name, ".title");
  }
  absl::StatusOr<Ref> ref = names_.Find(name);
  if (!ref.ok()) return std::string(ref.status().message());
  inv->start = *std::move(ref);
  inv->args[0] = rest.empty() ? "" : rest.substr(1);
  if (!rest.empty()) return "";
  const std::string& command = inv->command;
  if (command == "get" || command == "set" || command == "del") {
    return absl::StrCat(command, " needs an attribute of ", name, ": ", command, " ", name,
                        ".NAME");
  }
  return "";
}

std::string Shell::ResolveArguments(const std::vector<const Word*>& words, Invocation* inv) {
  if (inv->command != "set" && inv->command != "call") return "";
  for (size_t i = 1; i < words.size(); ++i) {
    const Word& w = *words[i];
    const size_t at = inv->command == "call" ? KeywordValueStart(w.text) : 0;
    const absl::string_view value = absl::string_view(w.text).substr(at);
    if (!w.Unquoted(at) || !HandleNames::StartsWithName(value)) continue;
    if (HandleNames::NameLength(value) != value.size()) {
      return absl::StrCat("'", value, "': a handle is passed by its name alone ($1); quote '",
                          value, "' for the text");
    }
    absl::StatusOr<Ref> ref = names_.Find(value);
    if (!ref.ok()) return std::string(ref.status().message());
    inv->handle_args.emplace(i, *std::move(ref));
  }
  return "";
}

int Shell::RunCommand(const Globals& g, const std::vector<Word>& words) {
  Invocation inv;
  inv.command = words[0].text;
  std::vector<const Word*> arg_words;
  for (size_t i = 1; i < words.size(); ++i) {
    inv.args.push_back(words[i].text);
    arg_words.push_back(&words[i]);
  }
  if (inv.command != "whoami" && inv.command != "batch" && !inv.args.empty()) {
    if (std::string problem = ResolvePath(*arg_words[0], &inv); !problem.empty()) {
      return Usage(g_, problem);
    }
    // call $1 METHOD ...: the method is the next word.
    if (inv.command == "call" && inv.start && inv.args[0].empty()) {
      if (inv.args.size() < 2) {
        return Usage(g_, absl::StrCat("call needs a method: call ", words[1].text, ".NAME or call ",
                                      words[1].text, " NAME"));
      }
      inv.args.erase(inv.args.begin());
      arg_words.erase(arg_words.begin());
    }
  }
  if (std::string problem = ResolveArguments(arg_words, &inv); !problem.empty()) {
    return Usage(g_, problem);
  }
  if (std::string problem = InvocationUsageError(inv, ""); !problem.empty()) {
    return Usage(g_, problem);
  }
  if (inv.command == "batch" && inv.args[0] == "-") {
    return Usage(g_, "the shell reads its standard input: give batch a file");
  }
  if (!session_.has_value()) {
    // The last one was lost and reopening it failed; try again.
    if (absl::Status opened = Open(); !opened.ok()) return Fail(g, opened);
  }
  inv.namer = [this](const Ref& ref) { return names_.Name(ref); };
  const Outcome outcome = RunInvocation(g, *session_, inv);
  if (IsSessionLost(outcome.status)) SessionLost(g);
  return outcome.exit_code;
}

void Shell::SessionLost(const Globals& g) {
  const std::vector<std::string> dropped = names_.DropAll();
  std::string names = "no handle names were in use";
  if (!dropped.empty()) {
    names = absl::StrCat("dropped ", absl::StrJoin(dropped, ", "));
  }
  const absl::Status opened = Open();
  std::fprintf(stderr,
               "orbctl: the session was lost (the broker restarted, or the session expired or was "
               "closed); %s; %s\n",
               names.c_str(),
               opened.ok() ? "opened a new session" : "a new session could not be opened:");
  if (!opened.ok()) (void)Fail(g, opened);
}

}  // namespace

int ShellMain(const Globals& options, const std::vector<std::string>& args) {
  if (options.help) {
    std::printf("%s\n%s", kShellHelp, kGlobalHelp);
    return 0;
  }
  if (!args.empty()) {
    return Usage(options, "usage: orbctl [OPTIONS] shell (the commands come from standard input)");
  }
  // Line-buffered, so that a result and an error of the same command reach
  // a reader of both streams in the order they were written.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  // Usage errors in the shell are one line: the shell goes on.
  Globals g = options;
  g.usage_hint.clear();
  absl::StatusOr<Client> client = Client::Connect(g.options);
  if (!client.ok()) return Usage(g, std::string(client.status().message()));
  Shell shell(g, *std::move(client));
  if (absl::Status opened = shell.Open(); !opened.ok()) return Fail(g, opened);
  LineReader reader(kPrompt);
  return shell.Loop(reader);
}

}  // namespace orb::orbctl
