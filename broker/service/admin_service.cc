#include "broker/service/admin_service.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "broker/core_counters.h"
#include "orb/broker/errors.h"
#include "broker/service/credentials.h"
#include "broker/service/request_parser.h"
#include "broker/service/status_convert.h"

namespace orb::broker {

std::string Rfc3339(absl::Time t) {
  if (t == absl::Time()) return std::string();
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

namespace {

void ToProto(const PolicyInfo& info, v1::PolicyInfo* out) {
  out->set_file(info.file);
  out->set_revision(info.revision);
  out->set_sha256(info.sha256);
  out->set_loaded_at(Rfc3339(info.loaded_at));
  out->set_loaded_at_unix_seconds(absl::ToUnixSeconds(info.loaded_at));
  out->set_reloads(info.reloads);
  out->set_last_error_at(Rfc3339(info.last_error_at));
  out->set_last_error(info.last_error);
  out->set_shadow_file(info.shadow_file);
  out->set_shadow_revision(info.shadow_revision);
  out->set_shadow_sha256(info.shadow_sha256);
}

}  // namespace

absl::Status BrokerAdminService::Authorize(grpc::CallbackServerContext* context,
                                           absl::string_view rpc, absl::string_view permission,
                                           policy::Identity* identity,
                                           absl::string_view session_ref) {
  policy::PolicyPtr policy = core_->policy();
  AuditRecord record;
  record.event = "admin";
  record.peer = context->peer();
  record.op = AuditOpName(rpc);
  record.permission = std::string(permission);
  record.session = std::string(session_ref);
  record.policy_revision = policy->revision();
  absl::StatusOr<policy::Identity> who = policy->authenticator().Authenticate(
      ExtractCredentials(*context, peer_certificates_verified_), absl::Now());
  absl::Status status;
  CoreCounters& counters = core_->counters();
  if (!who.ok()) {
    status = OrbError(absl::StatusCode::kUnauthenticated, who.status().message(),
                      v1::UNAUTHENTICATED, v1::GATE_AUTHN);
    record.decision = "unauthenticated";
    counters.Count(GateDecision::kAuthnRefused);
    counters.CountRefusal(AuthnKind::kNone, RefusalCause::kUnauthenticated);
  } else {
    record.userid = who->userid;
    record.authn = who->method;
    status = CheckAdminPermission(*policy, *who, rpc, permission, &record.reason);
    record.decision = status.ok() ? "allowed" : "denied";
    counters.Count(GateDecision::kAuthnAllowed);
    if (status.ok()) {
      counters.Count(GateDecision::kAdminAllowed);
    } else {
      counters.CountGateRefusal(GateDecision::kAdminDenied, who->method);
    }
    *identity = *std::move(who);
  }
  if (!status.ok()) {
    record.code = absl::StatusCodeToString(status.code());
    if (record.reason.empty()) record.reason = std::string(status.message());
  }
  core_->Audit(std::move(record));
  return status;
}

template <typename Request, typename Response>
grpc::ServerUnaryReactor* BrokerAdminService::Serve(
    Context* context, const Bytes* in, Bytes* out, int series,
    absl::Status (BrokerAdminService::*method)(Context*, const Request&, Response*)) {
  const CallsInFlight::Token in_flight = CallsInFlight::Enter(calls_);
  const RpcTimer timer(stats_, series);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Request request;
  Response response;
  absl::Status status = ParseRequest(*in, &request);
  if (status.ok()) status = (this->*method)(context, request, &response);
  timer.Record(static_cast<int>(status.code()));
  if (status.ok()) {
    bool own_buffer = false;
    reactor->Finish(grpc::SerializationTraits<Response>::Serialize(response, out, &own_buffer));
  } else {
    reactor->Finish(ToGrpcStatus(status));
  }
  return reactor;
}

grpc::ServerUnaryReactor* BrokerAdminService::GetPolicyInfo(Context* context, const Bytes* in,
                                                            Bytes* out) {
  return Serve(context, in, out, RpcStats::Admin(RpcStats::kAdminGetPolicyInfo),
               &BrokerAdminService::DoGetPolicyInfo);
}

grpc::ServerUnaryReactor* BrokerAdminService::ReloadPolicy(Context* context, const Bytes* in,
                                                           Bytes* out) {
  return Serve(context, in, out, RpcStats::Admin(RpcStats::kAdminReloadPolicy),
               &BrokerAdminService::DoReloadPolicy);
}

grpc::ServerUnaryReactor* BrokerAdminService::ListSessions(Context* context, const Bytes* in,
                                                           Bytes* out) {
  return Serve(context, in, out, RpcStats::Admin(RpcStats::kAdminListSessions),
               &BrokerAdminService::DoListSessions);
}

grpc::ServerUnaryReactor* BrokerAdminService::CloseSession(Context* context, const Bytes* in,
                                                           Bytes* out) {
  return Serve(context, in, out, RpcStats::Admin(RpcStats::kAdminCloseSession),
               &BrokerAdminService::DoCloseSession);
}

absl::Status BrokerAdminService::DoGetPolicyInfo(Context* context, const v1::GetPolicyInfoRequest&,
                                                 v1::PolicyInfo* response) {
  policy::Identity identity;
  absl::Status status = Authorize(context, "GetPolicyInfo", kPolicyViewPermission, &identity);
  if (!status.ok()) return status;
  if (reloader_ != nullptr) {
    ToProto(reloader_->info(), response);
  } else {
    policy::PolicyPtr policy = core_->policy();
    response->set_file(policy->file());
    response->set_revision(policy->revision());
    response->set_sha256(policy->text_sha256());
  }
  return absl::OkStatus();
}

absl::Status BrokerAdminService::DoReloadPolicy(Context* context, const v1::ReloadPolicyRequest&,
                                                v1::ReloadPolicyResponse* response) {
  policy::Identity identity;
  absl::Status status = Authorize(context, "ReloadPolicy", kPolicyReloadPermission, &identity);
  if (!status.ok()) return status;
  if (reloader_ == nullptr) {
    return absl::UnimplementedError(
        "this broker was given its policy without a file, so it has nothing to reload");
  }
  absl::StatusOr<PolicyReloader::Result> result = reloader_->Reload("admin_rpc", &identity);
  if (!result.ok()) return result.status();
  ToProto(result->info, response->mutable_info());
  response->set_previous_revision(result->previous_revision);
  response->set_text_changed(result->text_changed);
  return absl::OkStatus();
}

}  // namespace orb::broker
