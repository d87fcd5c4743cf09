#include "broker/service/object_broker_service.h"

#include <string>
#include <utility>

#include "absl/time/time.h"
#include "broker/service/credentials.h"
#include "broker/service/route_header.h"
#include "broker/service/rpc_stats.h"
#include "broker/service/status_convert.h"
#include "broker/service/stream_reactor.h"
#include "broker/service/watch_reactor.h"

namespace orb::broker {

template <typename Request, typename Response>
grpc::ServerUnaryReactor* ObjectBrokerService::Handle(
    Context* context, const Bytes* in, Bytes* out, absl::string_view rpc, int series,
    MemberThreads threads,
    absl::Status (BrokerCore::*method)(const RequestContext&, const Request&, Response*)) {
  CallsInFlight::Token in_flight = CallsInFlight::Enter(runner_.calls());
  const RpcTimer timer(runner_.stats(), series);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Request request;
  absl::Status status = ParseRequest(*in, &request);
  if (!status.ok()) {
    timer.Record(static_cast<int>(status.code()));
    reactor->Finish(ToGrpcStatus(status));
    return reactor;
  }

  // One snapshot for the whole call: authenticated and decided under the
  // same policy even when a reload lands meanwhile.
  policy::PolicyPtr policy = runner_.core()->policy();
  absl::StatusOr<policy::Identity> identity = runner_.Authenticate(
      *policy, ExtractCredentials(*context, peer_certificates_verified_), context->peer(), rpc);
  if (!identity.ok()) {
    timer.Record(static_cast<int>(identity.status().code()));
    reactor->Finish(ToGrpcStatus(identity.status()));
    return reactor;
  }

  absl::StatusOr<std::string> route = ReadRouteHeader(*context);
  if (!route.ok()) {
    timer.Record(static_cast<int>(route.status().code()));
    reactor->Finish(ToGrpcStatus(route.status()));
    return reactor;
  }

  RequestContext request_context;
  request_context.identity = *std::move(identity);
  request_context.route = *std::move(route);
  request_context.deadline = absl::FromChrono(context->deadline());
  request_context.is_cancelled = [context] { return context->IsCancelled(); };
  if (runner_.core()->records_peers(policy.get())) request_context.peer = context->peer();
  request_context.policy = std::move(policy);

  runner_.Run(std::move(request_context), std::move(request), threads, method,
              std::move(in_flight),
              [reactor, out, timer](const absl::Status& result, const Response& response) {
                timer.Record(static_cast<int>(result.code()));
                if (result.ok()) {
                  bool own_buffer = false;
                  reactor->Finish(grpc::SerializationTraits<Response>::Serialize(
                      response, out, &own_buffer));
                } else {
                  reactor->Finish(ToGrpcStatus(result));
                }
              });
  return reactor;
}

// Threads: where the RPC's core method runs (see MemberThreads).
#define ORB_RAW_METHOD(Name, field, Threads)                                                       \
  grpc::ServerUnaryReactor* ObjectBrokerService::Name(Context* c, const Bytes* in, Bytes* out) { \
    return Handle<v1::Name##Request, v1::Name##Response>(                                       \
        c, in, out, #Name, RpcStats::Unary(RpcStats::k##Name), MemberThreads::Threads,          \
        &BrokerCore::Name);                                                                     \
  }

ORB_BROKER_OPERATIONS(ORB_RAW_METHOD)

#undef ORB_RAW_METHOD

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* ObjectBrokerService::Stream(
    Context* context) {
  return new StreamReactor(&runner_, context, peer_certificates_verified_);
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* ObjectBrokerService::Watch(Context* context,
                                                                      const Bytes* in) {
  return new WatchReactor(&runner_, watch_reads_, context, *in, peer_certificates_verified_);
}

}  // namespace orb::broker
