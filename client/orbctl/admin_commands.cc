#include "client/orbctl/admin_commands.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/json_escape.h"
#include "google/protobuf/util/json_util.h"
#include "orb/client/admin.h"

namespace orb::orbctl {

const char kAdminSynopsis[] =
    "admin sessions [USERID] | close REF | policy | reload | policy-status";
const char kAdminHelp[] =
    "The broker's admin service; each needs its permission in the policy's admin ACL.\n"
    "  admin sessions [USERID]  the live sessions, oldest first (of USERID only):\n"
    "                           REF, user, authentication, client, opened, last call,\n"
    "                           seconds of lease left, handles (sessions.view)\n"
    "  admin close REF          close the session whose reference is REF, whoever\n"
    "                           owns it: its handles are released and its owner's\n"
    "                           next call is NOT_FOUND (sessions.close)\n"
    "  admin policy             the running policy: file, revision, SHA-256, load\n"
    "                           time, reloads, the last failed reload (policy.view)\n"
    "  admin reload             reload the policy file, as SIGHUP does (policy.reload)\n"
    "  admin policy-status [--targets=HOST:PORT,...]\n"
    "                           the policy of each broker of --targets (default: the\n"
    "                           one --target), side by side: revision, SHA-256 (12\n"
    "                           digits), file, last failed reload; then \"policies\n"
    "                           agree\" or \"policies differ: ...\" (policy.view on\n"
    "                           each). The brokers are asked at once, each under\n"
    "                           orbctl's deadline (30 s), with the same credentials\n"
    "                           and TLS options. Exit 0: all answered, same revision\n"
    "                           and SHA-256, no failed reload; 1: they differ or a\n"
    "                           reload failed; else the gRPC code of the first broker\n"
    "                           that did not answer (14 when unreachable).\n"
    "REF is a session's reference: 12 hex digits, as `admin sessions` and the audit\n"
    "log's \"session\" field show it. With --json each prints its answer as JSON\n"
    "(policy-status: {\"targets\":[{\"target\":..,\"policy\":{..}} or\n"
    "{\"target\":..,\"error\":{..}}],\"agree\":..,\"differences\":[..]}).";

namespace {

std::string Json(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(message, &out, options).ok()) return "{}";
  return out;
}

std::string Shown(const std::string& s) { return s.empty() ? "-" : s; }

void PrintSessions(const v1::ListSessionsResponse& list) {
  std::printf("%-12s  %-16s  %-9s  %-16s  %-20s  %-20s  %9s  %7s\n", "REF", "USER", "AUTHN",
              "CLIENT", "OPENED", "LAST CALL", "LEASE (s)", "HANDLES");
  for (const v1::SessionInfo& s : list.sessions()) {
    std::printf("%-12s  %-16s  %-9s  %-16s  %-20s  %-20s  %9lld  %7llu\n", s.ref().c_str(),
                Shown(s.userid()).c_str(), s.authn().c_str(), Shown(s.client_name()).c_str(),
                s.opened_at().c_str(), s.last_activity_at().c_str(),
                static_cast<long long>(s.lease_left_ms() / 1000),
                static_cast<unsigned long long>(s.handle_count()));
  }
  if (list.total() > static_cast<uint64_t>(list.sessions_size())) {
    std::printf("(%llu more not shown)\n",
                static_cast<unsigned long long>(list.total() - list.sessions_size()));
  }
}

void PrintPolicy(const v1::PolicyInfo& info) {
  std::printf("file: %s\nrevision: %llu\nsha256: %s\nloaded_at: %s\nreloads: %llu\n",
              info.file().c_str(), static_cast<unsigned long long>(info.revision()),
              info.sha256().c_str(), info.loaded_at().c_str(),
              static_cast<unsigned long long>(info.reloads()));
  if (!info.shadow_file().empty()) {
    std::printf("shadow_file: %s\nshadow_revision: %llu\nshadow_sha256: %s\n",
                info.shadow_file().c_str(), static_cast<unsigned long long>(info.shadow_revision()),
                info.shadow_sha256().c_str());
  }
  if (!info.last_error().empty()) {
    std::printf("last_error_at: %s\nlast_error: %s\n", info.last_error_at().c_str(),
                info.last_error().c_str());
  }
}

// Prints `answer` (JSON with `json`, else as `text` does) or returns its error.
template <typename Message, typename Text>
absl::Status Print(const absl::StatusOr<Message>& answer, bool json, Text text) {
  if (!answer.ok()) return answer.status();
  if (json) {
    std::printf("%s\n", Json(*answer).c_str());
  } else {
    text(*answer);
  }
  return absl::OkStatus();
}

}  // namespace

std::string AdminUsageError(const std::vector<std::string>& args) {
  if (args.empty()) {
    return "admin needs a command: sessions, close, policy, reload or policy-status";
  }
  const std::string& sub = args[0];
  if (sub == "sessions") return args.size() <= 2 ? "" : "usage: orbctl admin sessions [USERID]";
  if (sub == "close") return args.size() == 2 ? "" : "usage: orbctl admin close REF";
  if (sub == "policy" || sub == "reload") {
    return args.size() == 1 ? "" : absl::StrCat("usage: orbctl admin ", sub);
  }
  if (sub == "policy-status") {
    return args.size() == 1 ? ""
                            : "usage: orbctl admin policy-status [--targets=HOST:PORT,...]";
  }
  return absl::StrCat("unknown admin command '", sub,
                      "' (known: sessions, close, policy, reload, policy-status)");
}

absl::Status RunAdmin(const client::Client& client, bool json,
                      const std::vector<std::string>& args) {
  const client::Admin admin(client);
  const std::string& sub = args[0];
  if (sub == "sessions") {
    v1::ListSessionsRequest request;
    if (args.size() == 2) request.set_userid(args[1]);
    return Print(admin.ListSessions(request), json, PrintSessions);
  }
  if (sub == "close") {
    return Print(admin.CloseSession(args[1]), json, [](const v1::AdminCloseSessionResponse& r) {
      std::printf("closed session %s of %s (handles released: %llu)\n", r.session().ref().c_str(),
                  r.session().userid().empty() ? "anonymous" : r.session().userid().c_str(),
                  static_cast<unsigned long long>(r.released_handles()));
    });
  }
  if (sub == "policy") return Print(admin.GetPolicyInfo(), json, PrintPolicy);
  return Print(admin.ReloadPolicy(), json, [](const v1::ReloadPolicyResponse& r) {
    std::printf("reloaded: revision %llu (was %llu)%s\n",
                static_cast<unsigned long long>(r.info().revision()),
                static_cast<unsigned long long>(r.previous_revision()),
                r.text_changed() ? "" : ", text unchanged");
  });
}

namespace {

// "HOST:PORT" with HOST a name, an IPv4 address or a bracketed IPv6 one.
bool IsHostPort(absl::string_view target) {
  const size_t colon = target.rfind(':');
  if (colon == absl::string_view::npos) return false;
  const absl::string_view host = target.substr(0, colon);
  const absl::string_view port = target.substr(colon + 1);
  int number = 0;
  if (port.empty() || port.size() > 5 || !absl::c_all_of(port, absl::ascii_isdigit) ||
      !absl::SimpleAtoi(port, &number) || number < 1 || number > 65535) {
    return false;
  }
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    return absl::c_all_of(host.substr(1, host.size() - 2), [](char c) {
      return absl::ascii_isxdigit(c) || c == ':' || c == '.' || c == '%';
    });
  }
  return !host.empty() && absl::c_all_of(host, [](char c) {
    return absl::ascii_isalnum(c) || c == '.' || c == '-' || c == '_';
  });
}

// One broker's row: its PolicyInfo, or why it gave none.
struct PolicyRow {
  std::string target;
  absl::StatusOr<v1::PolicyInfo> info;
};

// `text` on one line: line breaks (a reload error lists one problem a
// line) become "; ".
std::string OneLine(absl::string_view text) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n', absl::SkipWhitespace());
  for (absl::string_view& line : lines) line = absl::StripAsciiWhitespace(line);
  return absl::StrJoin(lines, "; ");
}

// "NAME (VALUE on A, B; VALUE on C)": the rows that answered, grouped by
// key(info) in order of first appearance, each group shown by show(info);
// "" when all have the same key.
template <typename Key, typename Show>
std::string Groups(absl::string_view name, const std::vector<PolicyRow>& rows, Key key,
                   Show show) {
  struct Group {
    std::string key, shown;
    std::vector<std::string> targets;
  };
  std::vector<Group> groups;
  for (const PolicyRow& row : rows) {
    if (!row.info.ok()) continue;
    const std::string k = key(*row.info);
    auto it = absl::c_find_if(groups, [&](const Group& g) { return g.key == k; });
    if (it == groups.end()) {
      groups.push_back({k, show(*row.info), {row.target}});
    } else {
      it->targets.push_back(row.target);
    }
  }
  if (groups.size() < 2) return "";
  std::vector<std::string> parts;
  for (const Group& g : groups) {
    parts.push_back(absl::StrCat(g.shown, " on ", absl::StrJoin(g.targets, ", ")));
  }
  return absl::StrCat(name, " (", absl::StrJoin(parts, "; "), ")");
}

std::string Revision(const v1::PolicyInfo& info) { return absl::StrCat(info.revision()); }
std::string Sha256(const v1::PolicyInfo& info) { return info.sha256(); }
// The start of the SHA-256, as the table shows it.
std::string ShortSha256(const v1::PolicyInfo& info) { return info.sha256().substr(0, 12); }

// What keeps the rows from agreeing, one phrase each; empty when they agree.
std::vector<std::string> Differences(const std::vector<PolicyRow>& rows) {
  std::vector<std::string> out;
  for (std::string differ : {Groups("revision", rows, Revision, Revision),
                             Groups("sha256", rows, Sha256, ShortSha256)}) {
    if (!differ.empty()) out.push_back(std::move(differ));
  }
  for (const PolicyRow& row : rows) {
    if (row.info.ok() && !row.info->last_error().empty()) {
      out.push_back(absl::StrCat("last reload failed on ", row.target));
    }
  }
  for (const PolicyRow& row : rows) {
    if (!row.info.ok()) {
      out.push_back(absl::StrCat("no answer from ", row.target, " (",
                                 absl::StatusCodeToString(row.info.status().code()), ")"));
    }
  }
  return out;
}

void PrintTable(const std::vector<PolicyRow>& rows) {
  size_t target_width = 6, revision_width = 8, file_width = 4;
  for (const PolicyRow& row : rows) {
    target_width = std::max(target_width, row.target.size());
    if (!row.info.ok()) continue;
    revision_width = std::max(revision_width, absl::StrCat(row.info->revision()).size());
    file_width = std::max(file_width, row.info->file().size());
  }
  const int t = static_cast<int>(target_width), r = static_cast<int>(revision_width),
            f = static_cast<int>(file_width);
  std::printf("%-*s  %-*s  %-12s  %-*s  %s\n", t, "TARGET", r, "REVISION", "SHA256", f, "FILE",
              "LAST RELOAD ERROR");
  for (const PolicyRow& row : rows) {
    if (!row.info.ok()) {
      std::printf("%-*s  error: %s\n", t, row.target.c_str(),
                  OneLine(ErrorText(row.info.status())).c_str());
      continue;
    }
    const v1::PolicyInfo& info = *row.info;
    std::printf("%-*s  %-*llu  %-12s  %-*s  %s\n", t, row.target.c_str(), r,
                static_cast<unsigned long long>(info.revision()),
                ShortSha256(info).c_str(), f, Shown(info.file()).c_str(),
                info.last_error().empty() ? "-" : OneLine(info.last_error()).c_str());
  }
}

void PrintJson(const std::vector<PolicyRow>& rows, const std::vector<std::string>& differences) {
  std::vector<std::string> targets, quoted;
  for (const PolicyRow& row : rows) {
    targets.push_back(absl::StrCat("{\"target\":", base::JsonQuote(row.target),
                                   row.info.ok() ? ",\"policy\":" : ",\"error\":",
                                   row.info.ok() ? Json(*row.info) : ErrorJson(row.info.status()),
                                   "}"));
  }
  for (const std::string& d : differences) quoted.push_back(base::JsonQuote(d));
  std::printf("{\"targets\":[%s],\"agree\":%s,\"differences\":[%s]}\n",
              absl::StrJoin(targets, ",").c_str(), differences.empty() ? "true" : "false",
              absl::StrJoin(quoted, ",").c_str());
}

}  // namespace

std::string TargetsUsageError(const Globals& g, const std::vector<std::string>& command) {
  if (!g.targets.has_value()) return "";
  if (command.size() >= 2 && command[0] == "admin" && command[1] == "policy-status") return "";
  return "--targets is an option of 'admin policy-status' only (other commands take --target)";
}

std::vector<std::string> ParseTargets(const std::string& list, std::string* problem) {
  std::vector<std::string> targets;
  size_t n = 0;
  for (absl::string_view element : absl::StrSplit(list, ',')) {
    ++n;
    if (element.empty()) {
      *problem = absl::StrCat("bad --targets '", list, "': element ", n,
                              " is empty (write HOST:PORT,HOST:PORT,...)");
      return {};
    }
    if (!IsHostPort(element)) {
      *problem = absl::StrCat("bad --targets: '", element,
                              "' is not HOST:PORT (a name or address, and a port 1-65535)");
      return {};
    }
    targets.emplace_back(element);
  }
  return targets;
}

int PolicyStatusMain(const Globals& g) {
  std::vector<std::string> targets;
  if (g.targets.has_value()) {
    std::string problem;
    targets = ParseTargets(*g.targets, &problem);
    if (!problem.empty()) return Usage(g, problem);
  } else {
    targets.push_back(g.options.target);
  }
  // Every client first: an unusable option (an unreadable TLS file, a token
  // and a ticket) is the same for every broker, and nothing is sent.
  std::vector<client::Client> clients;
  for (const std::string& target : targets) {
    client::ClientOptions options = g.options;
    options.target = target;
    absl::StatusOr<client::Client> connected = client::Client::Connect(options);
    if (!connected.ok()) return Usage(g, std::string(connected.status().message()));
    clients.push_back(*std::move(connected));
  }
  std::vector<PolicyRow> rows(targets.size());
  {
    std::vector<std::thread> asking;
    for (size_t i = 0; i < targets.size(); ++i) {
      rows[i].target = targets[i];
      asking.emplace_back([&rows, &clients, i] {
        rows[i].info = client::Admin(clients[i]).GetPolicyInfo();
      });
    }
    for (std::thread& t : asking) t.join();
  }
  const std::vector<std::string> differences = Differences(rows);
  if (g.json) {
    PrintJson(rows, differences);
  } else {
    PrintTable(rows);
    if (differences.empty()) {
      std::printf("policies agree\n");
    } else {
      std::printf("policies differ: %s\n", absl::StrJoin(differences, ", ").c_str());
    }
  }
  for (const PolicyRow& row : rows) {
    if (!row.info.ok()) return ExitCode(row.info.status());
  }
  return differences.empty() ? 0 : kPolicyStatusDifferExit;
}

}  // namespace orb::orbctl
