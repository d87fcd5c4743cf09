#include "orb/client/admin.h"

#include <string>

#include "client/src/internal.h"
#include "orb/v1/admin.grpc.pb.h"

namespace orb {
namespace client {
namespace {

// One unary admin call: credentials and deadline as every call, the
// answer or the status converted as every call.
template <typename Request, typename Response, typename Method>
absl::StatusOr<Response> Unary(const client_internal::ClientCore& core, Method method,
                               const Request& request) {
  v1::BrokerAdmin::Stub stub(core.channel());
  grpc::ClientContext context;
  core.Prepare(&context);
  Response response;
  grpc::Status status = (stub.*method)(&context, request, &response);
  if (!status.ok()) return core.ToStatus(status);
  return response;
}

}  // namespace

Admin::Admin(const Client& client) : core_(client.core_) {}

absl::StatusOr<v1::PolicyInfo> Admin::GetPolicyInfo() const {
  return Unary<v1::GetPolicyInfoRequest, v1::PolicyInfo>(
      *core_, &v1::BrokerAdmin::Stub::GetPolicyInfo, v1::GetPolicyInfoRequest());
}

absl::StatusOr<v1::ReloadPolicyResponse> Admin::ReloadPolicy() const {
  return Unary<v1::ReloadPolicyRequest, v1::ReloadPolicyResponse>(
      *core_, &v1::BrokerAdmin::Stub::ReloadPolicy, v1::ReloadPolicyRequest());
}

absl::StatusOr<v1::ListSessionsResponse> Admin::ListSessions(
    const v1::ListSessionsRequest& request) const {
  return Unary<v1::ListSessionsRequest, v1::ListSessionsResponse>(
      *core_, &v1::BrokerAdmin::Stub::ListSessions, request);
}

absl::StatusOr<v1::AdminCloseSessionResponse> Admin::CloseSession(absl::string_view ref) const {
  v1::AdminCloseSessionRequest request;
  request.set_ref(std::string(ref));
  return Unary<v1::AdminCloseSessionRequest, v1::AdminCloseSessionResponse>(
      *core_, &v1::BrokerAdmin::Stub::CloseSession, request);
}

}  // namespace client
}  // namespace orb
