// StreamReactor: one orb.v1.ObjectBroker/Stream call, from open to end.
//
// The stream authenticates once, when it opens (a failure ends it with
// UNAUTHENTICATED); the identity is pinned to the stream and checked again
// only when the policy is replaced (a reload) or the credential is a ticket
// (whose expiry must hold for every operation). Each frame is parsed with
// the broker's own limits and runs through OperationRunner exactly as its
// unary twin: same gates, audit records, codes, messages and ErrorInfo. An
// operation's answer is one StreamResponse with the frame's id; answers go
// out in the order operations finish.
//
// Back-pressure: at most `limits.max_stream_operations_in_flight`
// operations are read and not yet answered (answers waiting to be written
// count). A frame read at the limit is held, not started, and the reactor
// reads no more until an answer has been written; a client that sends
// faster waits in gRPC's flow control. So the broker holds at most the
// limit plus one frame per stream. Cancel frames need no answer and are
// taken up at once, so a client that keeps at most the limit in flight can
// always cancel. The limit is announced to the client in the initial
// metadata, `orb-max-operations-in-flight`.
//
// End: when the client half-closes, operations in flight run to the end
// and are answered, then the stream ends OK. A frame that arrives (or is
// still held) after the server began to drain (Server::Shutdown) is not
// run, nothing more is read, and the stream ends UNAVAILABLE once what
// runs has been answered: every operation not answered did not run. When
// the stream is cancelled (client gone, deadline, the end of the drain's
// grace), every operation in flight is told (RequestContext::is_cancelled)
// and its answer is dropped; the stream ends once the last has returned.
// Answers already written stay written.
//
// Thread safety: gRPC calls the On* methods; operation answers arrive from
// gRPC's and the member threads. All shared state is guarded by mu_, and
// gRPC's Start*/Finish are never called with mu_ held.
// Ownership: created by ObjectBrokerService::Stream; deletes itself in
// OnDone, which gRPC calls after Finish, once every operation has answered.
#ifndef ORB_BROKER_SERVICE_STREAM_REACTOR_H_
#define ORB_BROKER_SERVICE_STREAM_REACTOR_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "broker/service/operation_runner.h"
#include "broker/service/rpc_stats.h"
#include "grpcpp/grpcpp.h"
#include "orb/policy/authn.h"
#include "orb/v1/broker.pb.h"

namespace orb::broker {

// The initial metadata entry that tells the client the stream's limit on
// operations in flight (decimal), as it was when the stream opened.
inline constexpr absl::string_view kOperationsInFlightHeader = "orb-max-operations-in-flight";

class StreamReactor final : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  // REQUIRES: runner and context outlive the reactor (gRPC guarantees the
  // context; the server outlives every call).
  StreamReactor(OperationRunner* runner, grpc::CallbackServerContext* context,
                bool peer_certificates_verified);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  // Whether an operation in flight was cancelled by a cancel frame.
  using CancelFlag = std::shared_ptr<std::atomic<bool>>;

  // A frame read and not yet started: parsed, or its bytes when it did not
  // parse.
  struct Frame {
    bool parsed = false;
    v1::StreamRequest request;
    grpc::ByteBuffer bytes;
  };
  // Starts one frame (never a cancel), on the reader's thread: the thread
  // of OnReadDone, or of the answer that made room for a held frame (no
  // read is outstanding then).
  void Dispatch(Frame frame);
  void DispatchParsed(v1::StreamRequest frame);
  // Cancels the operation a cancel frame names, if it is in flight.
  void CancelOperation(uint64_t id) ABSL_LOCKS_EXCLUDED(mu_);
  // Answers a frame that did not parse, naming the operation when it can.
  void AnswerMalformed(const grpc::ByteBuffer& bytes);
  // The identity for an operation under `policy`: the pinned one, or a
  // fresh authentication when the policy was replaced or the credential is
  // a ticket. The reader's only.
  absl::StatusOr<policy::Identity> IdentityUnder(const policy::PolicyPtr& policy);
  // The context of one operation: pinned identity, the earlier of the
  // stream's deadline and the frame's own, cancellation by stream or by
  // cancel frame.
  RequestContext ContextFor(const v1::StreamRequest& frame, policy::PolicyPtr policy,
                            policy::Identity identity, CancelFlag cancelled) const;
  // `series`: the operation's RpcStats series.
  template <typename Request, typename Response>
  void Start(uint64_t id, int series, RequestContext context, Request request,
             MemberThreads threads,
             absl::Status (BrokerCore::*method)(const RequestContext&, const Request&, Response*),
             Response* (v1::StreamResponse::*answer_field)());

  // Queues one answer (any thread). `id` leaves the ids in flight.
  void Answer(uint64_t id, bool forget_id, const v1::StreamResponse& answer)
      ABSL_LOCKS_EXCLUDED(mu_);
  // What to do next once the state changed: read more, write the next
  // answer, or finish. Called with mu_ held; returns the gRPC calls to make
  // after mu_ is released.
  struct Next {
    bool read = false;
    std::unique_ptr<Frame> dispatch;  // a held frame that now has room
    const grpc::ByteBuffer* write = nullptr;
    // More answers are queued behind `write`: gRPC may hold it back and
    // send it with the next one (fewer, larger writes under load).
    bool more_behind = false;
    bool finish = false;
    grpc::Status status;
  };
  Next Advance() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Do(Next next) ABSL_LOCKS_EXCLUDED(mu_);
  // gRPC calls the On* methods on threads of its own and hands the reactor
  // from one to the next in code ThreadSanitizer does not see; taking mu_
  // first orders what the last thread did before what this one does.
  void SeeHandOver() ABSL_LOCKS_EXCLUDED(mu_);

  OperationRunner* const runner_;
  grpc::CallbackServerContext* const context_;
  const bool peer_certificates_verified_;
  const std::string peer_;
  // Records the Stream call's own end (its operations have their own).
  const RpcTimer stream_timer_;
  std::atomic<bool> stream_cancelled_{false};

  // The reader's own (see Dispatch): one frame is read or started at a
  // time, and the hand-over to an answering thread goes through mu_.
  grpc::ByteBuffer frame_bytes_;
  policy::CallCredentials credentials_;
  policy::Identity identity_;
  std::string route_;  // the stream's orb-route metadata, "" when none
  // The policy identity_ was authenticated under: a reload (any new
  // policy, whatever its revision) authenticates again.
  policy::PolicyPtr identity_policy_;

  absl::Mutex mu_;
  // Operations read and not yet answered, by id, with their cancel flag.
  absl::flat_hash_map<uint64_t, CancelFlag> in_flight_ ABSL_GUARDED_BY(mu_);
  // Frames read whose answer has not yet been written (each frame but a
  // cancel gets exactly one answer).
  uint32_t unanswered_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t limit_ ABSL_GUARDED_BY(mu_) = 1;
  std::deque<grpc::ByteBuffer> writes_ ABSL_GUARDED_BY(mu_);
  // A frame read at the limit; no read is outstanding while it waits.
  std::unique_ptr<Frame> held_ ABSL_GUARDED_BY(mu_);
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;   // half-closed, or a read failed
  bool draining_ ABSL_GUARDED_BY(mu_) = false;     // a frame came after the drain began
  bool broken_ ABSL_GUARDED_BY(mu_) = false;       // a write failed: answers are dropped
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace orb::broker

#endif  // ORB_BROKER_SERVICE_STREAM_REACTOR_H_
