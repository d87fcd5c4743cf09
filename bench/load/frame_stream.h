// FrameStream: one client's long-lived bidi stream in orb-bench, for the
// orb Stream rows and their plain gRPC baseline (orb.bench.Echo/EchoStream)
// alike: messages are pre-serialized bytes, so both sides pay the same
// client-side cost.
//
// A round writes N messages back to back (several in flight) and ends once
// N answers have come; rounds follow one another (the driver's closed
// loop). A read is always outstanding.
//
// Thread safety: Round() must not be called while a round is running; the
// gRPC callbacks may run on any thread and take mu_.
// Ownership: the owner calls Close() and then destroys the stream; the
// callbacks never touch it after OnDone.
#ifndef ORB_BENCH_LOAD_FRAME_STREAM_H_
#define ORB_BENCH_LOAD_FRAME_STREAM_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"

namespace orb::bench {

class FrameStream final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  // Opens `method` (e.g. "/orb.v1.ObjectBroker/Stream") on `channel` with
  // `authorization` as metadata.
  FrameStream(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
              const std::string& authorization);
  ~FrameStream() override;

  // Writes every message of `messages` (which must outlive the round) and
  // calls done(status) once as many answers have come, or the stream
  // failed. `check` (optional) is given each answer's bytes; a non-OK
  // result fails the round.
  void Round(const std::vector<grpc::ByteBuffer>* messages,
             std::function<void(const grpc::Status&)> done,
             std::function<grpc::Status(const grpc::ByteBuffer&)> check = nullptr);

  // Half-closes and waits for the end of the call; returns its status.
  grpc::Status Close();

  void OnWriteDone(bool ok) override;
  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  void FailRound(const grpc::Status& status);
  void WriteAt(const std::vector<grpc::ByteBuffer>* messages, size_t index);

  grpc::GenericStub stub_;
  grpc::ClientContext context_;
  grpc::ByteBuffer answer_;

  absl::Mutex mu_;
  const std::vector<grpc::ByteBuffer>* messages_ ABSL_GUARDED_BY(mu_) = nullptr;
  size_t next_write_ ABSL_GUARDED_BY(mu_) = 0;  // the round's next message to write
  bool writing_ ABSL_GUARDED_BY(mu_) = false;    // a write is outstanding
  size_t answered_ ABSL_GUARDED_BY(mu_) = 0;
  std::function<void(const grpc::Status&)> done_ ABSL_GUARDED_BY(mu_);
  std::function<grpc::Status(const grpc::ByteBuffer&)> check_ ABSL_GUARDED_BY(mu_);
  grpc::Status round_status_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status final_status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace orb::bench

#endif  // ORB_BENCH_LOAD_FRAME_STREAM_H_
