#include "broker/service/stream_reactor.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/sync.h"
#include "broker/service/credentials.h"
#include "broker/service/route_header.h"
#include "broker/service/request_parser.h"
#include "broker/service/status_convert.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "grpcpp/support/proto_buffer_writer.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "orb/broker/errors.h"
#include "orb/v1/error_details.pb.h"

namespace orb::broker {
namespace {

using google::protobuf::internal::WireFormatLite;

// The id and the operation field of a frame that does not parse as a whole,
// read off its top-level fields as far as they go.
struct FrameHead {
  uint64_t id = 0;
  int operation_field = 0;
};

FrameHead ScanFrameHead(const grpc::ByteBuffer& bytes) {
  FrameHead head;
  std::vector<grpc::Slice> slices;
  if (!bytes.Dump(&slices).ok()) return head;
  std::string flat;
  for (const grpc::Slice& slice : slices) {
    flat.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  google::protobuf::io::CodedInputStream input(reinterpret_cast<const uint8_t*>(flat.data()),
                                               static_cast<int>(flat.size()));
  while (uint32_t tag = input.ReadTag()) {
    const int field = WireFormatLite::GetTagFieldNumber(tag);
    if (field == v1::StreamRequest::kIdFieldNumber &&
        WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_VARINT) {
      if (!input.ReadVarint64(&head.id)) break;
      continue;
    }
    if (WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED &&
        v1::StreamRequest::descriptor()->FindFieldByNumber(field) != nullptr &&
        v1::StreamRequest::descriptor()->FindFieldByNumber(field)->containing_oneof() !=
            nullptr) {
      head.operation_field = field;
    }
    if (!WireFormatLite::SkipField(&input, tag)) break;
  }
  return head;
}

absl::Status NoOperation(uint64_t id) {
  return WithErrorInfo(
      absl::InvalidArgumentError(absl::StrCat(
          "stream frame ", id,
          " names no operation: set exactly one of open_session, close_session, keep_alive, "
          "get_attr, set_attr, del_attr, call, release, list_handles, describe, restrict, "
          "batch, get_attrs or cancel")),
      v1::MALFORMED_REQUEST, v1::GATE_ARGUMENTS);
}

absl::Status DuplicateId(uint64_t id) {
  return WithErrorInfo(
      absl::InvalidArgumentError(absl::StrCat(
          "operation id ", id,
          " is already in flight on this stream; this frame did nothing (the earlier operation "
          "is answered as usual). Give each operation in flight its own id")),
      v1::DUPLICATE_OPERATION_ID, v1::GATE_ARGUMENTS);
}

v1::StreamResponse ErrorAnswer(uint64_t id, const absl::Status& status) {
  v1::StreamResponse answer;
  answer.set_id(id);
  ToOperationError(status, answer.mutable_error());
  return answer;
}

}  // namespace

StreamReactor::StreamReactor(OperationRunner* runner, grpc::CallbackServerContext* context,
                             bool peer_certificates_verified)
    : runner_(runner),
      context_(context),
      peer_certificates_verified_(peer_certificates_verified),
      peer_(context->peer()),
      stream_timer_(runner->stats(), RpcStats::kStreamCall) {
  policy::PolicyPtr policy = runner_->core()->policy();
  credentials_ = ExtractCredentials(*context_, peer_certificates_verified_);
  absl::StatusOr<policy::Identity> identity =
      runner_->Authenticate(*policy, credentials_, peer_, "Stream");
  absl::StatusOr<std::string> route =
      identity.ok() ? ReadRouteHeader(*context_) : absl::StatusOr<std::string>(std::string());
  if (const absl::Status refused = !identity.ok() ? identity.status() : route.status();
      !refused.ok()) {
    {
      MutexHold lock(&mu_);
      finished_ = true;
    }
    stream_timer_.Record(static_cast<int>(refused.code()));
    Finish(ToGrpcStatus(refused));
    return;
  }
  route_ = *std::move(route);
  identity_ = *std::move(identity);
  identity_policy_ = policy;
  const uint32_t limit = policy->limits().max_stream_operations_in_flight;
  {
    MutexHold lock(&mu_);
    limit_ = limit;
    reading_ = true;
  }
  // Sent at once, so that a client knows how many operations it may keep
  // in flight before its first answer.
  context_->AddInitialMetadata(std::string(kOperationsInFlightHeader), std::to_string(limit));
  StartSendInitialMetadata();
  StartRead(&frame_bytes_);
}

void StreamReactor::OnReadDone(bool ok) {
  SeeHandOver();
  Next next;
  if (!ok) {
    {
      MutexHold lock(&mu_);
      reading_ = false;
      reads_done_ = true;
      next = Advance();
    }
    Do(std::move(next));
    return;
  }
  auto frame = std::make_unique<Frame>();
  frame->parsed = ParseRequest(frame_bytes_, &frame->request).ok();
  if (!frame->parsed) frame->bytes.Swap(&frame_bytes_);
  frame_bytes_.Clear();
  if (frame->parsed && frame->request.operation_case() == v1::StreamRequest::kCancel) {
    CancelOperation(frame->request.id());
    frame.reset();
  }
  bool draining = false;
  if (frame != nullptr && runner_->calls() != nullptr && runner_->calls()->draining()) {
    // The broker is shutting down: this frame and every later one is not
    // run; the stream ends UNAVAILABLE once what runs has been answered.
    frame.reset();
    draining = true;
  }
  const uint32_t limit = runner_->core()->policy()->limits().max_stream_operations_in_flight;
  bool start_now = false;
  {
    MutexHold lock(&mu_);
    limit_ = limit;
    if (draining) {
      draining_ = true;
      reads_done_ = true;
    }
    if (frame != nullptr && unanswered_ < limit_) {
      // reading_ stays set while this thread starts the frame: no read and
      // no held frame starts meanwhile.
      start_now = true;
    } else {
      held_ = std::move(frame);
      reading_ = false;
      next = Advance();
    }
  }
  if (start_now) {
    Dispatch(std::move(*frame));
    MutexHold lock(&mu_);
    reading_ = false;
    next = Advance();
  }
  Do(std::move(next));
}

void StreamReactor::Dispatch(Frame frame) {
  if (frame.parsed) {
    DispatchParsed(std::move(frame.request));
  } else {
    AnswerMalformed(frame.bytes);
  }
}

void StreamReactor::CancelOperation(uint64_t id) {
  MutexHold lock(&mu_);
  auto it = in_flight_.find(id);
  if (it != in_flight_.end()) it->second->store(true);
}

void StreamReactor::AnswerMalformed(const grpc::ByteBuffer& bytes) {
  const FrameHead head = ScanFrameHead(bytes);
  std::string type = v1::StreamRequest::descriptor()->full_name();
  if (head.operation_field != 0) {
    type = v1::StreamRequest::descriptor()
               ->FindFieldByNumber(head.operation_field)
               ->message_type()
               ->full_name();
  }
  {
    MutexHold lock(&mu_);
    ++unanswered_;
  }
  Answer(head.id, /*forget_id=*/false, ErrorAnswer(head.id, MalformedRequest(type)));
}

absl::StatusOr<policy::Identity> StreamReactor::IdentityUnder(const policy::PolicyPtr& policy) {
  if (policy == identity_policy_ && identity_.method != "ticket") {
    return identity_;
  }
  absl::StatusOr<policy::Identity> identity =
      runner_->Authenticate(*policy, credentials_, peer_, "Stream");
  if (!identity.ok()) return identity.status();
  identity_ = *identity;
  identity_policy_ = policy;
  return identity;
}

RequestContext StreamReactor::ContextFor(const v1::StreamRequest& frame,
                                         policy::PolicyPtr policy, policy::Identity identity,
                                         CancelFlag cancelled) const {
  RequestContext context;
  context.identity = std::move(identity);
  context.deadline = absl::FromChrono(context_->deadline());
  if (frame.timeout_ms() != 0) {
    context.deadline =
        std::min(context.deadline, absl::Now() + absl::Milliseconds(frame.timeout_ms()));
  }
  context.is_cancelled = [stream = &stream_cancelled_, cancelled = std::move(cancelled)] {
    return cancelled->load(std::memory_order_relaxed) || stream->load(std::memory_order_relaxed);
  };
  if (runner_->core()->records_peers(policy.get())) context.peer = peer_;
  context.policy = std::move(policy);
  context.route = route_;
  return context;
}

void StreamReactor::DispatchParsed(v1::StreamRequest frame) {
  const uint64_t id = frame.id();
  auto cancelled = std::make_shared<std::atomic<bool>>(false);
  bool duplicate = false;
  {
    MutexHold lock(&mu_);
    ++unanswered_;
    duplicate = !in_flight_.emplace(id, cancelled).second;
  }
  if (duplicate) {
    Answer(id, /*forget_id=*/false, ErrorAnswer(id, DuplicateId(id)));
    return;
  }
  if (frame.operation_case() == v1::StreamRequest::OPERATION_NOT_SET) {
    Answer(id, /*forget_id=*/true, ErrorAnswer(id, NoOperation(id)));
    return;
  }
  // One policy snapshot for the whole operation, as for a unary call.
  policy::PolicyPtr policy = runner_->core()->policy();
  absl::StatusOr<policy::Identity> identity = IdentityUnder(policy);
  if (!identity.ok()) {
    Answer(id, /*forget_id=*/true, ErrorAnswer(id, identity.status()));
    return;
  }
  RequestContext context =
      ContextFor(frame, std::move(policy), *std::move(identity), std::move(cancelled));
  switch (frame.operation_case()) {
#define ORB_STREAM_OPERATION(Name, field, Threads)                                          \
  case v1::StreamRequest::k##Name:                                                           \
    Start(id, RpcStats::OnStream(RpcStats::k##Name), std::move(context),                     \
          std::move(*frame.mutable_##field()), MemberThreads::Threads, &BrokerCore::Name,    \
          &v1::StreamResponse::mutable_##field);                                             \
    return;
    ORB_BROKER_OPERATIONS(ORB_STREAM_OPERATION)
#undef ORB_STREAM_OPERATION
    default:
      // A oneof field added to the proto and not to the list.
      Answer(id, /*forget_id=*/true, ErrorAnswer(id, NoOperation(id)));
      return;
  }
}

template <typename Request, typename Response>
void StreamReactor::Start(
    uint64_t id, int series, RequestContext context, Request request, MemberThreads threads,
    absl::Status (BrokerCore::*method)(const RequestContext&, const Request&, Response*),
    Response* (v1::StreamResponse::*answer_field)()) {
  const RpcTimer timer(runner_->stats(), series);
  runner_->Run(std::move(context), std::move(request), threads, method,
               CallsInFlight::Enter(runner_->calls()),
               [this, id, answer_field, timer](const absl::Status& result, Response& response) {
                 timer.Record(static_cast<int>(result.code()));
                 if (!result.ok()) {
                   Answer(id, /*forget_id=*/true, ErrorAnswer(id, result));
                   return;
                 }
                 v1::StreamResponse answer;
                 answer.set_id(id);
                 (answer.*answer_field)()->Swap(&response);
                 Answer(id, /*forget_id=*/true, answer);
               });
}

void StreamReactor::Answer(uint64_t id, bool forget_id, const v1::StreamResponse& answer) {
  grpc::ByteBuffer bytes;
  bool own_buffer = false;
  const grpc::Status serialized =
      grpc::SerializationTraits<v1::StreamResponse>::Serialize(answer, &bytes, &own_buffer);
  Next next;
  {
    MutexHold lock(&mu_);
    if (forget_id) in_flight_.erase(id);
    if (broken_ || !serialized.ok()) {
      // Nobody will read it: the stream is gone (or the answer could not be
      // encoded, which a valid response never is).
      --unanswered_;
    } else {
      writes_.push_back(std::move(bytes));
    }
    next = Advance();
  }
  Do(std::move(next));
}

void StreamReactor::OnWriteDone(bool ok) {
  Next next;
  {
    MutexHold lock(&mu_);
    writing_ = false;
    writes_.pop_front();
    --unanswered_;
    if (!ok) {
      // The stream is gone: what is queued is never read.
      broken_ = true;
      unanswered_ -= static_cast<uint32_t>(writes_.size());
      writes_.clear();
    }
    next = Advance();
  }
  Do(std::move(next));
}

void StreamReactor::OnCancel() {
  Next next;
  {
    MutexHold lock(&mu_);
    stream_cancelled_.store(true);
    for (auto& [id, flag] : in_flight_) flag->store(true);
    next = Advance();
  }
  Do(std::move(next));
}

StreamReactor::Next StreamReactor::Advance() {
  Next next;
  if (finished_) return next;
  const bool cancelled = stream_cancelled_.load();
  if (held_ != nullptr && runner_->calls() != nullptr && runner_->calls()->draining()) {
    // Not started once the drain began (see OnReadDone).
    held_.reset();
    draining_ = true;
    reads_done_ = true;
  }
  if (cancelled || broken_) {
    // Never to be written, never to be started: the stream is gone.
    held_.reset();
    if (!writing_) {
      unanswered_ -= static_cast<uint32_t>(writes_.size());
      writes_.clear();
    }
  }
  if (!writing_ && !writes_.empty()) {
    writing_ = true;
    next.write = &writes_.front();
    next.more_behind = writes_.size() > 1;
  }
  if (held_ != nullptr && !reading_ && unanswered_ < limit_) {
    // The held frame now has room; the thread that starts it is the reader
    // until it has.
    reading_ = true;
    next.dispatch = std::move(held_);
  } else if (held_ == nullptr && !reading_ && !reads_done_ && !broken_ && !cancelled) {
    reading_ = true;
    next.read = true;
  }
  const bool no_more_frames = reads_done_ || broken_ || cancelled;
  if (no_more_frames && held_ == nullptr && !reading_ && !writing_ && unanswered_ == 0) {
    finished_ = true;
    next.finish = true;
    if (cancelled || broken_) {
      next.status = grpc::Status(grpc::StatusCode::CANCELLED, "the stream was cancelled");
    } else if (draining_) {
      next.status = grpc::Status(
          grpc::StatusCode::UNAVAILABLE,
          "the broker is shutting down: every operation answered on this stream ran; those "
          "not answered did not run. Send them again on a new stream");
    } else {
      next.status = grpc::Status::OK;
    }
  }
  return next;
}

void StreamReactor::Do(Next next) {
  // `writes_.front()` stays put until OnWriteDone pops it: a deque keeps
  // its elements where they are when others are added at the back.
  if (next.write != nullptr) {
    StartWrite(next.write,
               next.more_behind ? grpc::WriteOptions().set_buffer_hint() : grpc::WriteOptions());
  }
  if (next.dispatch != nullptr) {
    Dispatch(std::move(*next.dispatch));
    Next after;
    {
      MutexHold lock(&mu_);
      reading_ = false;
      after = Advance();
    }
    Do(std::move(after));
  }
  if (next.read) StartRead(&frame_bytes_);
  if (next.finish) {
    stream_timer_.Record(static_cast<int>(next.status.error_code()));
    Finish(next.status);
  }
}

void StreamReactor::SeeHandOver() { MutexHold lock(&mu_); }

void StreamReactor::OnDone() {
  SeeHandOver();
  delete this;
}

}  // namespace orb::broker
