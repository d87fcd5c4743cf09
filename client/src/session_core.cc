// SessionCore: every RPC of a session, in a blocking and a callback form,
// and the release queue.
#include <algorithm>
#include <cstdint>
#include <future>
#include <optional>
#include <random>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/sync.h"
#include "grpcpp/alarm.h"
#include "client/src/internal.h"

namespace orb {
namespace client {
namespace client_internal {
namespace {

// The broker refuses values nested deeper than this; refusing them here
// keeps a runaway recursion from building the request at all.
constexpr int kMaxDepth = 64;

// One RPC of orb.v1.ObjectBroker, in both forms, and its field of a
// Stream frame and answer.
#define ORB_CLIENT_RPC(Name, field)                                                      \
  struct Name##Rpc {                                                                     \
    using Request = v1::Name##Request;                                                   \
    using Response = v1::Name##Response;                                                 \
    static Request* Frame(v1::StreamRequest* frame) { return frame->mutable_##field(); } \
    static bool Answer(v1::StreamResponse* answer, Response* out) {                      \
      if (!answer->has_##field()) return false;                                          \
      out->Swap(answer->mutable_##field());                                              \
      return true;                                                                       \
    }                                                                                    \
    static grpc::Status Sync(v1::ObjectBroker::Stub* stub, grpc::ClientContext* context, \
                             const Request& request, Response* response) {               \
      return stub->Name(context, request, response);                                     \
    }                                                                                    \
    static void Async(v1::ObjectBroker::Stub* stub, grpc::ClientContext* context,        \
                      const Request* request, Response* response,                        \
                      std::function<void(grpc::Status)> done) {                          \
      stub->async()->Name(context, request, response, std::move(done));                 \
    }                                                                                    \
  };
ORB_CLIENT_RPC(GetAttr, get_attr)
ORB_CLIENT_RPC(SetAttr, set_attr)
ORB_CLIENT_RPC(DelAttr, del_attr)
ORB_CLIENT_RPC(Call, call)
ORB_CLIENT_RPC(Describe, describe)
ORB_CLIENT_RPC(Restrict, restrict)
ORB_CLIENT_RPC(Release, release)
ORB_CLIENT_RPC(ListHandles, list_handles)
ORB_CLIENT_RPC(KeepAlive, keep_alive)
ORB_CLIENT_RPC(CloseSession, close_session)
ORB_CLIENT_RPC(Batch, batch)
ORB_CLIENT_RPC(GetAttrs, get_attrs)
#undef ORB_CLIENT_RPC

// What a retry after a lost connection may do with each operation.
enum class Retry {
  kOnce,    // tried once: a repeat would change something again
  kSafe,    // repeated as it is: reading changes nothing
  kWithId,  // repeated under its request id: the broker runs it at most once
};
template <typename Rpc, typename... Rpcs>
constexpr bool kOneOf = (std::is_same_v<Rpc, Rpcs> || ...);
template <typename Rpc>
constexpr Retry kRetry =
    kOneOf<Rpc, GetAttrRpc, GetAttrsRpc, DescribeRpc, ListHandlesRpc, KeepAliveRpc>
        ? Retry::kSafe
    : kOneOf<Rpc, SetAttrRpc, DelAttrRpc, CallRpc, BatchRpc> ? Retry::kWithId
                                                            : Retry::kOnce;

// Whether a failed try of Rpc is sent again, `backoff` from now, before
// `deadline`.
template <typename Rpc>
bool WorthRetrying(const ClientOptions& options, const absl::Status& status, absl::Time deadline,
                   absl::Duration backoff) {
  return options.retry && kRetry<Rpc> != Retry::kOnce &&
         status.code() == absl::StatusCode::kUnavailable && absl::Now() + backoff < deadline;
}

// Orders a retry's set-up (the alarm and the callback's captures, written
// by the thread that sets the alarm) before the alarm's callback reads them.
// gRPC's alarm orders the two threads out of TSan's sight, and the callback
// cannot reach a mutex of the call without first reading its captures, so
// the mutex is one for the process; it is held only for those two moments.
absl::Mutex& RetryHandoff() {
  static absl::Mutex* const mutex = new absl::Mutex;
  return *mutex;
}

absl::Duration NextBackoff(absl::Duration backoff) {
  return std::min(backoff * 2, absl::Seconds(1));
}

// An error answer on the stream as the status the unary call returns.
absl::Status StatusOfAnswer(const v1::OperationError& error) {
  absl::Status status(static_cast<absl::StatusCode>(error.code()), error.message());
  if (error.has_info()) {
    status.SetPayload(kErrorInfoTypeUrl, absl::Cord(error.info().SerializeAsString()));
  }
  return status;
}

// Sends `request` as a Stream frame with the client's timeout and calls
// done(status) once `response` holds the answer (or failed).
template <typename Rpc>
void SendOnStream(StreamChannel& stream, absl::Time deadline,
                  const typename Rpc::Request& request, typename Rpc::Response* response,
                  std::function<void(absl::Status)> done) {
  v1::StreamRequest frame;
  *Rpc::Frame(&frame) = request;
  const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
  frame.set_timeout_ms(static_cast<uint32_t>(std::clamp<int64_t>(ms, 1, UINT32_MAX)));
  stream.Send(std::move(frame), [response, done = std::move(done)](
                                    absl::StatusOr<v1::StreamResponse> answer) {
    if (!answer.ok()) return done(answer.status());
    if (answer->has_error()) return done(StatusOfAnswer(answer->error()));
    if (!Rpc::Answer(&*answer, response)) {
      return done(absl::InternalError("orb: the broker answered with another operation"));
    }
    done(absl::OkStatus());
  });
}

// 64 random bits, as hex: request ids need only be unique within their
// session, and a client of one session may run in several processes.
std::string RandomRequestIdPrefix() {
  std::random_device device;
  return absl::StrCat(absl::Hex(device(), absl::kZeroPad8), absl::Hex(device(), absl::kZeroPad8));
}

absl::Status Closed() { return absl::FailedPreconditionError("orb: the session is closed"); }

Description DescriptionOf(const v1::DescribeResponse& r) {
  Description d;
  d.type_name = r.type_name();
  d.is_class = r.is_class();
  d.view = r.view();
  d.restricted = r.restricted();
  for (const auto& m : r.members()) {
    d.members.push_back({m.op(), m.name(), m.lock(), m.allowed(), m.idempotent()});
  }
  for (const auto& e : r.olp()) d.olp.push_back({e.view(), e.op(), e.name(), e.lock()});
  return d;
}

void FillRestriction(const Restriction& keep, v1::RestrictRequest* request) {
  for (const auto& n : keep.getattr) request->add_getattr(n);
  for (const auto& n : keep.setattr) request->add_setattr(n);
  for (const auto& n : keep.delattr) request->add_delattr(n);
  for (const auto& n : keep.call) request->add_call(n);
}

// The empty result of setattr/delattr (turned back into a plain Status).
struct NoValue {};

}  // namespace

// One callback-API call in flight: owns what gRPC needs until it answers.
template <typename Rpc, typename R>
struct AsyncCall {
  grpc::ClientContext context;
  typename Rpc::Request request;
  typename Rpc::Response response;
  std::optional<OperationScope> scope;
  std::shared_ptr<const void> keep_alive;  // the target Ref and argument Refs
  // InvokeAsync's tries: each has a context of its own (a ClientContext
  // serves one call), and a retry waits on `alarm`, never on a thread.
  std::unique_ptr<grpc::ClientContext> try_context;
  absl::Time deadline;
  absl::Duration backoff;
  std::unique_ptr<grpc::Alarm> alarm;
  std::function<absl::StatusOr<R>(SessionCore&, typename Rpc::Response&)> map;
  Callback<R> done;
};

RefState::~RefState() { session->QueueRelease(id); }

SessionCore::SessionCore(std::shared_ptr<const ClientCore> client,
                         const v1::OpenSessionResponse& opened)
    : client_(std::move(client)),
      id_(opened.session()),
      route_(opened.route()),
      userid_(opened.userid()),
      principals_(opened.principals().begin(), opened.principals().end()),
      lease_seconds_(opened.lease_seconds()),
      request_id_prefix_(RandomRequestIdPrefix()) {}

Ref SessionCore::MakeRef(const v1::HandleRef& handle) {
  return Ref(std::make_shared<const RefState>(shared_from_this(), handle.id(),
                                              handle.type_name(), handle.is_class()));
}

Value SessionCore::FromProto(const v1::Value& value) {
  switch (value.kind_case()) {
    case v1::Value::kBoolValue:
      return value.bool_value();
    case v1::Value::kIntValue:
      return static_cast<int64_t>(value.int_value());
    case v1::Value::kDoubleValue:
      return value.double_value();
    case v1::Value::kStringValue:
      return value.string_value();
    case v1::Value::kBytesValue:
      return Value::Bytes{value.bytes_value()};
    case v1::Value::kListValue: {
      Value::List list;
      list.reserve(value.list_value().values_size());
      for (const auto& v : value.list_value().values()) list.push_back(FromProto(v));
      return list;
    }
    case v1::Value::kMapValue: {
      Value::Map map;
      for (const auto& [k, v] : value.map_value().fields()) map.emplace(k, FromProto(v));
      return map;
    }
    case v1::Value::kHandle:
      return MakeRef(value.handle());
    case v1::Value::kResult:  // a Batch reference; a broker never answers one
    case v1::Value::kNullValue:
    case v1::Value::KIND_NOT_SET:
      break;
  }
  return Value();
}

absl::Status SessionCore::ToProto(const Value& value, v1::Value* out, int depth) const {
  if (depth > kMaxDepth) {
    return absl::InvalidArgumentError(
        absl::StrCat("value nested deeper than ", kMaxDepth, " levels"));
  }
  switch (value.kind()) {
    case Value::Kind::kNull:
      out->set_null_value(v1::NULL_VALUE);
      return absl::OkStatus();
    case Value::Kind::kBool:
      out->set_bool_value(*value.AsBool());
      return absl::OkStatus();
    case Value::Kind::kInt:
      out->set_int_value(*value.AsInt());
      return absl::OkStatus();
    case Value::Kind::kDouble:
      out->set_double_value(*value.AsDouble());
      return absl::OkStatus();
    case Value::Kind::kString:
      out->set_string_value(*value.string_if());
      return absl::OkStatus();
    case Value::Kind::kBytes:
      out->set_bytes_value(*value.AsBytes());
      return absl::OkStatus();
    case Value::Kind::kList: {
      v1::ValueList* list = out->mutable_list_value();
      const Value::List& items = *value.list_if();
      for (size_t i = 0; i < items.size(); ++i) {
        absl::Status s = ToProto(items[i], list->add_values(), depth + 1);
        if (!s.ok()) return Within(s, absl::StrCat("element ", i));
      }
      return absl::OkStatus();
    }
    case Value::Kind::kMap: {
      auto* fields = out->mutable_map_value()->mutable_fields();
      for (const auto& [key, item] : *value.map_if()) {
        absl::Status s = ToProto(item, &(*fields)[key], depth + 1);
        if (!s.ok()) return Within(s, absl::StrCat("key '", key, "'"));
      }
      return absl::OkStatus();
    }
    case Value::Kind::kRef: {
      const Ref& ref = *value.ref_if();
      if (!ref) return absl::InvalidArgumentError("an empty orb::client::Ref cannot be sent");
      if (ref.state_->session.get() != this) {
        return absl::InvalidArgumentError(absl::StrCat(
            "the handle of a ", ref.type_name(),
            " belongs to another session; a handle is valid only in the session that received it"));
      }
      v1::HandleRef* handle = out->mutable_handle();
      handle->set_id(ref.id());
      handle->set_type_name(ref.type_name());
      handle->set_is_class(ref.is_class());
      return absl::OkStatus();
    }
  }
  return absl::InternalError("unknown value kind");
}

// ---- operation accounting and the release queue ----

absl::StatusOr<OperationScope> SessionCore::Begin() {
  std::vector<std::string> ids;
  {
    MutexHold lock(&mu_);
    if (closed_) return Closed();
    ++ops_in_flight_;
    if (!queued_releases_.empty()) {
      ids.swap(queued_releases_);
      ++ops_in_flight_;
      ++releases_in_flight_;
    }
  }
  if (!ids.empty()) SendReleaseAsync(std::move(ids));
  return OperationScope(shared_from_this());
}

void SessionCore::End() {
  MutexHold lock(&mu_);
  --ops_in_flight_;
}

void SessionCore::QueueRelease(std::string id) {
  bool first = false;
  {
    MutexHold lock(&mu_);
    // A closed session has released everything on the broker already.
    if (closed_) return;
    first = queued_releases_.empty();
    queued_releases_.push_back(std::move(id));
  }
  if (first) client_->flusher()->Schedule(weak_from_this());
}

void SessionCore::SendReleaseAsync(std::vector<std::string> ids) {
  auto call = std::make_shared<AsyncCall<ReleaseRpc, NoValue>>();
  call->request.set_session(id_);
  for (auto& id : ids) call->request.add_handles(std::move(id));
  client_->Prepare(&call->context, route_);
  std::shared_ptr<SessionCore> self = shared_from_this();
  ReleaseRpc::Async(client_->stub(), &call->context, &call->request, &call->response,
                    [self, call](grpc::Status status) {
                      MutexHold lock(&self->mu_);
                      if (!status.ok() && self->release_error_.ok()) {
                        self->release_error_ = self->client_->ToStatus(status);
                      }
                      --self->releases_in_flight_;
                      --self->ops_in_flight_;
                    });
}

void SessionCore::FlushInBackground() {
  std::vector<std::string> ids;
  {
    MutexHold lock(&mu_);
    if (closed_ || queued_releases_.empty()) return;
    ids.swap(queued_releases_);
    ++ops_in_flight_;
    ++releases_in_flight_;
  }
  SendReleaseAsync(std::move(ids));
}

void SessionCore::WaitForZero(int SessionCore::*counter) {
  // Await through policy/sync.h: the condition is re-evaluated on every
  // release of mu_, and ThreadSanitizer sees each hand-over.
  MutexHold lock(&mu_);
  AwaitWithTimeout(&mu_, absl::Condition(+[](int* n) { return *n == 0; }, &(this->*counter)),
                   absl::InfiniteDuration());
}

absl::Status SessionCore::Flush() {
  std::vector<std::string> ids;
  {
    MutexHold lock(&mu_);
    if (closed_) return absl::OkStatus();
    if (!queued_releases_.empty()) {
      ids.swap(queued_releases_);
      ++ops_in_flight_;
      ++releases_in_flight_;
    }
  }
  if (!ids.empty()) SendReleaseAsync(std::move(ids));
  WaitForZero(&SessionCore::releases_in_flight_);
  MutexHold lock(&mu_);
  absl::Status error = std::move(release_error_);
  release_error_ = absl::OkStatus();
  return error;
}

absl::Status SessionCore::Close() {
  {
    MutexHold lock(&mu_);
    if (closed_) return absl::OkStatus();
    closed_ = true;
    queued_releases_.clear();
  }
  WaitForZero(&SessionCore::ops_in_flight_);
  v1::CloseSessionRequest request;
  request.set_session(id_);
  v1::CloseSessionResponse response;
  grpc::ClientContext context;
  client_->Prepare(&context, route_);
  return client_->ToStatus(CloseSessionRpc::Sync(client_->stub(), &context, request, &response));
}

// ---- the two call forms ----

std::string SessionCore::NextRequestId() {
  return absl::StrCat(request_id_prefix_, "-",
                      next_request_id_.fetch_add(1, std::memory_order_relaxed));
}

template <typename Rpc>
void SessionCore::GiveRequestId(typename Rpc::Request* request) {
  if constexpr (kRetry<Rpc> == Retry::kWithId) {
    if (client_->options().retry && request->request_id().empty()) {
      request->set_request_id(NextRequestId());
    }
  }
}

template <typename Rpc>
absl::Status SessionCore::Invoke(typename Rpc::Request* request, typename Rpc::Response* response) {
  absl::StatusOr<OperationScope> scope = Begin();
  if (!scope.ok()) return scope.status();
  request->set_session(id_);
  GiveRequestId<Rpc>(request);
  const absl::Time deadline = absl::Now() + client_->options().timeout;
  absl::Duration backoff = client_->options().retry_backoff;
  for (;;) {
    absl::Status status = InvokeOnce<Rpc>(*request, response, deadline);
    if (!WorthRetrying<Rpc>(client_->options(), status, deadline, backoff)) return status;
    absl::SleepFor(backoff);
    backoff = NextBackoff(backoff);
  }
}

template <typename Rpc>
absl::Status SessionCore::InvokeOnce(const typename Rpc::Request& request,
                                     typename Rpc::Response* response, absl::Time deadline) {
  if (StreamChannel* stream = client_->stream(route_)) {
    // The broker answers the frame's timeout itself; waiting a little
    // longer bounds a broker that keeps the connection but no longer
    // answers. The answer may then still come: it lands in `wait`, which
    // the callback keeps alive.
    struct Wait {
      std::promise<absl::Status> answered;
      typename Rpc::Response response;
    };
    auto wait = std::make_shared<Wait>();
    std::future<absl::Status> answer = wait->answered.get_future();
    SendOnStream<Rpc>(*stream, deadline, request, &wait->response,
                      [wait](absl::Status s) { wait->answered.set_value(std::move(s)); });
    const absl::Duration bound = deadline - absl::Now() + absl::Seconds(5);
    if (answer.wait_for(absl::ToChronoMilliseconds(bound)) != std::future_status::ready) {
      return absl::DeadlineExceededError(
          "orb: no answer from the broker within the client's timeout");
    }
    absl::Status status = answer.get();
    if (status.ok()) response->Swap(&wait->response);
    return status;
  }
  grpc::ClientContext context;
  client_->Prepare(&context, route_, deadline);
  return client_->ToStatus(Rpc::Sync(client_->stub(), &context, request, response));
}

template <typename Rpc, typename R, typename Map>
void SessionCore::InvokeAsync(typename Rpc::Request request,
                              std::shared_ptr<const void> keep_alive, Map map,
                              Callback<R> done) {
  absl::StatusOr<OperationScope> scope = Begin();
  if (!scope.ok()) {
    done(scope.status());
    return;
  }
  auto call = std::make_shared<AsyncCall<Rpc, R>>();
  call->request = std::move(request);
  call->request.set_session(id_);
  GiveRequestId<Rpc>(&call->request);
  call->scope.emplace(*std::move(scope));
  call->keep_alive = std::move(keep_alive);
  call->deadline = absl::Now() + client_->options().timeout;
  call->backoff = client_->options().retry_backoff;
  call->map = std::move(map);
  call->done = std::move(done);
  TryAsync(std::move(call));
}

template <typename Rpc, typename R>
void SessionCore::TryAsync(std::shared_ptr<AsyncCall<Rpc, R>> call) {
  std::shared_ptr<SessionCore> self = shared_from_this();
  // The end of one try: the answer, or another try after the back-off.
  auto tried = [self, call](absl::Status status) {
    if (WorthRetrying<Rpc>(self->client_->options(), status, call->deadline, call->backoff)) {
      const absl::Duration wait = call->backoff;
      call->backoff = NextBackoff(call->backoff);
      MutexHold lock(&RetryHandoff());
      call->alarm = std::make_unique<grpc::Alarm>();
      // The callback moves its `call` out: the alarm, which the call owns,
      // keeps the callback, and must not keep the call alive in a cycle.
      call->alarm->Set(absl::ToChronoTime(absl::Now() + wait),
                       [self, call](bool) mutable {
                         { MutexHold seen(&RetryHandoff()); }
                         std::shared_ptr<AsyncCall<Rpc, R>> next = std::move(call);
                         self->TryAsync(std::move(next));
                       });
      return;
    }
    absl::StatusOr<R> result =
        status.ok() ? call->map(*self, call->response) : absl::StatusOr<R>(status);
    // Counted as finished before the callback runs, so a callback may close
    // the session without waiting for itself; and the target is let go
    // first, so that a Ref whose last copy the caller drops after the
    // answer is queued for release before the caller can Flush().
    call->scope.reset();
    call->keep_alive.reset();
    Callback<R> done = std::move(call->done);
    done(std::move(result));
  };
  if (StreamChannel* stream = client_->stream(route_)) {
    SendOnStream<Rpc>(*stream, call->deadline, call->request, &call->response, tried);
    return;
  }
  call->try_context = std::make_unique<grpc::ClientContext>();
  client_->Prepare(call->try_context.get(), route_, call->deadline);
  Rpc::Async(client_->stub(), call->try_context.get(), &call->request, &call->response,
             [self, tried](grpc::Status status) { tried(self->client_->ToStatus(status)); });
}

// ---- the operations ----

absl::StatusOr<Value> SessionCore::Get(const Target& target, absl::string_view name) {
  v1::GetAttrRequest request;
  request.set_handle(target->id);
  request.set_name(std::string(name));
  v1::GetAttrResponse response;
  absl::Status status = Invoke<GetAttrRpc>(&request, &response);
  if (!status.ok()) return status;
  return FromProto(response.value());
}

void SessionCore::GetAsync(const Target& target, absl::string_view name, Callback<Value> done) {
  v1::GetAttrRequest request;
  request.set_handle(target->id);
  request.set_name(std::string(name));
  InvokeAsync<GetAttrRpc, Value>(
      std::move(request), target,
      [](SessionCore& self, v1::GetAttrResponse& r) -> absl::StatusOr<Value> {
        return self.FromProto(r.value());
      },
      std::move(done));
}

absl::Status SessionCore::Set(const Target& target, absl::string_view name, const Value& value) {
  v1::SetAttrRequest request;
  request.set_handle(target->id);
  request.set_name(std::string(name));
  absl::Status converted = ToProto(value, request.mutable_value());
  if (!converted.ok()) return converted;
  v1::SetAttrResponse response;
  return Invoke<SetAttrRpc>(&request, &response);
}

void SessionCore::SetAsync(const Target& target, absl::string_view name, Value value,
                           StatusCallback done) {
  v1::SetAttrRequest request;
  request.set_handle(target->id);
  request.set_name(std::string(name));
  absl::Status converted = ToProto(value, request.mutable_value());
  if (!converted.ok()) {
    done(converted);
    return;
  }
  // The value's Refs stay alive until the broker has answered.
  auto keep = std::make_shared<std::pair<Target, Value>>(target, std::move(value));
  InvokeAsync<SetAttrRpc, NoValue>(
      std::move(request), keep,
      [](SessionCore&, v1::SetAttrResponse&) -> absl::StatusOr<NoValue> { return NoValue(); },
      [done = std::move(done)](absl::StatusOr<NoValue> r) { done(r.status()); });
}

absl::Status SessionCore::Del(const Target& target, absl::string_view name) {
  v1::DelAttrRequest request;
  request.set_handle(target->id);
  request.set_name(std::string(name));
  v1::DelAttrResponse response;
  return Invoke<DelAttrRpc>(&request, &response);
}

void SessionCore::DelAsync(const Target& target, absl::string_view name, StatusCallback done) {
  v1::DelAttrRequest request;
  request.set_handle(target->id);
  request.set_name(std::string(name));
  InvokeAsync<DelAttrRpc, NoValue>(
      std::move(request), target,
      [](SessionCore&, v1::DelAttrResponse&) -> absl::StatusOr<NoValue> { return NoValue(); },
      [done = std::move(done)](absl::StatusOr<NoValue> r) { done(r.status()); });
}

namespace {
absl::Status FillCall(const SessionCore& session, const std::vector<Value>& args,
                      const std::map<std::string, Value>& kwargs, v1::CallRequest* request) {
  for (size_t i = 0; i < args.size(); ++i) {
    absl::Status s = session.ToProto(args[i], request->add_args());
    if (!s.ok()) return Within(s, absl::StrCat("argument ", i));
  }
  for (const auto& [key, value] : kwargs) {
    absl::Status s = session.ToProto(value, &(*request->mutable_kwargs())[key]);
    if (!s.ok()) return Within(s, absl::StrCat("argument '", key, "'"));
  }
  return absl::OkStatus();
}
}  // namespace

absl::StatusOr<Value> SessionCore::Call(const Target& target, absl::string_view name,
                                        const std::vector<Value>& args,
                                        const std::map<std::string, Value>& kwargs,
                                        bool by_value) {
  v1::CallRequest request;
  request.set_handle(target->id);
  request.set_name(std::string(name));
  request.set_by_value(by_value);
  absl::Status filled = FillCall(*this, args, kwargs, &request);
  if (!filled.ok()) return filled;
  v1::CallResponse response;
  absl::Status status = Invoke<CallRpc>(&request, &response);
  if (!status.ok()) return status;
  return FromProto(response.result());
}

void SessionCore::CallAsync(const Target& target, absl::string_view name,
                            std::vector<Value> args, std::map<std::string, Value> kwargs,
                            bool by_value, Callback<Value> done) {
  v1::CallRequest request;
  request.set_handle(target->id);
  request.set_name(std::string(name));
  request.set_by_value(by_value);
  absl::Status filled = FillCall(*this, args, kwargs, &request);
  if (!filled.ok()) {
    done(filled);
    return;
  }
  struct Kept {
    Target target;
    std::vector<Value> args;
    std::map<std::string, Value> kwargs;
  };
  auto keep = std::make_shared<Kept>(Kept{target, std::move(args), std::move(kwargs)});
  InvokeAsync<CallRpc, Value>(
      std::move(request), keep,
      [](SessionCore& self, v1::CallResponse& r) -> absl::StatusOr<Value> {
        return self.FromProto(r.result());
      },
      std::move(done));
}

absl::StatusOr<std::map<std::string, Value>> SessionCore::GetMany(
    const Target& target, const std::vector<std::string>& names) {
  v1::GetAttrsRequest request;
  request.set_handle(target->id);
  for (const std::string& name : names) request.add_names(name);
  v1::GetAttrsResponse response;
  absl::Status status = Invoke<GetAttrsRpc>(&request, &response);
  if (!status.ok()) return status;
  std::map<std::string, Value> values;
  for (const auto& [name, value] : response.values()) values.emplace(name, FromProto(value));
  return values;
}

absl::Status SessionCore::RunBatch(v1::BatchRequest* request, v1::BatchResponse* response) {
  return Invoke<BatchRpc>(request, response);
}

absl::StatusOr<Description> SessionCore::Describe(const Target& target) {
  v1::DescribeRequest request;
  request.set_handle(target->id);
  v1::DescribeResponse response;
  absl::Status status = Invoke<DescribeRpc>(&request, &response);
  if (!status.ok()) return status;
  return DescriptionOf(response);
}

void SessionCore::DescribeAsync(const Target& target, Callback<Description> done) {
  v1::DescribeRequest request;
  request.set_handle(target->id);
  InvokeAsync<DescribeRpc, Description>(
      std::move(request), target,
      [](SessionCore&, v1::DescribeResponse& r) -> absl::StatusOr<Description> {
        return DescriptionOf(r);
      },
      std::move(done));
}

absl::StatusOr<Ref> SessionCore::Restrict(const Target& target, const Restriction& keep) {
  v1::RestrictRequest request;
  request.set_handle(target->id);
  FillRestriction(keep, &request);
  v1::RestrictResponse response;
  absl::Status status = Invoke<RestrictRpc>(&request, &response);
  if (!status.ok()) return status;
  return MakeRef(response.handle());
}

void SessionCore::RestrictAsync(const Target& target, const Restriction& keep,
                                Callback<Ref> done) {
  v1::RestrictRequest request;
  request.set_handle(target->id);
  FillRestriction(keep, &request);
  InvokeAsync<RestrictRpc, Ref>(
      std::move(request), target,
      [](SessionCore& self, v1::RestrictResponse& r) -> absl::StatusOr<Ref> {
        return self.MakeRef(r.handle());
      },
      std::move(done));
}

absl::StatusOr<std::vector<HandleInfo>> SessionCore::ListHandles() {
  v1::ListHandlesRequest request;
  v1::ListHandlesResponse response;
  absl::Status status = Invoke<ListHandlesRpc>(&request, &response);
  if (!status.ok()) return status;
  std::vector<HandleInfo> out;
  for (const auto& h : response.handles()) {
    out.push_back({h.ref().id(), h.ref().type_name(), h.ref().is_class(), h.references(),
                   h.restricted()});
  }
  return out;
}

absl::Status SessionCore::KeepAlive() {
  v1::KeepAliveRequest request;
  v1::KeepAliveResponse response;
  return Invoke<KeepAliveRpc>(&request, &response);
}

}  // namespace client_internal
}  // namespace client
}  // namespace orb
