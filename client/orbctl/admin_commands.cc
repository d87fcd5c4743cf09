#include "client/orbctl/admin_commands.h"

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/json_util.h"
#include "orb/client/admin.h"

namespace orb::orbctl {

const char kAdminSynopsis[] = "admin sessions [USERID] | close REF | policy | reload";
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
    "REF is a session's reference: 12 hex digits, as `admin sessions` and the audit\n"
    "log's \"session\" field show it. With --json each prints its answer as JSON.";

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
  if (args.empty()) return "admin needs a command: sessions, close, policy or reload";
  const std::string& sub = args[0];
  if (sub == "sessions") return args.size() <= 2 ? "" : "usage: orbctl admin sessions [USERID]";
  if (sub == "close") return args.size() == 2 ? "" : "usage: orbctl admin close REF";
  if (sub == "policy" || sub == "reload") {
    return args.size() == 1 ? "" : absl::StrCat("usage: orbctl admin ", sub);
  }
  return absl::StrCat("unknown admin command '", sub,
                      "' (known: sessions, close, policy, reload)");
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

}  // namespace orb::orbctl
