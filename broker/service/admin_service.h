// The gRPC face of the broker's admin: orb.v1.BrokerAdmin (admin.proto).
//
// Each call authenticates like an ObjectBroker call, under the running
// policy, then needs its admin permission in that policy's admin ACL
// (CheckAdminPermission). Every call, allowed or not, is audited.
#ifndef ORB_BROKER_SERVICE_ADMIN_SERVICE_H_
#define ORB_BROKER_SERVICE_ADMIN_SERVICE_H_

#include "orb/broker/broker_core.h"
#include "broker/policy_reloader.h"
#include "broker/service/calls_in_flight.h"
#include "orb/v1/admin.grpc.pb.h"

namespace orb::broker {

// Thread safety: all methods may run concurrently.
class BrokerAdminService final : public v1::BrokerAdmin::CallbackService {
 public:
  // REQUIRES: core (and reloader and calls, when not null) outlive the
  // service. Without a reloader, ReloadPolicy answers UNIMPLEMENTED (after
  // the permission check) and GetPolicyInfo reports the core's policy only.
  // `calls`: counts each call until it is answered (for a drain).
  BrokerAdminService(BrokerCore* core, PolicyReloader* reloader, bool peer_certificates_verified,
                     CallsInFlight* calls = nullptr)
      : core_(core),
        reloader_(reloader),
        peer_certificates_verified_(peer_certificates_verified),
        calls_(calls) {}

  grpc::ServerUnaryReactor* GetPolicyInfo(grpc::CallbackServerContext* context,
                                          const v1::GetPolicyInfoRequest* request,
                                          v1::PolicyInfo* response) override;
  grpc::ServerUnaryReactor* ReloadPolicy(grpc::CallbackServerContext* context,
                                         const v1::ReloadPolicyRequest* request,
                                         v1::ReloadPolicyResponse* response) override;

 private:
  // Authenticates the call and checks `permission`; audits the decision.
  absl::Status Authorize(grpc::CallbackServerContext* context, absl::string_view rpc,
                         absl::string_view permission, policy::Identity* identity);

  BrokerCore* const core_;
  PolicyReloader* const reloader_;
  const bool peer_certificates_verified_;
  CallsInFlight* const calls_;
};

}  // namespace orb::broker

#endif  // ORB_BROKER_SERVICE_ADMIN_SERVICE_H_
