// The gRPC face of the broker's admin: orb.v1.BrokerAdmin (admin.proto).
//
// Each call authenticates like an ObjectBroker call, under the running
// policy, then needs its admin permission in that policy's admin ACL
// (CheckAdminPermission). Every call, allowed or not, is audited. The
// policy RPCs are in admin_service.cc, the session RPCs in
// admin_sessions.cc.
#ifndef ORB_BROKER_SERVICE_ADMIN_SERVICE_H_
#define ORB_BROKER_SERVICE_ADMIN_SERVICE_H_

#include <string>

#include "absl/time/time.h"
#include "orb/broker/broker_core.h"
#include "broker/policy_reloader.h"
#include "broker/service/calls_in_flight.h"
#include "broker/service/rpc_stats.h"
#include "orb/v1/admin.grpc.pb.h"

namespace orb::broker {

// `t` as RFC 3339 UTC to the second ("2026-12-05T10:00:00Z"); "" for the
// zero time. The admin answers' one spelling of a time.
std::string Rfc3339(absl::Time t);

// Thread safety: all methods may run concurrently.
class BrokerAdminService final : public v1::BrokerAdmin::CallbackService {
 public:
  // REQUIRES: core (and reloader and calls, when not null) outlive the
  // service. Without a reloader, ReloadPolicy answers UNIMPLEMENTED (after
  // the permission check) and GetPolicyInfo reports the core's policy only.
  // `calls`: counts each call until it is answered (for a drain).
  // `stats`: records each answer by method and code (null: nowhere).
  BrokerAdminService(BrokerCore* core, PolicyReloader* reloader, bool peer_certificates_verified,
                     CallsInFlight* calls = nullptr, RpcStats* stats = nullptr)
      : core_(core),
        reloader_(reloader),
        peer_certificates_verified_(peer_certificates_verified),
        calls_(calls),
        stats_(stats) {}

  grpc::ServerUnaryReactor* GetPolicyInfo(grpc::CallbackServerContext* context,
                                          const v1::GetPolicyInfoRequest* request,
                                          v1::PolicyInfo* response) override;
  grpc::ServerUnaryReactor* ReloadPolicy(grpc::CallbackServerContext* context,
                                         const v1::ReloadPolicyRequest* request,
                                         v1::ReloadPolicyResponse* response) override;
  // In admin_sessions.cc.
  grpc::ServerUnaryReactor* ListSessions(grpc::CallbackServerContext* context,
                                         const v1::ListSessionsRequest* request,
                                         v1::ListSessionsResponse* response) override;
  grpc::ServerUnaryReactor* CloseSession(grpc::CallbackServerContext* context,
                                         const v1::AdminCloseSessionRequest* request,
                                         v1::AdminCloseSessionResponse* response) override;

 private:
  // Authenticates the call and checks `permission`; audits the decision.
  // `session_ref` (may be empty) is the session the call acts on, for the
  // record.
  absl::Status Authorize(grpc::CallbackServerContext* context, absl::string_view rpc,
                         absl::string_view permission, policy::Identity* identity,
                         absl::string_view session_ref = {});
  // Records the answer in stats_ (through `timer`) and sends it.
  static grpc::ServerUnaryReactor* Answer(grpc::ServerUnaryReactor* reactor,
                                          const RpcTimer& timer, const absl::Status& status);

  BrokerCore* const core_;
  PolicyReloader* const reloader_;
  const bool peer_certificates_verified_;
  CallsInFlight* const calls_;
  RpcStats* const stats_;
};

}  // namespace orb::broker

#endif  // ORB_BROKER_SERVICE_ADMIN_SERVICE_H_
