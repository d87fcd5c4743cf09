// WatchCall (watch_call.h), orb::client::Subscription and
// SessionCore::Watch: the client side of ObjectBroker.Watch.
#include "client/src/watch_call.h"

#include <algorithm>
#include <utility>

#include "absl/time/clock.h"
#include "base/sync.h"

namespace orb {
namespace client {
namespace client_internal {

WatchCall::WatchCall(std::shared_ptr<SessionCore> session, std::shared_ptr<const RefState> target,
                     WatchEventCallback on_event, WatchEndCallback on_end)
    : session_(std::move(session)),
      target_(std::move(target)),
      on_event_(std::move(on_event)),
      on_end_(std::move(on_end)) {}

void WatchCall::Start(const ClientCore& client, v1::WatchRequest request) {
  request_ = std::move(request);
  // The same metadata as every call of the session, without a deadline.
  client.AddCredentials(&context_, session_->route());
  {
    // Under mu_: OnDone, on a gRPC thread, takes it back under mu_.
    MutexHold lock(&mu_);
    self_ = shared_from_this();
  }
  client.stub()->async()->Watch(&context_, &request_, this);
  StartRead(&event_);
  StartCall();
}

absl::StatusOr<Subscription> WatchCall::AwaitStart(absl::Duration timeout) {
  {
    MutexHold lock(&mu_);
    if (AwaitWithTimeout(&mu_, absl::Condition(this, &WatchCall::StartSettled), timeout)) {
      if (started_) return Subscription(shared_from_this());
      if (!end_.ok()) return end_;
      return absl::UnavailableError("orb: the watch ended before its first event");
    }
    // From now on the first event, should it still come, is not delivered.
    abandoned_ = true;
  }
  context_.TryCancel();
  MutexHold lock(&mu_);
  AwaitWithTimeout(&mu_, absl::Condition(this, &WatchCall::Finished), absl::InfiniteDuration());
  return absl::DeadlineExceededError(
      "orb: the watch did not start within the client's timeout (no first event, no answer)");
}

void WatchCall::Cancel() {
  bool wait = false;
  {
    MutexHold lock(&mu_);
    cancelled_ = true;
    // A callback cancelling its own watch would wait for itself.
    wait = !InOwnCallback();
  }
  context_.TryCancel();
  if (!wait) return;
  MutexHold lock(&mu_);
  AwaitWithTimeout(&mu_, absl::Condition(this, &WatchCall::Finished), absl::InfiniteDuration());
}

bool WatchCall::InOwnCallback() const {
  return callback_thread_ == std::this_thread::get_id();
}

WatchEvent WatchCall::Convert() {
  WatchEvent event;
  event.initial = event_.initial();
  for (const auto& [name, value] : event_.values()) {
    event.values.emplace(name, session_->FromProto(value));
  }
  event.dropped.assign(event_.dropped().begin(), event_.dropped().end());
  return event;
}

void WatchCall::OnReadDone(bool ok) {
  if (!ok) {
    // The call is ending; OnDone follows. Taking mu_ orders this reaction
    // after the previous one for ThreadSanitizer.
    MutexHold sync(&mu_);
    return;
  }
  bool deliver = false;
  {
    // gRPC hands the reactor between its threads out of ThreadSanitizer's
    // sight; taking mu_ first orders this after the last use.
    MutexHold lock(&mu_);
    if (!abandoned_) started_ = true;
    deliver = !abandoned_ && !cancelled_;
    if (deliver) callback_thread_ = std::this_thread::get_id();
  }
  if (deliver) on_event_(Convert());
  {
    MutexHold lock(&mu_);
    callback_thread_ = std::thread::id();
    event_.Clear();
  }
  // Only now the next read: the callbacks never overlap.
  StartRead(&event_);
}

void WatchCall::OnDone(const grpc::Status& status) {
  const absl::Status end = session_->client().ToStatus(status);
  bool deliver = false;
  {
    MutexHold lock(&mu_);
    ended_ = true;
    // A watch that never started tells its end to AwaitStart instead.
    deliver = started_;
    if (deliver) {
      callback_thread_ = std::this_thread::get_id();
    } else {
      end_ = end;
    }
  }
  if (deliver && on_end_) on_end_(end);
  std::shared_ptr<WatchCall> keep;
  {
    MutexHold lock(&mu_);
    callback_thread_ = std::thread::id();
    finished_ = true;
    keep = std::move(self_);
  }
  // `keep` goes last, here: it may delete this.
}

absl::StatusOr<Subscription> SessionCore::Watch(const Target& target,
                                                std::vector<std::string> names,
                                                WatchEventCallback on_event,
                                                WatchEndCallback on_end) {
  if (!on_event) return absl::InvalidArgumentError("orb: Watch needs an on_event callback");
  {
    // Fails once the session is closed, and sends queued releases along;
    // the watch itself is not an operation Close() waits for.
    absl::StatusOr<OperationScope> scope = Begin();
    if (!scope.ok()) return scope.status();
  }
  v1::WatchRequest request;
  request.set_session(id_);
  request.set_handle(target->id);
  for (std::string& name : names) request.add_names(std::move(name));
  const ClientOptions& options = client_->options();
  const absl::Time deadline = absl::Now() + options.timeout;
  absl::Duration backoff = options.retry_backoff;
  for (;;) {
    auto call = std::make_shared<WatchCall>(shared_from_this(), target, on_event, on_end);
    call->Start(*client_, request);
    absl::StatusOr<Subscription> started = call->AwaitStart(deadline - absl::Now());
    // A watch that never started changed nothing: after a lost connection
    // it is tried again, as the reads are.
    if (started.ok() || !options.retry ||
        started.status().code() != absl::StatusCode::kUnavailable ||
        absl::Now() + backoff >= deadline) {
      return started;
    }
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, absl::Seconds(1));
  }
}

}  // namespace client_internal

Subscription::Subscription(Subscription&&) noexcept = default;

Subscription& Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    Cancel();
    call_ = std::move(other.call_);
  }
  return *this;
}

Subscription::~Subscription() { Cancel(); }

void Subscription::Cancel() {
  std::shared_ptr<client_internal::WatchCall> call = std::move(call_);
  if (call != nullptr) call->Cancel();
}

}  // namespace client
}  // namespace orb
