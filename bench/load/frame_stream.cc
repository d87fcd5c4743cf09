#include "bench/load/frame_stream.h"

#include <chrono>
#include <utility>

#include "base/sync.h"

namespace orb::bench {

FrameStream::FrameStream(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                         const std::string& authorization)
    : stub_(channel) {
  context_.AddMetadata("authorization", authorization);
  stub_.PrepareBidiStreamingCall(&context_, method, grpc::StubOptions(), this);
  StartRead(&answer_);
  StartCall();
}

FrameStream::~FrameStream() = default;

void FrameStream::Round(const std::vector<grpc::ByteBuffer>* messages,
                        std::function<void(const grpc::Status&)> done,
                        std::function<grpc::Status(const grpc::ByteBuffer&)> check) {
  bool write_now = false;
  {
    MutexHold lock(&mu_);
    messages_ = messages;
    next_write_ = 0;
    answered_ = 0;
    done_ = std::move(done);
    check_ = std::move(check);
    round_status_ = grpc::Status::OK;
    // The last round's answers may all be in while gRPC has not yet
    // reported its last write done: then OnWriteDone starts this round.
    if (!writing_) {
      writing_ = true;
      next_write_ = 1;
      write_now = true;
    }
  }
  if (write_now) WriteAt(messages, 0);
}

void FrameStream::WriteAt(const std::vector<grpc::ByteBuffer>* messages, size_t index) {
  // All but the last of a round may wait for the next: gRPC then sends the
  // round in fewer, larger writes.
  const bool last = index + 1 == messages->size();
  StartWrite(&(*messages)[index],
             last ? grpc::WriteOptions() : grpc::WriteOptions().set_buffer_hint());
}

void FrameStream::OnWriteDone(bool ok) {
  const std::vector<grpc::ByteBuffer>* messages = nullptr;
  size_t index = 0;
  {
    MutexHold lock(&mu_);
    writing_ = false;
    if (!ok) return;  // the read side reports the failure
    if (messages_ != nullptr && next_write_ < messages_->size()) {
      messages = messages_;
      index = next_write_++;
      writing_ = true;
    }
  }
  if (messages != nullptr) WriteAt(messages, index);
}

void FrameStream::OnReadDone(bool ok) {
  if (!ok) {
    FailRound(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the stream ended mid-round"));
    return;
  }
  std::function<void(const grpc::Status&)> done;
  grpc::Status status;
  {
    MutexHold lock(&mu_);
    if (check_ != nullptr && round_status_.ok()) round_status_ = check_(answer_);
    if (messages_ != nullptr && ++answered_ == messages_->size()) {
      done = std::move(done_);
      status = round_status_;
      messages_ = nullptr;
    }
  }
  StartRead(&answer_);
  if (done) done(status);
}

void FrameStream::FailRound(const grpc::Status& status) {
  std::function<void(const grpc::Status&)> done;
  {
    MutexHold lock(&mu_);
    done = std::move(done_);
    messages_ = nullptr;
  }
  if (done) done(status);
}

grpc::Status FrameStream::Close() {
  StartWritesDone();
  MutexHold lock(&mu_);
  // Bounded: a broken server must not hang the benchmark.
  AwaitWithTimeout(&mu_, absl::Condition(&finished_), absl::Seconds(30));
  return finished_ ? final_status_
                   : grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "the stream did not end");
}

void FrameStream::OnDone(const grpc::Status& status) {
  MutexHold lock(&mu_);
  final_status_ = status;
  finished_ = true;
}

}  // namespace orb::bench
