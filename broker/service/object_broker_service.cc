#include "broker/service/object_broker_service.h"

#include <chrono>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "orb/broker/errors.h"
#include "broker/service/credentials.h"
#include "broker/service/status_convert.h"
#include "google/protobuf/io/coded_stream.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "orb/v1/error_details.pb.h"

namespace orb::broker {
namespace {

// Parses request bytes with our own recursion limit. gRPC's default parser
// stops at protobuf's limit of 100 and answers INTERNAL with no message.
// proto3 string fields must be UTF-8: protobuf refuses the whole message
// otherwise, so such a request is answered here, before authentication, and
// the message lists that cause too.
absl::Status ParseRequest(const grpc::ByteBuffer& bytes, google::protobuf::Message* request) {
  // The reader only reads, but takes a non-const buffer; gRPC's buffer is
  // not itself const (copying it would allocate on every call).
  grpc::ProtoBufferReader reader(const_cast<grpc::ByteBuffer*>(&bytes));
  google::protobuf::io::CodedInputStream input(&reader);
  input.SetRecursionLimit(kRequestParseRecursionLimit);
  if (!request->ParseFromCodedStream(&input) || !input.ConsumedEntireMessage()) {
    return WithErrorInfo(
        absl::InvalidArgumentError(absl::StrCat(
            "request is not a valid ", request->GetDescriptor()->full_name(),
            " message: malformed protobuf, a string field that is not UTF-8 (names, ids and "
            "string values must be UTF-8; send binary data as bytes_value), or nesting deeper "
            "than ", kRequestParseRecursionLimit, " messages (values may nest at most 64 levels)")),
        v1::MALFORMED_REQUEST, v1::GATE_LIMITS);
  }
  return absl::OkStatus();
}

}  // namespace

template <typename Request, typename Response>
grpc::ServerUnaryReactor* ObjectBrokerService::Handle(
    Context* context, const Bytes* in, Bytes* out, absl::string_view rpc, MemberThreads threads,
    absl::Status (BrokerCore::*method)(const RequestContext&, const Request&, Response*)) {
  CallsInFlight::Token in_flight = CallsInFlight::Enter(calls_);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Request request;
  absl::Status status = ParseRequest(*in, &request);
  if (!status.ok()) {
    reactor->Finish(ToGrpcStatus(status));
    return reactor;
  }

  // One snapshot for the whole call: authenticated and decided under the
  // same policy even when a reload lands meanwhile.
  policy::PolicyPtr policy = core_->policy();
  absl::StatusOr<policy::Identity> identity = policy->authenticator().Authenticate(
      ExtractCredentials(*context, peer_certificates_verified_), absl::Now());
  if (!identity.ok()) {
    if (core_->auditing()) {
      AuditRecord record;
      record.event = "authenticate";
      record.peer = context->peer();
      record.op = AuditOpName(rpc);
      record.decision = "unauthenticated";
      record.code = "UNAUTHENTICATED";
      // The authenticator's messages never contain the credential.
      record.reason = std::string(identity.status().message());
      record.policy_revision = policy->revision();
      core_->Audit(std::move(record));
    }
    reactor->Finish(
        ToGrpcStatus(WithErrorInfo(identity.status(), v1::UNAUTHENTICATED, v1::GATE_AUTHN)));
    return reactor;
  }

  RequestContext request_context;
  request_context.identity = *std::move(identity);
  request_context.deadline = absl::FromChrono(context->deadline());
  request_context.is_cancelled = [context] { return context->IsCancelled(); };
  if (core_->records_peers(policy.get())) request_context.peer = context->peer();
  request_context.policy = std::move(policy);

  // Decided here, on gRPC's thread, whatever the member: a refusal is
  // answered at once and never takes a member thread. Only an allowed
  // member that may block is handed back by the core (DeferredCall) and
  // runs on a member thread.
  const auto finish = [reactor, out](const absl::Status& result, const Response& response) {
    if (result.ok()) {
      bool own_buffer = false;
      reactor->Finish(grpc::SerializationTraits<Response>::Serialize(response, out, &own_buffer));
    } else {
      reactor->Finish(ToGrpcStatus(result));
    }
  };
  DeferredCall deferred;
  if (threads == MemberThreads::kWhenBlocking && members_ != nullptr) {
    request_context.defer = &deferred;
  }
  if (threads != MemberThreads::kAlways || members_ == nullptr) {
    Response response;
    absl::Status result = (core_->*method)(request_context, request, &response);
    if (!deferred.pending()) {
      finish(result, response);
      return reactor;
    }
  }
  // From here until it has run, the call counts against its identity, so
  // that one identity cannot take every member thread and queue slot. The
  // limit is the call's own policy snapshot's.
  absl::StatusOr<MemberCallQuota::Slot> counted =
      member_calls_.Acquire(request_context.identity.OwnerKey(),
                            request_context.policy->limits().max_member_calls_per_identity);
  if (!counted.ok()) {
    reactor->Finish(ToGrpcStatus(counted.status()));
    return reactor;
  }
  // A task that is refused below, or never runs, gives its slot back when
  // it is destroyed.
  auto run = [core = core_, method, finish, request = std::move(request),
              request_context = std::move(request_context), deferred = std::move(deferred),
              slot = *std::move(counted), in_flight = std::move(in_flight)]() mutable {
    request_context.defer = deferred.pending() ? &deferred : nullptr;
    Response response;
    absl::Status result = (core->*method)(request_context, request, &response);
    // Before the answer: a client that has its answer may call again at
    // once, and the service (and its quota) is not destroyed until then.
    slot.Release();
    finish(result, response);
  };
  if (!members_->Submit(std::move(run))) {
    reactor->Finish(ToGrpcStatus(WithErrorInfo(
        absl::ResourceExhaustedError(
            "the broker is busy: every method thread is running and the queue is full; retry "
            "later"),
        v1::BROKER_BUSY, v1::GATE_QUOTA)));
  }
  return reactor;
}

// Threads: where the RPC's core method runs (see MemberThreads).
#define ORB_RAW_METHOD(Name, Threads)                                                           \
  grpc::ServerUnaryReactor* ObjectBrokerService::Name(Context* c, const Bytes* in, Bytes* out) { \
    return Handle<v1::Name##Request, v1::Name##Response>(                                       \
        c, in, out, #Name, MemberThreads::Threads, &BrokerCore::Name);                          \
  }

ORB_RAW_METHOD(OpenSession, kNever)
ORB_RAW_METHOD(CloseSession, kNever)
ORB_RAW_METHOD(KeepAlive, kNever)
ORB_RAW_METHOD(GetAttr, kWhenBlocking)
ORB_RAW_METHOD(SetAttr, kWhenBlocking)
ORB_RAW_METHOD(DelAttr, kWhenBlocking)
ORB_RAW_METHOD(Call, kWhenBlocking)
ORB_RAW_METHOD(Release, kNever)
ORB_RAW_METHOD(ListHandles, kNever)
ORB_RAW_METHOD(Describe, kNever)
ORB_RAW_METHOD(Restrict, kNever)
ORB_RAW_METHOD(Batch, kAlways)

#undef ORB_RAW_METHOD

}  // namespace orb::broker
