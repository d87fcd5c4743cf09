// orbctl's remote commands: each walks a dotted path from the root (or, in
// the shell, from a named handle) with getattr, acts and prints. One-shot
// orbctl opens a session for the command and closes it; `orbctl shell`
// (shell.h) runs them in its own session.
#include "client/orbctl/remote_commands.h"

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/orbctl/admin_commands.h"
#include "client/orbctl/commands.h"
#include "client/orbctl/json.h"
#include "client/orbctl/read_file.h"
#include "client/orbctl/shell.h"
#include "client/orbctl/watch_command.h"
#include "google/protobuf/util/json_util.h"
#include "orb/v1/broker.pb.h"
#include "grpc/support/log.h"
#include "orb/client/client.h"
#include "base/json_escape.h"

namespace orb::orbctl {

using orb::client::Client;
using orb::client::ClientOptions;
using orb::client::Description;
using orb::client::ErrorInfo;
using orb::client::ErrorInfoOf;
using orb::client::Ref;
using orb::client::Session;
using orb::client::TransportHint;
using orb::client::TransportHintOf;
using orb::client::Value;
namespace {

// gRPC's UNKNOWN is 2, the usage exit code of every orbctl command; it
// exits with 17 instead so that 2 always means "nothing was sent".
constexpr int kUnknownExit = 17;

}  // namespace

const char kGlobalHelp[] =
    "Global options (anywhere on the line; before a command or after it):\n"
    "  --target=HOST:PORT  the broker (default $ORB_TARGET, else 127.0.0.1:50051)\n"
    "  --token=T           bearer token (default $ORB_TOKEN)\n"
    "  --ticket=T          signed ticket (default $ORB_TICKET)\n"
    "  --tls-ca=FILE       speak TLS; check the broker's certificate against FILE\n"
    "  --tls-cert=FILE     with --tls-key: client certificate for mutual TLS\n"
    "  --tls-key=FILE\n"
    "  --json              JSON output for scripts (errors too, on stdout)\n"
    "  --                  everything after it is an argument, even '--x'\n"
    "\n"
    "PATH is dotted attribute names from the root: 'title', 'Entry.max_title_length'\n"
    "(each segment is a getattr; a method cannot be a segment).\n"
    "VALUE is a JSON literal if it parses (42, true, null, \"x\", [1,2], {\"a\":1}),\n"
    "else the text as a string.\n"
    "\n"
    "Exit codes: 0 ok; 2 usage error (nothing was sent); otherwise the gRPC status\n"
    "code: 1 CANCELLED, 3 INVALID_ARGUMENT, 4 DEADLINE_EXCEEDED, 5 NOT_FOUND,\n"
    "6 ALREADY_EXISTS, 7 PERMISSION_DENIED, 8 RESOURCE_EXHAUSTED,\n"
    "9 FAILED_PRECONDITION, 10 ABORTED, 11 OUT_OF_RANGE, 12 UNIMPLEMENTED,\n"
    "13 INTERNAL, 14 UNAVAILABLE, 15 DATA_LOSS, 16 UNAUTHENTICATED, and 17 for\n"
    "UNKNOWN (gRPC's 2).\n";

const std::vector<CommandHelp>& SessionCommands() {
  static const std::vector<CommandHelp> commands = {
    {"get", "get PATH", "print the attribute at PATH", "", "orbctl get title"},
    {"set", "set PATH VALUE", "set the attribute at PATH to VALUE", "Prints nothing.",
     "orbctl --token=alice-demo-token set title 'My blog'"},
    {"del", "del PATH", "delete the attribute at PATH", "Prints nothing.",
     "orbctl --token=alice-demo-token del settings.banner"},
    {"call", "call PATH [ARG...] [NAME=ARG...]", "call the method at PATH, print its result",
     "NAME=ARG (NAME an identifier) is a keyword argument, any other ARG a\n"
     "positional one. With --by-value (orbctl call --by-value PATH ...), a result\n"
     "that is an object is printed as a map of the attributes you may read, and\n"
     "the session keeps no handle to it.",
     "orbctl --token=bob-demo-token call add_entry title=Hello body='First post'"},
    {"describe", "describe [PATH]", "print the members of the object at PATH (default: root)",
     "Prints the type, view and members of the object, with the lock each member\n"
     "needs and whether you hold it.",
     "orbctl --token=bob-demo-token describe"},
    {"snapshot", "snapshot PATH NAME...", "print several attributes of the object at PATH at once",
     "Reads every NAME of the object at PATH ('.' for the root) in one call\n"
     "(GetAttrs) and prints 'NAME: VALUE' lines in name order (--json: one object).\n"
     "A name you may not read is left out; only when every name is does it fail.",
     "orbctl snapshot . title entry_count"},
    {"watch", "watch [--count=N] PATH NAME...",
     "print attributes of the object at PATH, then each change",
     "Watches every NAME of the object at PATH ('.' for the root) and prints one line\n"
     "per event: first the value of every NAME you may read, then the new values of\n"
     "those that changed ('NAME: VALUE, ...', values as get prints them; --json: one\n"
     "object per line, {\"initial\":..,\"values\":{..},\"dropped\":[..]}). Runs until\n"
     "N events were printed (--count=N, exit 0), the watch ends (its error and exit\n"
     "code, e.g. 5 NOT_FOUND when the session or the handle goes), or Ctrl-C (130).",
     "orbctl watch --count=1 . title entry_count"},
    {"whoami", "whoami", "print who the broker says you are, and your principals", "",
     "orbctl --token=bob-demo-token whoami"},
    {"batch", "batch FILE.json", "run several operations in one round trip, print the answers",
     "FILE.json ('-' reads standard input) is an orb.v1.BatchRequest in JSON, as in\n"
     "docs/protocol.md, without its session: an operation with neither \"handle\" nor\n"
     "\"target\" acts on the root, and \"target\": {\"result\": N} on what operation N\n"
     "returned. Prints the orb.v1.BatchResponse as JSON (one result per operation,\n"
     "each its answer or its error). Exits 0 when every operation succeeded, else\n"
     "with the code of the first that failed (see below).",
     "orbctl --token=bob-demo-token batch examples/client/add-and-read.batch.json"},
  };
  return commands;
}

const CommandHelp* FindCommand(absl::string_view name) {
  for (const auto& c : SessionCommands()) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

std::string HelpParagraph(const CommandHelp& help) {
  return absl::StrCat(std::string(1, std::toupper(static_cast<unsigned char>(help.summary[0]))),
                      help.summary + 1, ".", help.text[0] == '\0' ? "" : "\n", help.text);
}

size_t KeywordValueStart(absl::string_view arg) {
  const size_t eq = arg.find('=');
  if (eq == absl::string_view::npos || eq == 0) return 0;
  const absl::string_view name = arg.substr(0, eq);
  if (!(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) return 0;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return 0;
  }
  return eq + 1;
}

int Usage(const Globals& g, const std::string& message) {
  std::fprintf(stderr, "orbctl: %s\n", message.c_str());
  if (!g.usage_hint.empty()) std::fprintf(stderr, "%s\n", g.usage_hint.c_str());
  return kUsageExit;
}

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

}  // namespace

int ExitCode(const absl::Status& status) {
  if (status.ok()) return 0;
  int code = static_cast<int>(status.code());
  return code == static_cast<int>(absl::StatusCode::kUnknown) ? kUnknownExit : code;
}

namespace {

// orbctl's words for a transport hint (the C++ client's name ClientOptions
// fields; orbctl's name its own options).
const char* Advice(TransportHint::Kind kind) {
  switch (kind) {
    case TransportHint::Kind::kServerMayExpectTls:
      return "the broker may expect TLS: pass --tls-ca=FILE, the CA that signed its certificate";
    case TransportHint::Kind::kServerMayNotSpeakTls:
      return "the broker may be serving plaintext: drop --tls-ca, --tls-cert and --tls-key";
    case TransportHint::Kind::kServerMayWantClientCertificate:
      return "the broker may require a client certificate: pass --tls-cert=FILE and "
             "--tls-key=FILE";
  }
  return "";
}

// What Fail reports, without the leading "orbctl: " or {"error": wrapper.
std::string ErrorReport(const absl::Status& status, bool json) {
  std::optional<ErrorInfo> info = ErrorInfoOf(status);
  const std::string code_name = absl::StatusCodeToString(status.code());
  std::string message(status.message());
  std::string advice;
  if (std::optional<TransportHint> hint = TransportHintOf(status)) {
    advice = Advice(hint->kind);
    message = json ? hint->transport_message
                   : absl::StrCat(hint->transport_message, " (", advice, ")");
  }
  if (json) {
    std::string out = absl::StrCat("{\"code\":", static_cast<int>(status.code()),
                                   ",\"status\":", base::JsonQuote(code_name),
                                   ",\"message\":", base::JsonQuote(message));
    if (!advice.empty()) absl::StrAppend(&out, ",\"hint\":", base::JsonQuote(advice));
    if (info.has_value()) {
      absl::StrAppend(&out, ",\"reason\":", base::JsonQuote(info->reason),
                      ",\"gate\":", base::JsonQuote(info->gate));
      if (!info->method_error_type.empty()) {
        absl::StrAppend(&out, ",\"method_error_type\":", base::JsonQuote(info->method_error_type));
      }
    }
    return absl::StrCat(out, "}");
  }
  std::string detail;
  if (info.has_value()) {
    detail = absl::StrCat(" [", info->reason, ", gate ", info->gate,
                          info->method_error_type.empty() ? "" : ", type ",
                          info->method_error_type, "]");
  }
  return absl::StrCat(code_name, ": ", message, detail);
}

}  // namespace

std::string ErrorText(const absl::Status& status) { return ErrorReport(status, false); }
std::string ErrorJson(const absl::Status& status) { return ErrorReport(status, true); }

int Fail(const Globals& g, const absl::Status& status) {
  if (g.json) {
    std::printf("{\"error\":%s}\n", ErrorJson(status).c_str());
  } else {
    std::fprintf(stderr, "orbctl: %s\n", ErrorText(status).c_str());
  }
  return ExitCode(status);
}

namespace {

// Splits "a.b.c"; an empty path is the root.
absl::StatusOr<std::vector<std::string>> SplitPath(absl::string_view path) {
  std::vector<std::string> segments;
  if (path.empty()) return segments;
  for (absl::string_view s : absl::StrSplit(path, '.')) {
    if (s.empty()) return absl::InvalidArgumentError(absl::StrCat("bad path '", path, "'"));
    segments.emplace_back(s);
  }
  return segments;
}

// Walks getattr over `segments` from `from`; each step must give a handle.
absl::StatusOr<Ref> Walk(Ref from, const std::vector<std::string>& segments) {
  std::string walked;
  for (const auto& name : segments) {
    absl::StatusOr<Value> next = from.Get(name);
    if (!next.ok()) return next.status();
    walked = walked.empty() ? name : absl::StrCat(walked, ".", name);
    const Ref* ref = next->ref_if();
    if (ref == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", walked, "' is a ", Value::KindName(next->kind()), ", not an object"));
    }
    from = *ref;
  }
  return from;
}

void PrintValue(const Globals& g, const Invocation& inv, const Value& v) {
  std::printf("%s\n", g.json ? ToJson(v, inv.namer).c_str() : ToHuman(v, inv.namer).c_str());
}

// An argument's value: the handle standing for it, else ParseArgument's.
Value ArgumentValue(const Invocation& inv, size_t index, absl::string_view text) {
  auto it = inv.handle_args.find(index);
  if (it != inv.handle_args.end()) return Value(it->second);
  return ParseArgument(text);
}

void PrintDescription(const Globals& g, const Description& d) {
  if (g.json) {
    std::string out = absl::StrCat(
        "{\"type_name\":", base::JsonQuote(d.type_name), ",\"is_class\":", d.is_class ? "true" : "false",
        ",\"view\":", base::JsonQuote(d.view), ",\"restricted\":", d.restricted ? "true" : "false",
        ",\"members\":[");
    const char* sep = "";
    for (const auto& m : d.members) {
      absl::StrAppend(&out, sep, "{\"op\":", base::JsonQuote(m.op), ",\"name\":", base::JsonQuote(m.name),
                      ",\"lock\":", base::JsonQuote(m.lock),
                      ",\"allowed\":", m.allowed ? "true" : "false", "}");
      sep = ",";
    }
    absl::StrAppend(&out, "],\"olp\":[");
    sep = "";
    for (const auto& e : d.olp) {
      absl::StrAppend(&out, sep, "{\"view\":", base::JsonQuote(e.view), ",\"op\":", base::JsonQuote(e.op),
                      ",\"name\":", base::JsonQuote(e.name), ",\"lock\":", base::JsonQuote(e.lock), "}");
      sep = ",";
    }
    std::printf("%s]}\n", out.c_str());
    return;
  }
  std::printf("%s (%s view%s)\n", d.type_name.c_str(), d.view.c_str(),
              d.restricted ? ", restricted" : "");
  for (const auto& m : d.members) {
    std::printf("  %-8s %-20s %-20s %s\n", m.op.c_str(), m.name.c_str(), m.lock.c_str(),
                m.allowed ? "allowed" : "denied");
  }
}

// orbctl batch FILE: prints the answer. Fails when the batch could not run
// or an operation of it failed (the first failed operation's code; its
// error is in the answer, and plain output also names it on stderr).
Outcome RunBatchFile(const Globals& g, const Session& session, const std::string& file) {
  std::string text, error;
  if (file == "-") {
    std::ostringstream in;
    in << std::cin.rdbuf();
    text = in.str();
  } else if (!ReadFile(file, &text, &error)) {
    return {Usage(g, error), absl::InvalidArgumentError(error)};
  }
  absl::StatusOr<std::string> answer = session.RunBatchJson(text);
  if (!answer.ok()) return {Fail(g, answer.status()), answer.status()};
  std::printf("%s\n", answer->c_str());
  v1::BatchResponse response;
  if (!google::protobuf::util::JsonStringToMessage(*answer, &response).ok()) {
    const absl::Status unreadable = absl::InternalError("the batch answer does not read back");
    return {Fail(g, unreadable), unreadable};
  }
  for (int i = 0; i < response.results_size(); ++i) {
    const v1::BatchResult& r = response.results(i);
    if (!r.has_error()) continue;
    const absl::Status failed(static_cast<absl::StatusCode>(r.error().code()),
                              r.error().message());
    if (!g.json) {
      std::fprintf(stderr, "orbctl: operation %d failed: %s: %s\n", i,
                   r.error().code_name().c_str(), r.error().message().c_str());
    }
    return {ExitCode(failed), failed};
  }
  return {};
}

// Runs one remote command but batch. Returns the status of the command;
// prints its result on success.
absl::Status Run(const Globals& g, const Session& session, const Invocation& inv) {
  const std::string& command = inv.command;
  const std::vector<std::string>& args = inv.args;
  const Ref root = inv.start ? inv.start : session.root();
  if (command == "whoami") {
    if (g.json) {
      std::vector<std::string> quoted;
      for (const auto& p : session.principals()) quoted.push_back(base::JsonQuote(p));
      std::printf("{\"userid\":%s,\"principals\":[%s]}\n",
                  session.userid().empty() ? "null" : base::JsonQuote(session.userid()).c_str(),
                  absl::StrJoin(quoted, ",").c_str());
    } else {
      std::printf("%s (%s)\n", session.userid().empty() ? "anonymous" : session.userid().c_str(),
                  absl::StrJoin(session.principals(), ", ").c_str());
    }
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<std::string>> path =
      SplitPath(args.empty() || args[0] == "." ? "" : args[0]);
  if (!path.ok()) return path.status();
  if (command == "describe") {
    absl::StatusOr<Ref> target = Walk(root, *path);
    if (!target.ok()) return target.status();
    absl::StatusOr<Description> d = target->Describe();
    if (!d.ok()) return d.status();
    PrintDescription(g, *d);
    return absl::OkStatus();
  }
  if (command == "snapshot") {
    absl::StatusOr<Ref> target = Walk(root, *path);
    if (!target.ok()) return target.status();
    absl::StatusOr<std::map<std::string, Value>> values =
        target->GetMany(std::vector<std::string>(args.begin() + 1, args.end()));
    if (!values.ok()) return values.status();
    if (g.json) {
      std::vector<std::string> fields;
      for (const auto& [name, value] : *values) {
        fields.push_back(absl::StrCat(base::JsonQuote(name), ":", ToJson(value, inv.namer)));
      }
      std::printf("{%s}\n", absl::StrJoin(fields, ",").c_str());
    } else {
      for (const auto& [name, value] : *values) {
        std::printf("%s: %s\n", name.c_str(), ToHuman(value, inv.namer).c_str());
      }
    }
    return absl::OkStatus();
  }
  // get/set/del/call act on the last segment of the object before it.
  std::string last = path->back();
  path->pop_back();
  absl::StatusOr<Ref> target = Walk(root, *path);
  if (!target.ok()) return target.status();
  if (command == "get") {
    absl::StatusOr<Value> v = target->Get(last);
    if (!v.ok()) return v.status();
    PrintValue(g, inv, *v);
    return absl::OkStatus();
  }
  if (command == "set") return target->Set(last, ArgumentValue(inv, 1, args[1]));
  if (command == "del") return target->Del(last);
  // call
  std::vector<Value> positional;
  std::map<std::string, Value> kwargs;
  for (size_t i = 1; i < args.size(); ++i) {
    if (const size_t value = KeywordValueStart(args[i]); value != 0) {
      kwargs.insert_or_assign(args[i].substr(0, value - 1),
                              ArgumentValue(inv, i, absl::string_view(args[i]).substr(value)));
    } else {
      positional.push_back(ArgumentValue(inv, i, args[i]));
    }
  }
  absl::StatusOr<Value> result =
      g.by_value ? target->CallByValue(last, std::move(positional), std::move(kwargs))
                 : target->Call(last, std::move(positional), std::move(kwargs));
  if (!result.ok()) return result.status();
  PrintValue(g, inv, *result);
  return absl::OkStatus();
}

void PrintHelp(FILE* out) {
  std::fputs(
      "usage: orbctl [OPTIONS] <command> [args]\n"
      "\n"
      "Remote commands (each opens a session, acts, and closes it):\n",
      out);
  for (const auto& c : SessionCommands()) {
    std::fprintf(out, "  %-34s%s\n", c.synopsis, c.summary);
  }
  std::fputs(
      "\n"
      "Interactive:\n"
      "  shell                             run many commands in one session, from a\n"
      "                                    terminal or a script on stdin; handles\n"
      "                                    returned are named $1, $2, ...\n"
      "\n"
      "Admin (no session; each needs its permission in the policy's admin ACL):\n"
      "  admin sessions [USERID]           list the live sessions, by reference\n"
      "  admin close REF                   close a session by its reference\n"
      "  admin policy                      show the running policy (and shadow)\n"
      "  admin reload                      reload the policy file\n"
      "  admin policy-status [--targets=HOST:PORT,...]\n"
      "                                    compare the policy several brokers run\n"
      "\n"
      "Offline policy tools:\n"
      "  policy check FILE                 validate a policy file (exit 0 OK, 1 errors)\n"
      "  policy eval-cases --in F --out G  evaluate a Pyramid ACL case file\n"
      "  policy mint-ticket ...            create a signed, expiring ticket\n"
      "  policy hash-token [TOKEN]         print the SHA-256 a policy stores for a token\n"
      "\n"
      "Run 'orbctl <command> --help' for a command, 'orbctl policy <command> --help'\n"
      "for a policy tool.\n\n",
      out);
  std::fputs(kGlobalHelp, out);
}

// gRPC writes its own ERROR lines to stderr (a failed TLS handshake, an
// unreadable root certificate) beside the error orbctl reports for the
// same failure; the status orbctl prints already says what went wrong.
void DropGrpcLog(gpr_log_func_args*) {}

// orbctl admin ...: the admin service (admin_commands.h); no session.
int AdminMain(const Globals& g, const std::vector<std::string>& positional) {
  const std::vector<std::string> args(positional.begin() + 1, positional.end());
  if (g.help) {
    std::printf("usage: orbctl [OPTIONS] %s\n\n%s\n\nExample:\n  orbctl "
                "--token=alice-demo-token admin sessions\n\n%s",
                kAdminSynopsis, kAdminHelp, kGlobalHelp);
    return 0;
  }
  if (std::string problem = AdminUsageError(args); !problem.empty()) return Usage(g, problem);
  if (args[0] == "policy-status") return PolicyStatusMain(g);
  absl::StatusOr<Client> client = Client::Connect(g.options);
  if (!client.ok()) return Usage(g, std::string(client.status().message()));
  absl::Status status = RunAdmin(*client, g.json, args);
  if (!status.ok()) return Fail(g, status);
  return 0;
}

}  // namespace

Globals DefaultGlobals() {
  Globals g;
  g.options.target = Env("ORB_TARGET").empty() ? "127.0.0.1:50051" : Env("ORB_TARGET");
  g.options.token = Env("ORB_TOKEN");
  g.options.ticket = Env("ORB_TICKET");
  g.options.client_name = "orbctl";
  // Releases go out with the next operation or on close; no background
  // thread is needed.
  g.options.release_delay = absl::ZeroDuration();
  return g;
}

std::string ParseGlobalOptions(const std::vector<std::string>& args, Globals* g,
                               std::vector<size_t>* positional) {
  bool only_positional = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (only_positional) {
      positional->push_back(i);
      continue;
    }
    if (arg == "--") {
      only_positional = true;
      continue;
    }
    // A lone '-' and negative numbers ("-5") are values, not options.
    const bool option = arg.size() > 1 && arg[0] == '-' &&
                        !std::isdigit(static_cast<unsigned char>(arg[1])) && arg[1] != '.';
    if (!option) {
      positional->push_back(i);
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      g->help = true;
      continue;
    }
    if (arg == "--json") {
      g->json = true;
      continue;
    }
    if (arg == "--by-value") {
      g->by_value = true;
      continue;
    }
    std::string name = arg, value;
    bool has_value = false;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    std::string* slot = nullptr;
    if (name == "--target") slot = &g->options.target;
    if (name == "--token") slot = &g->options.token;
    if (name == "--ticket") slot = &g->options.ticket;
    if (name == "--tls-ca") slot = &g->options.tls_ca_file;
    if (name == "--tls-cert") slot = &g->options.tls_cert_file;
    if (name == "--tls-key") slot = &g->options.tls_key_file;
    if (name == "--targets") slot = &g->targets.emplace();
    if (name == "--count") slot = &g->count.emplace();
    if (slot == nullptr) return absl::StrCat("unknown option '", name, "'");
    if (!has_value) {
      if (i + 1 >= args.size()) return absl::StrCat(name, " needs a value");
      value = args[++i];
    }
    *slot = value;
  }
  // An explicit --ticket wins over a token from the environment, and the
  // reverse.
  if (!g->options.ticket.empty() && !g->options.token.empty()) {
    bool flag_ticket = false, flag_token = false;
    for (const std::string& arg : args) {
      flag_ticket |= absl::StartsWith(arg, "--ticket");
      flag_token |= absl::StartsWith(arg, "--token");
    }
    if (flag_ticket && !flag_token) g->options.token.clear();
    if (flag_token && !flag_ticket) g->options.ticket.clear();
  }
  return "";
}

std::string InvocationUsageError(const Invocation& inv, absl::string_view program) {
  const std::string& command = inv.command;
  const std::vector<std::string>& args = inv.args;
  const std::string usage = absl::StrCat("usage: ", program, FindCommand(command)->synopsis);
  size_t min_args = 0, max_args = 0;
  if (command == "get" || command == "del") min_args = max_args = 1;
  if (command == "set") min_args = max_args = 2;
  if (command == "call") min_args = 1, max_args = SIZE_MAX;
  if (command == "describe") max_args = 1;
  if (command == "batch") min_args = max_args = 1;
  if (command == "snapshot" || command == "watch") min_args = 2, max_args = SIZE_MAX;
  if (args.size() < min_args || args.size() > max_args) return usage;
  // An empty PATH is the root for describe, and the named handle itself
  // for describe and snapshot in the shell.
  const bool names_follow = command == "snapshot" || command == "watch";
  const bool object_itself = command == "describe" || (inv.start && names_follow);
  if (!args.empty() && command != "batch" && args[0].empty() && !object_itself) return usage;
  if (!args.empty() && command != "batch" && !(names_follow && args[0] == ".") &&
      !SplitPath(args[0]).ok()) {
    return absl::StrCat("bad path '", args[0], "': use dotted names, e.g. title or a.b");
  }
  return "";
}

namespace {

// orbctl watch PATH NAME...: walks PATH, then watch_command.h.
Outcome RunWatchCommand(const Globals& g, const Session& session, const Invocation& inv) {
  const Ref root = inv.start ? inv.start : session.root();
  absl::StatusOr<std::vector<std::string>> path =
      SplitPath(inv.args[0] == "." ? "" : inv.args[0]);
  absl::StatusOr<Ref> target = path.ok() ? Walk(root, *path) : path.status();
  if (!target.ok()) return {Fail(g, target.status()), target.status()};
  return RunWatch(g, *target, std::vector<std::string>(inv.args.begin() + 1, inv.args.end()),
                  inv.namer);
}

}  // namespace

Outcome RunInvocation(const Globals& g, const Session& session, const Invocation& inv) {
  if (inv.command == "batch") return RunBatchFile(g, session, inv.args[0]);
  if (inv.command == "watch") return RunWatchCommand(g, session, inv);
  absl::Status status = Run(g, session, inv);
  if (!status.ok()) return {Fail(g, status), status};
  return {};
}

std::string CommandOptionsUsageError(const Globals& g, const std::vector<std::string>& command) {
  if (std::string problem = TargetsUsageError(g, command); !problem.empty()) return problem;
  if (std::string problem = CountUsageError(g, command); !problem.empty()) return problem;
  if (g.by_value && (command.empty() || command[0] != "call")) {
    return "--by-value is an option of 'call' only";
  }
  return "";
}

int RemoteMain(int argc, char** argv) {
  gpr_set_log_function(DropGrpcLog);
  Globals g = DefaultGlobals();
  const std::vector<std::string> words(argv + 1, argv + argc);
  std::vector<size_t> indices;
  if (std::string problem = ParseGlobalOptions(words, &g, &indices); !problem.empty()) {
    return Usage(g, problem);
  }
  std::vector<std::string> positional;
  for (size_t i : indices) positional.push_back(words[i]);

  if (positional.empty()) {
    PrintHelp(g.help ? stdout : stderr);
    return g.help ? 0 : kUsageExit;
  }
  const std::string command = positional[0];
  if (std::string problem = CommandOptionsUsageError(g, positional); !problem.empty()) {
    return Usage(g, problem);
  }
  if (command == "admin") return AdminMain(g, positional);
  if (command == "shell") {
    return ShellMain(g, std::vector<std::string>(positional.begin() + 1, positional.end()));
  }
  const CommandHelp* help = FindCommand(command);
  if (help == nullptr) return Usage(g, absl::StrCat("unknown command '", command, "'"));
  if (g.help) {
    std::printf("usage: orbctl [OPTIONS] %s\n\n%s\n\nExample:\n  %s\n\n%s", help->synopsis,
                HelpParagraph(*help).c_str(), help->example, kGlobalHelp);
    return 0;
  }
  Invocation inv;
  inv.command = command;
  inv.args.assign(positional.begin() + 1, positional.end());
  if (std::string problem = InvocationUsageError(inv, "orbctl "); !problem.empty()) {
    return Usage(g, problem);
  }

  absl::StatusOr<Client> client = Client::Connect(g.options);
  if (!client.ok()) return Usage(g, std::string(client.status().message()));
  absl::StatusOr<Session> session = client->OpenSession();
  if (!session.ok()) return Fail(g, session.status());
  return RunInvocation(g, *session, inv).exit_code;
}

}  // namespace orb::orbctl
