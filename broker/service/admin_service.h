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
// Raw methods: the service parses each request itself (ParseRequest), so
// that bytes that are no message get INVALID_ARGUMENT (MALFORMED_REQUEST)
// as on orb.v1.ObjectBroker, never gRPC's own bare answer.
using RawAdminService = v1::BrokerAdmin::WithRawCallbackMethod_GetPolicyInfo<
    v1::BrokerAdmin::WithRawCallbackMethod_ReloadPolicy<
        v1::BrokerAdmin::WithRawCallbackMethod_ListSessions<
            v1::BrokerAdmin::WithRawCallbackMethod_CloseSession<v1::BrokerAdmin::Service>>>>;

class BrokerAdminService final : public RawAdminService {
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

  using Context = grpc::CallbackServerContext;
  using Bytes = grpc::ByteBuffer;
  grpc::ServerUnaryReactor* GetPolicyInfo(Context* context, const Bytes* in, Bytes* out) override;
  grpc::ServerUnaryReactor* ReloadPolicy(Context* context, const Bytes* in, Bytes* out) override;
  grpc::ServerUnaryReactor* ListSessions(Context* context, const Bytes* in, Bytes* out) override;
  grpc::ServerUnaryReactor* CloseSession(Context* context, const Bytes* in, Bytes* out) override;

 private:
  // Authenticates the call and checks `permission`; audits the decision.
  // `session_ref` (may be empty) is the session the call acts on, for the
  // record.
  absl::Status Authorize(grpc::CallbackServerContext* context, absl::string_view rpc,
                         absl::string_view permission, policy::Identity* identity,
                         absl::string_view session_ref = {});
  // One call: counted in flight and timed (stats series `series`), the
  // request parsed, then `method` fills the response or refuses; the
  // answer is recorded and sent.
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* Serve(Context* context, const Bytes* in, Bytes* out, int series,
                                  absl::Status (BrokerAdminService::*method)(Context*,
                                                                             const Request&,
                                                                             Response*));
  absl::Status DoGetPolicyInfo(Context* context, const v1::GetPolicyInfoRequest& request,
                               v1::PolicyInfo* response);
  absl::Status DoReloadPolicy(Context* context, const v1::ReloadPolicyRequest& request,
                              v1::ReloadPolicyResponse* response);
  // In admin_sessions.cc.
  absl::Status DoListSessions(Context* context, const v1::ListSessionsRequest& request,
                              v1::ListSessionsResponse* response);
  absl::Status DoCloseSession(Context* context, const v1::AdminCloseSessionRequest& request,
                              v1::AdminCloseSessionResponse* response);

  BrokerCore* const core_;
  PolicyReloader* const reloader_;
  const bool peer_certificates_verified_;
  CallsInFlight* const calls_;
  RpcStats* const stats_;
};

}  // namespace orb::broker

#endif  // ORB_BROKER_SERVICE_ADMIN_SERVICE_H_
