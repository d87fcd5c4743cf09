#include "broker/service/watch_reactor.h"

#include <utility>

#include "base/sync.h"
#include "broker/service/credentials.h"
#include "broker/service/request_parser.h"
#include "broker/service/route_header.h"
#include "broker/service/status_convert.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "orb/broker/errors.h"

namespace orb::broker {

WatchReactor::WatchReactor(OperationRunner* runner, WorkerPool* reads,
                           grpc::CallbackServerContext* context, const grpc::ByteBuffer& request,
                           bool peer_certificates_verified)
    : runner_(runner),
      reads_(reads),
      peer_(context->peer()),
      timer_(runner->stats(), RpcStats::kWatchCall) {
  absl::StatusOr<std::shared_ptr<Watch>> watch = Start(context, request, peer_certificates_verified);
  {
    // Orders everything written here (this object and its gRPC base
    // included) before the threads that take mu_ next: a read, OnDone.
    MutexHold lock(&mu_);
    if (!watch.ok()) {
      // Not yet bound to its call, the reactor keeps this answer in its
      // gRPC base until the handler returns, so OnDone cannot run before
      // mu_ is released: finishing under mu_ orders the write before it.
      FinishWith(watch.status());
      return;
    }
    watch_ = *watch;
    started_ = true;
    reading_ = true;  // the first event
  }
  ScheduleRead();
}

absl::StatusOr<std::shared_ptr<Watch>> WatchReactor::Start(grpc::CallbackServerContext* context,
                                                          const grpc::ByteBuffer& request,
                                                          bool peer_certificates_verified) {
  v1::WatchRequest watch;
  absl::Status status = ParseRequest(request, &watch);
  if (!status.ok()) return status;
  policy::PolicyPtr policy = runner_->core()->policy();
  credentials_ = ExtractCredentials(*context, peer_certificates_verified);
  absl::StatusOr<policy::Identity> identity =
      runner_->Authenticate(*policy, credentials_, peer_, "Watch");
  if (!identity.ok()) return identity.status();
  absl::StatusOr<std::string> route = ReadRouteHeader(*context);
  if (!route.ok()) return route.status();
  identity_ = *identity;
  identity_policy_ = policy;
  RequestContext request_context;
  request_context.identity = *std::move(identity);
  request_context.route = *std::move(route);
  request_context.is_cancelled = [context] { return context->IsCancelled(); };
  if (runner_->core()->records_peers(policy.get())) request_context.peer = peer_;
  request_context.policy = std::move(policy);
  return runner_->core()->StartWatch(request_context, watch, [this] { Wake(); });
}

void WatchReactor::Wake() {
  {
    MutexHold lock(&mu_);
    // Before the constructor hands watch_ over, the first read is still to
    // be scheduled, and it reads what this wake announces.
    if (!started_ || end_.has_value() || finished_) return;
    if (reading_ || writing_) {
      woken_ = true;
      return;
    }
    reading_ = true;
  }
  ScheduleRead();
}

void WatchReactor::ScheduleRead() {
  if (reads_->Submit([this] { Read(); })) return;
  {
    MutexHold lock(&mu_);
    reading_ = false;
  }
  End(WithErrorInfo(absl::ResourceExhaustedError(
                        "the broker is busy: every method thread is running and the queue is "
                        "full, so the watch ended; watch again later"),
                    v1::BROKER_BUSY, v1::GATE_QUOTA));
}

absl::StatusOr<policy::Identity> WatchReactor::CurrentIdentity() {
  policy::PolicyPtr policy = runner_->core()->policy();
  if (policy == identity_policy_ && identity_.method != "ticket") return identity_;
  absl::StatusOr<policy::Identity> identity =
      runner_->Authenticate(*policy, credentials_, peer_, "Watch");
  if (!identity.ok()) return identity.status();
  identity_ = *identity;
  identity_policy_ = std::move(policy);
  return identity;
}

void WatchReactor::Read() {
  std::shared_ptr<Watch> watch;
  bool run = false;
  {
    MutexHold lock(&mu_);  // orders what the scheduling thread did before this
    watch = watch_;
    woken_ = false;
    run = !end_.has_value();
  }
  absl::StatusOr<std::optional<v1::WatchEvent>> next = std::nullopt;
  if (run) {
    absl::StatusOr<policy::Identity> identity = CurrentIdentity();
    if (identity.ok()) {
      next = watch->Next(*identity);
    } else {
      next = identity.status();
    }
  }
  bool write = false;
  bool again = false;
  std::optional<absl::Status> end;
  {
    MutexHold lock(&mu_);
    if (!end_.has_value()) {
      if (!next.ok()) {
        end_ = next.status();
      } else if (next->has_value()) {
        bool own_buffer = false;
        event_bytes_.Clear();  // the last write is done: no write is in flight
        grpc::SerializationTraits<v1::WatchEvent>::Serialize(**next, &event_bytes_, &own_buffer);
        writing_ = true;
        write = true;
      } else if (woken_) {
        woken_ = false;
        again = true;
      }
    }
    reading_ = again;
    if (!write && !again && TakeFinish()) end = *end_;
  }
  if (write) {
    StartWrite(&event_bytes_);
  } else if (again) {
    ScheduleRead();
  } else if (end.has_value()) {
    watch->Cancel();
    FinishWith(*end);
  }
}

void WatchReactor::OnWriteDone(bool ok) {
  std::optional<absl::Status> end;
  bool read = false;
  {
    MutexHold lock(&mu_);
    writing_ = false;
    if (!ok && !end_.has_value()) {
      end_ = absl::CancelledError("the watcher went away");
    }
    if (!end_.has_value() && woken_) {
      woken_ = false;
      reading_ = true;
      read = true;
    }
    if (!read && end_.has_value() && TakeFinish()) end = *end_;
  }
  if (read) {
    ScheduleRead();
  } else if (end.has_value()) {
    if (watch_ != nullptr) watch_->Cancel();
    FinishWith(*end);
  }
}

void WatchReactor::OnCancel() { End(absl::CancelledError("the watcher went away")); }

void WatchReactor::End(absl::Status status) {
  std::optional<absl::Status> end;
  std::shared_ptr<Watch> watch;
  {
    MutexHold lock(&mu_);
    if (!end_.has_value()) end_ = std::move(status);
    if (TakeFinish()) end = *end_;
    watch = watch_;
  }
  if (!end.has_value()) return;  // the running read or write finishes
  if (watch != nullptr) watch->Cancel();
  FinishWith(*end);
}

bool WatchReactor::TakeFinish() {
  if (finished_ || reading_ || writing_ || !end_.has_value()) return false;
  finished_ = true;
  return true;
}

void WatchReactor::FinishWith(const absl::Status& status) {
  timer_.Record(static_cast<int>(status.code()));
  Finish(ToGrpcStatus(status));
}

void WatchReactor::OnDone() {
  {
    MutexHold lock(&mu_);  // orders every earlier thread's work before the delete
  }
  delete this;
}

}  // namespace orb::broker
