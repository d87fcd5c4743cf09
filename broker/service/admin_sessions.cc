// BrokerAdmin's session RPCs: ListSessions and CloseSession (admin.proto).
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "broker/service/admin_service.h"
#include "broker/service/status_convert.h"
#include "orb/broker/errors.h"

namespace orb::broker {
namespace {

constexpr uint32_t kDefaultListLimit = 1000;
constexpr size_t kRefHexDigits = 12;  // RedactId's length

void ToProto(const SessionSummary& s, v1::SessionInfo* out) {
  out->set_ref(s.ref);
  out->set_userid(s.userid);
  out->set_authn(s.authn);
  out->set_client_name(s.client_name);
  out->set_opened_at(Rfc3339(s.opened));
  out->set_opened_at_unix_seconds(absl::ToUnixSeconds(s.opened));
  out->set_last_activity_at(Rfc3339(s.last_activity));
  out->set_last_activity_at_unix_seconds(absl::ToUnixSeconds(s.last_activity));
  out->set_lease_left_ms(absl::ToInt64Milliseconds(s.lease_left));
  out->set_handle_count(s.handles);
}

absl::Status CheckFilter(const v1::ListSessionsRequest& req) {
  if (req.anonymous() && !req.userid().empty()) {
    return OrbError(absl::StatusCode::kInvalidArgument,
                    "give either userid or anonymous, not both: an anonymous session has no "
                    "userid",
                    v1::MALFORMED_REQUEST, v1::GATE_ADMIN);
  }
  return absl::OkStatus();
}

bool Selected(const v1::ListSessionsRequest& req, const SessionSummary& s) {
  if (req.anonymous()) return s.userid.empty();
  return req.userid().empty() || s.userid == req.userid();
}

// The reference in its one spelling (lower-case hex), or INVALID_ARGUMENT.
absl::StatusOr<std::string> CanonicalRef(absl::string_view ref) {
  bool hex = ref.size() == kRefHexDigits;
  for (char c : ref) hex = hex && absl::ascii_isxdigit(static_cast<unsigned char>(c));
  if (!hex) {
    return OrbError(absl::StatusCode::kInvalidArgument,
                    "a session reference is 12 hex digits, as ListSessions and the audit "
                    "log's `session` field show it",
                    v1::MALFORMED_REQUEST, v1::GATE_ADMIN);
  }
  return absl::AsciiStrToLower(ref);
}

}  // namespace

absl::Status BrokerAdminService::DoListSessions(Context* context,
                                                const v1::ListSessionsRequest& request,
                                                v1::ListSessionsResponse* response) {
  policy::Identity identity;
  absl::Status status = Authorize(context, "ListSessions", kSessionsViewPermission, &identity);
  if (status.ok()) status = CheckFilter(request);
  if (!status.ok()) return status;
  const uint32_t limit = request.limit() == 0 ? kDefaultListLimit : request.limit();
  uint64_t total = 0;
  for (const SessionSummary& s : core_->ListSessions()) {
    if (!Selected(request, s)) continue;
    if (total++ < limit) ToProto(s, response->add_sessions());
  }
  response->set_total(total);
  return absl::OkStatus();
}

absl::Status BrokerAdminService::DoCloseSession(Context* context,
                                                const v1::AdminCloseSessionRequest& request,
                                                v1::AdminCloseSessionResponse* response) {
  absl::StatusOr<std::string> ref = CanonicalRef(request.ref());
  policy::Identity identity;
  // The record names the session only when the reference is well formed:
  // free text from the caller is not written as a reference.
  absl::Status status = Authorize(context, "CloseSession", kSessionsClosePermission, &identity,
                                  ref.ok() ? absl::string_view(*ref) : absl::string_view());
  if (status.ok()) status = ref.status();
  if (!status.ok()) return status;
  absl::StatusOr<BrokerCore::RevokedSession> revoked = core_->RevokeSession(*ref, identity);
  if (!revoked.ok()) return revoked.status();
  ToProto(revoked->session, response->mutable_session());
  response->set_released_handles(revoked->released_handles);
  return absl::OkStatus();
}

}  // namespace orb::broker
