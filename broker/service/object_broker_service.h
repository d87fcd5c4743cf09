// The gRPC face of BrokerCore: orb.v1.ObjectBroker as raw callback methods.
//
// Each method: parse the request bytes (with a recursion limit of our own,
// so a deeply nested value gets INVALID_ARGUMENT with a clear message rather
// than gRPC's bare INTERNAL), authenticate the call under the current
// policy, build a RequestContext (identity, deadline, cancellation), hand
// the request to BrokerCore, and convert the result. No decisions are made
// here.
#ifndef ORB_BROKER_SERVICE_OBJECT_BROKER_SERVICE_H_
#define ORB_BROKER_SERVICE_OBJECT_BROKER_SERVICE_H_

#include <memory>

#include "orb/broker/broker_core.h"
#include "broker/service/calls_in_flight.h"
#include "broker/service/operation_runner.h"
#include "broker/service/request_parser.h"
#include "broker/service/worker_pool.h"
#include "orb/v1/broker.grpc.pb.h"

namespace orb::broker {

using RawBrokerService = v1::ObjectBroker::WithRawCallbackMethod_OpenSession<
    v1::ObjectBroker::WithRawCallbackMethod_CloseSession<
        v1::ObjectBroker::WithRawCallbackMethod_KeepAlive<
            v1::ObjectBroker::WithRawCallbackMethod_GetAttr<
                v1::ObjectBroker::WithRawCallbackMethod_SetAttr<
                    v1::ObjectBroker::WithRawCallbackMethod_DelAttr<
                        v1::ObjectBroker::WithRawCallbackMethod_Call<
                            v1::ObjectBroker::WithRawCallbackMethod_Release<
                                v1::ObjectBroker::WithRawCallbackMethod_ListHandles<
                                    v1::ObjectBroker::WithRawCallbackMethod_Describe<
                                        v1::ObjectBroker::WithRawCallbackMethod_Restrict<
                                            v1::ObjectBroker::WithRawCallbackMethod_Batch<
                                                v1::ObjectBroker::WithRawCallbackMethod_Stream<
                                                    v1::ObjectBroker::WithRawCallbackMethod_GetAttrs<
                                                        v1::ObjectBroker::WithRawCallbackMethod_Watch<
                                                            v1::ObjectBroker::Service>>>>>>>>>>>>>>>;

// Thread safety: all methods may run concurrently; the service's only
// mutable state is its OperationRunner's (itself thread-safe).
class ObjectBrokerService final : public RawBrokerService {
 public:
  // REQUIRES: core (and members and calls, when not null) outlive the
  // service. `peer_certificates_verified`: the server verifies every client
  // certificate (see ExtractCredentials). `members`: where GetAttr, SetAttr,
  // DelAttr and Call on a member that may block run (MemberBinding::
  // may_block; parsing, authentication and members that never block stay on
  // gRPC's thread); null runs every member inline on gRPC's thread. A call
  // handed to `members` counts against its identity until it has run; one
  // identity holds at most its policy's max_member_calls_per_identity of
  // them, and further ones are refused (RESOURCE_EXHAUSTED, IDENTITY_BUSY).
  // `calls`: counts each call until it is answered (for a drain).
  // `stats`: records each answer by method and code, with its latency
  // (null: nothing recorded).
  explicit ObjectBrokerService(BrokerCore* core, bool peer_certificates_verified = false,
                               WorkerPool* members = nullptr, CallsInFlight* calls = nullptr,
                               RpcStats* stats = nullptr)
      : peer_certificates_verified_(peer_certificates_verified),
        runner_(core, members, calls, stats),
        own_watch_reads_(members == nullptr ? std::make_unique<WorkerPool>(4, 4096) : nullptr),
        watch_reads_(members != nullptr ? members : own_watch_reads_.get()) {}

  using Reactor = grpc::ServerUnaryReactor;
  using Context = grpc::CallbackServerContext;
  using Bytes = grpc::ByteBuffer;

  Reactor* OpenSession(Context* c, const Bytes* in, Bytes* out) override;
  Reactor* CloseSession(Context* c, const Bytes* in, Bytes* out) override;
  Reactor* KeepAlive(Context* c, const Bytes* in, Bytes* out) override;
  Reactor* GetAttr(Context* c, const Bytes* in, Bytes* out) override;
  Reactor* SetAttr(Context* c, const Bytes* in, Bytes* out) override;
  Reactor* DelAttr(Context* c, const Bytes* in, Bytes* out) override;
  Reactor* Call(Context* c, const Bytes* in, Bytes* out) override;
  // A snapshot; as GetAttr, on a member thread when a named member may block.
  Reactor* GetAttrs(Context* c, const Bytes* in, Bytes* out) override;
  Reactor* Release(Context* c, const Bytes* in, Bytes* out) override;
  Reactor* ListHandles(Context* c, const Bytes* in, Bytes* out) override;
  Reactor* Describe(Context* c, const Bytes* in, Bytes* out) override;
  Reactor* Restrict(Context* c, const Bytes* in, Bytes* out) override;
  // A Batch runs on a member thread as a whole (when `members` is set), after
  // authentication on gRPC's thread; it counts as one call of its identity.
  Reactor* Batch(Context* c, const Bytes* in, Bytes* out) override;
  // One bidi stream of operations (broker/service/stream_reactor.h).
  grpc::ServerBidiReactor<Bytes, Bytes>* Stream(Context* c) override;
  // Changes of one object's attributes, pushed (broker/service/watch_reactor.h).
  // Values are read on `members` (or, without it, on a few threads of the
  // service's own): reading runs members, and a change is announced on
  // whatever thread made it.
  grpc::ServerWriteReactor<Bytes>* Watch(Context* c, const Bytes* in) override;

 private:
  template <typename Request, typename Response>
  Reactor* Handle(Context* context, const Bytes* in, Bytes* out, absl::string_view rpc,
                  int series, MemberThreads threads,
                  absl::Status (BrokerCore::*method)(const RequestContext&, const Request&,
                                                     Response*));
  const bool peer_certificates_verified_;
  OperationRunner runner_;
  // Watch reads when the service was given no member threads.
  const std::unique_ptr<WorkerPool> own_watch_reads_;
  WorkerPool* const watch_reads_;
};

}  // namespace orb::broker

#endif  // ORB_BROKER_SERVICE_OBJECT_BROKER_SERVICE_H_
