// Private to orb_client: the shared state behind orb::client::Client, orb::client::Session
// and orb::client::Ref, and the conversions between orb::client::Value and orb.v1.Value.
//
// Ownership (no cycles): Ref -> RefState -> SessionCore -> ClientCore ->
// Flusher. Session (the RAII object) owns the root Ref and a SessionCore.
// The Flusher's thread holds only weak references to sessions, and only
// the Client (never that thread) stops and joins it.
#ifndef ORB_CLIENT_SRC_INTERNAL_H_
#define ORB_CLIENT_SRC_INTERNAL_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "orb/v1/type_urls.h"
#include "client/src/callback_threads.h"
#include "client/src/stream_channel.h"
#include "orb/client/client.h"
#include "orb/v1/broker.grpc.pb.h"

namespace orb {
namespace client {
namespace client_internal {

// The payload key under which a status carries a serialized
// orb.v1.ErrorInfo (the broker core uses the same key).
using v1::kErrorInfoTypeUrl;

// grpc::Status -> absl::Status, with the ErrorInfo of the
// grpc-status-details-bin trailer as a payload.
absl::Status FromGrpcStatus(const grpc::Status& status);

// Sends queued releases of many sessions after a delay, from one thread per
// Client, started at the first Schedule(). Thread-safe.
class Flusher {
 public:
  explicit Flusher(absl::Duration delay) : delay_(delay) {}
  ~Flusher();  // Stop()s. REQUIRES: not on the flusher's own thread

  // Asks for `session`'s queue to be flushed after the delay. No-op once
  // stopped or when the delay is not positive.
  void Schedule(std::weak_ptr<SessionCore> session) ABSL_LOCKS_EXCLUDED(mu_);
  // Stops and joins the thread. Idempotent. Must not run on that thread.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Run() ABSL_LOCKS_EXCLUDED(mu_);

  const absl::Duration delay_;
  absl::Mutex mu_;
  // Set when due_ or stopped_ change, so Run() wakes to look again.
  bool changed_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::pair<absl::Time, std::weak_ptr<SessionCore>>> due_ ABSL_GUARDED_BY(mu_);
  std::thread thread_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

// The channel, stub and credentials of one Client. Constant after
// construction but for whether the broker offers the Stream (learnt at the
// first OpenSession); the stub and the stream channel are thread-safe.
class ClientCore {
 public:
  ClientCore(ClientOptions options, std::shared_ptr<grpc::Channel> channel)
      : options_(std::move(options)),
        channel_(std::move(channel)),
        stub_(v1::ObjectBroker::NewStub(channel_)),
        flusher_(std::make_shared<Flusher>(options_.release_delay)) {
    KeepCallbackThreadsAlive();
  }

  const ClientOptions& options() const { return options_; }
  v1::ObjectBroker::Stub* stub() const { return stub_.get(); }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  // Records an OpenSession answer's features: with "stream" (and
  // ClientOptions::use_stream), operations go over the stream from now on.
  void NoteFeatures(const v1::OpenSessionResponse& opened) const;
  // Whether operations go over streams (see NoteFeatures).
  bool uses_stream() const { return uses_stream_.load(std::memory_order_acquire); }
  // The stream to send the operations of sessions of broker `route` on
  // (one stream per broker the client's sessions live on: behind a proxy,
  // a stream reaches one broker), or null for unary calls. The pointer
  // lives as long as this ClientCore.
  StreamChannel* stream(const std::string& route) const ABSL_LOCKS_EXCLUDED(streams_mu_);
  const std::shared_ptr<Flusher>& flusher() const { return flusher_; }
  // Credentials metadata and the deadline of one call; and `orb-route:
  // route` when route is not empty (every call of a session: the broker id
  // its OpenSession answered, so that a proxy routes the call there).
  void Prepare(grpc::ClientContext* context, const std::string& route = std::string()) const;
  // The same with the call's deadline given.
  void Prepare(grpc::ClientContext* context, const std::string& route, absl::Time deadline) const;
  // Credentials and route metadata only (the stream has no deadline of its
  // own).
  void AddCredentials(grpc::ClientContext* context, const std::string& route) const;
  // A failed call's status: FromGrpcStatus, plus a transport hint when a
  // TLS or plaintext mismatch is the likely cause (transport_hint.h).
  absl::Status ToStatus(const grpc::Status& status) const;

 private:
  const ClientOptions options_;
  const std::shared_ptr<grpc::Channel> channel_;
  const std::unique_ptr<v1::ObjectBroker::Stub> stub_;
  const std::shared_ptr<Flusher> flusher_;
  mutable std::atomic<bool> uses_stream_{false};
  mutable absl::Mutex streams_mu_;
  mutable std::map<std::string, std::unique_ptr<StreamChannel>> streams_
      ABSL_GUARDED_BY(streams_mu_);
};

// One reference the session holds on the broker. Shared by every copy of a
// Ref; its destructor queues the release.
struct RefState {
  RefState(std::shared_ptr<SessionCore> s, std::string i, std::string t, bool c)
      : session(std::move(s)), id(std::move(i)), type_name(std::move(t)), is_class(c) {}
  ~RefState();
  RefState(const RefState&) = delete;
  RefState& operator=(const RefState&) = delete;

  const std::shared_ptr<SessionCore> session;
  const std::string id;
  const std::string type_name;
  const bool is_class;
};

// An operation in progress; counted so that Close() can wait for it.
class OperationScope;
// One operation in flight in the callback form (session_core.cc).
template <typename Rpc, typename R>
struct AsyncCall;

// The shared state of one session. Thread-safe.
class SessionCore : public std::enable_shared_from_this<SessionCore> {
 public:
  SessionCore(std::shared_ptr<const ClientCore> client, const v1::OpenSessionResponse& opened);

  const std::string& id() const { return id_; }
  const ClientCore& client() const { return *client_; }
  // The broker the session lives on (OpenSessionResponse.route), sent as
  // orb-route on each of its calls; empty for a broker that names none.
  const std::string& route() const { return route_; }
  const std::string& userid() const { return userid_; }
  const std::vector<std::string>& principals() const { return principals_; }
  uint32_t lease_seconds() const { return lease_seconds_; }

  // A Ref for a handle the broker just returned (one new reference).
  Ref MakeRef(const v1::HandleRef& handle);

  // orb.v1.Value -> Value; handles become Refs of this session.
  Value FromProto(const v1::Value& value);
  // Value -> orb.v1.Value. INVALID_ARGUMENT for a Ref of another session,
  // an empty Ref, or a list/map nested deeper than the broker accepts.
  absl::Status ToProto(const Value& value, v1::Value* out, int depth = 0) const;

  // The Ref operations (REQUIRES: target belongs to this session).
  using Target = std::shared_ptr<const RefState>;
  absl::StatusOr<Value> Get(const Target& target, absl::string_view name);
  void GetAsync(const Target& target, absl::string_view name, Callback<Value> done);
  absl::StatusOr<std::map<std::string, Value>> GetMany(const Target& target,
                                                       const std::vector<std::string>& names);
  absl::Status Set(const Target& target, absl::string_view name, const Value& value);
  void SetAsync(const Target& target, absl::string_view name, Value value, StatusCallback done);
  absl::Status Del(const Target& target, absl::string_view name);
  void DelAsync(const Target& target, absl::string_view name, StatusCallback done);
  // `by_value`: CallRequest.by_value (an object result comes as a map).
  absl::StatusOr<Value> Call(const Target& target, absl::string_view name,
                             const std::vector<Value>& args,
                             const std::map<std::string, Value>& kwargs, bool by_value);
  void CallAsync(const Target& target, absl::string_view name, std::vector<Value> args,
                 std::map<std::string, Value> kwargs, bool by_value, Callback<Value> done);
  absl::StatusOr<Description> Describe(const Target& target);
  void DescribeAsync(const Target& target, Callback<Description> done);
  absl::StatusOr<Ref> Restrict(const Target& target, const Restriction& keep);
  void RestrictAsync(const Target& target, const Restriction& keep, Callback<Ref> done);

  // Starts a watch of `names` of `target` (watch_call.cc; Ref::Watch's
  // contract). The watch is not an operation Close() waits for: closing
  // the session ends it (NOT_FOUND).
  absl::StatusOr<Subscription> Watch(const Target& target, std::vector<std::string> names,
                                     WatchEventCallback on_event, WatchEndCallback on_end);

  // One Batch RPC (the request's session is filled in).
  absl::Status RunBatch(v1::BatchRequest* request, v1::BatchResponse* response);

  absl::StatusOr<std::vector<HandleInfo>> ListHandles();
  absl::Status KeepAlive();
  absl::Status Flush() ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status Close() ABSL_LOCKS_EXCLUDED(mu_);

  // Queues one reference for release (a RefState's destructor). Dropped
  // when the session is closed.
  void QueueRelease(std::string id) ABSL_LOCKS_EXCLUDED(mu_);
  // Sends the queue, if any, without waiting (the Flusher's thread).
  void FlushInBackground() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  friend class OperationScope;
  template <typename Rpc, typename R>
  friend struct AsyncCall;

  // Starts an operation: FAILED_PRECONDITION once closed; otherwise counts
  // it and sends the queued releases alongside.
  absl::StatusOr<OperationScope> Begin() ABSL_LOCKS_EXCLUDED(mu_);
  void End() ABSL_LOCKS_EXCLUDED(mu_);
  // Sends `ids` as one Release without waiting. REQUIRES: the caller has
  // counted it in releases_in_flight_ and ops_in_flight_.
  void SendReleaseAsync(std::vector<std::string> ids);
  // Blocks until *counter is zero.
  void WaitForZero(int SessionCore::*counter) ABSL_LOCKS_EXCLUDED(mu_);

  // An operation, retried after a lost connection as ClientOptions::retry
  // says, within the client's timeout from now.
  template <typename Rpc>
  absl::Status Invoke(typename Rpc::Request* request, typename Rpc::Response* response);
  template <typename Rpc, typename R, typename Map>
  void InvokeAsync(typename Rpc::Request request, std::shared_ptr<const void> keep_alive,
                   Map map, Callback<R> done);
  // One try of each form, until `deadline` / call->deadline.
  template <typename Rpc>
  absl::Status InvokeOnce(const typename Rpc::Request& request, typename Rpc::Response* response,
                          absl::Time deadline);
  template <typename Rpc, typename R>
  void TryAsync(std::shared_ptr<AsyncCall<Rpc, R>> call);
  // Sets a new request id on a request that takes one (when retrying).
  template <typename Rpc>
  void GiveRequestId(typename Rpc::Request* request);
  // Unique within the session: the session's random prefix and a count.
  std::string NextRequestId();

  // Constant after construction.
  const std::shared_ptr<const ClientCore> client_;
  const std::string id_;
  const std::string route_;
  const std::string userid_;
  const std::vector<std::string> principals_;
  const uint32_t lease_seconds_;
  const std::string request_id_prefix_;
  std::atomic<uint64_t> next_request_id_{1};

  mutable absl::Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::string> queued_releases_ ABSL_GUARDED_BY(mu_);
  int ops_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  int releases_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  // First error of a background release since the last Flush().
  absl::Status release_error_ ABSL_GUARDED_BY(mu_);
};

class OperationScope {
 public:
  explicit OperationScope(std::shared_ptr<SessionCore> core) : core_(std::move(core)) {}
  OperationScope(OperationScope&& other) noexcept = default;
  OperationScope& operator=(OperationScope&&) = delete;
  ~OperationScope() {
    if (core_ != nullptr) core_->End();
  }

 private:
  std::shared_ptr<SessionCore> core_;
};

}  // namespace client_internal
}  // namespace client
}  // namespace orb

#endif  // ORB_CLIENT_SRC_INTERNAL_H_
