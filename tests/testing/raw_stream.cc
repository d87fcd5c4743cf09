#include "tests/testing/raw_stream.h"

#include <algorithm>
#include <chrono>

#include "absl/time/clock.h"
#include "orb/v1/error_details.pb.h"
#include "orb/v1/type_urls.h"

namespace orb::testing {
namespace {

void* TagPointer(intptr_t tag) { return reinterpret_cast<void*>(tag); }

}  // namespace

RawStream::RawStream(const std::shared_ptr<grpc::Channel>& channel,
                     const std::vector<std::pair<std::string, std::string>>& metadata,
                     absl::Duration deadline, const std::string& method)
    : stub_(channel) {
  for (const auto& [key, value] : metadata) context_.AddMetadata(key, value);
  context_.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deadline));
  call_ = stub_.PrepareCall(&context_, method, &queue_);
  call_->StartCall(TagPointer(kStart));
  bool ok = false;
  started_ok_ = Await(kStart, absl::Now() + deadline, &ok) && ok;
}

RawStream::~RawStream() {
  if (!finished_) {
    context_.TryCancel();
    Finish();
  }
  queue_.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (queue_.Next(&tag, &ok)) {
  }
}

bool RawStream::Await(Tag tag, absl::Time until, bool* ok) {
  auto kept = std::find_if(done_.begin(), done_.end(),
                           [tag](const std::pair<Tag, bool>& d) { return d.first == tag; });
  if (kept != done_.end()) {
    *ok = kept->second;
    done_.erase(kept);
    return true;
  }
  for (;;) {
    void* got = nullptr;
    bool got_ok = false;
    const grpc::CompletionQueue::NextStatus next =
        queue_.AsyncNext(&got, &got_ok, absl::ToChronoTime(until));
    if (next != grpc::CompletionQueue::GOT_EVENT) return false;
    const Tag got_tag = static_cast<Tag>(reinterpret_cast<intptr_t>(got));
    if (got_tag == tag) {
      *ok = got_ok;
      return true;
    }
    done_.emplace_back(got_tag, got_ok);
  }
}

bool RawStream::Write(const std::string& frame_bytes) {
  if (!started_ok_ || writes_done_ || finished_) return false;
  grpc::Slice slice(frame_bytes);
  grpc::ByteBuffer buffer(&slice, 1);
  call_->Write(buffer, TagPointer(kWrite));
  bool ok = false;
  return Await(kWrite, absl::InfiniteFuture(), &ok) && ok;
}

bool RawStream::WritesDone() {
  if (!started_ok_ || writes_done_ || finished_) return false;
  writes_done_ = true;
  call_->WritesDone(TagPointer(kWritesDone));
  bool ok = false;
  return Await(kWritesDone, absl::InfiniteFuture(), &ok) && ok;
}

bool RawStream::Read(google::protobuf::Message* answer, absl::Duration wait, bool* timed_out) {
  if (timed_out != nullptr) *timed_out = false;
  if (!started_ok_ || finished_) return false;
  if (!read_pending_) {
    read_buffer_.Clear();
    call_->Read(&read_buffer_, TagPointer(kRead));
    read_pending_ = true;
  }
  bool ok = false;
  if (!Await(kRead, absl::Now() + wait, &ok)) {
    if (timed_out != nullptr) *timed_out = true;
    return false;
  }
  read_pending_ = false;
  metadata_read_ = true;  // a read brings the initial metadata first
  if (!ok) return false;
  std::vector<grpc::Slice> slices;
  if (!read_buffer_.Dump(&slices).ok()) return false;
  std::string bytes;
  for (const grpc::Slice& s : slices)
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return answer->ParseFromString(bytes);
}

std::string RawStream::InitialMetadata(const std::string& key) {
  if (!metadata_read_ && !read_pending_ && started_ok_) {
    call_->ReadInitialMetadata(TagPointer(kMetadata));
    bool ok = false;
    metadata_read_ = Await(kMetadata, absl::Now() + absl::Seconds(30), &ok) && ok;
  }
  if (!metadata_read_) return "";
  const auto& metadata = context_.GetServerInitialMetadata();
  auto it = metadata.find(key);
  return it == metadata.end() ? "" : std::string(it->second.data(), it->second.size());
}

grpc::Status RawStream::Finish() {
  if (finished_) return status_;
  if (!started_ok_) {
    // The call never started: Finish still reports why.
  } else if (!writes_done_) {
    WritesDone();
  }
  // Drain answers the test did not read: Finish waits for the end of the
  // server's stream.
  v1::StreamResponse ignored;
  while (started_ok_ && Read(&ignored)) {
  }
  call_->Finish(&status_, TagPointer(kFinish));
  bool ok = false;
  Await(kFinish, absl::InfiniteFuture(), &ok);
  finished_ = true;
  return status_;
}

grpc::Status StatusOf(const v1::OperationError& error) {
  v1::Status details;
  details.set_code(error.code());
  details.set_message(error.message());
  if (error.has_info()) {
    google::protobuf::Any* any = details.add_details();
    any->set_type_url(v1::kErrorInfoTypeUrl);
    any->set_value(error.info().SerializeAsString());
  }
  return grpc::Status(static_cast<grpc::StatusCode>(error.code()), error.message(),
                      details.SerializeAsString());
}

}  // namespace orb::testing
