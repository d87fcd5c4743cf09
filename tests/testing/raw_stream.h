// A blocking client for one orb.v1.ObjectBroker/Stream call that sends and
// receives raw frame bytes, for tests that must send what no generated stub
// would (frames that do not parse, strings that are not UTF-8) and that
// need to watch reads and writes separately (back-pressure).
//
// Built on gRPC's generic async API: one completion queue per stream; each
// method waits for its own operation and keeps what else completed
// meanwhile. At most one read and one write are outstanding, as gRPC asks.
//
// Thread safety: one thread per RawStream.
#ifndef ORB_TESTS_TESTING_RAW_STREAM_H_
#define ORB_TESTS_TESTING_RAW_STREAM_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "orb/v1/broker.pb.h"

namespace orb::testing {

class RawStream {
 public:
  // Opens the stream on `channel` with `metadata` (e.g. authorization) and
  // a deadline `deadline` from now. Errors surface in Finish(). `method`:
  // another streaming method's path (e.g. "/orb.v1.ObjectBroker/Watch",
  // whose one request is then the one Write before WritesDone(); Read()
  // then takes that method's response type).
  RawStream(const std::shared_ptr<grpc::Channel>& channel,
            const std::vector<std::pair<std::string, std::string>>& metadata,
            absl::Duration deadline = absl::Seconds(30),
            const std::string& method = "/orb.v1.ObjectBroker/Stream");
  ~RawStream();
  RawStream(const RawStream&) = delete;
  RawStream& operator=(const RawStream&) = delete;

  // Sends one frame and waits until gRPC has taken it. False when the
  // stream is over (then see Finish()).
  bool Write(const std::string& frame_bytes);
  bool Write(const v1::StreamRequest& frame) { return Write(frame.SerializeAsString()); }
  // Half-closes: no more frames.
  bool WritesDone();

  // Waits up to `wait` for the next answer. Returns true with *answer set;
  // false at the end of the stream or when `wait` passed (*timed_out tells
  // which; a read still under way is picked up by the next call).
  bool Read(google::protobuf::Message* answer, absl::Duration wait = absl::Seconds(30),
            bool* timed_out = nullptr);

  // Cancels the call from the client's side.
  void Cancel() { context_.TryCancel(); }
  // The server's initial metadata entry `key` ("" when absent). Waits for
  // the initial metadata when it has not yet come.
  std::string InitialMetadata(const std::string& key);
  // Ends the call (half-closing first when not yet done) and returns its
  // status; drains answers still in flight.
  grpc::Status Finish();

 private:
  enum Tag : intptr_t { kStart = 1, kWrite, kWritesDone, kRead, kFinish, kMetadata };
  // Waits for `tag` until `until`; false when `until` passed first. *ok is
  // the operation's outcome.
  bool Await(Tag tag, absl::Time until, bool* ok);

  grpc::GenericStub stub_;
  grpc::ClientContext context_;
  grpc::CompletionQueue queue_;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call_;
  bool started_ok_ = false;
  bool writes_done_ = false;
  bool read_pending_ = false;
  bool metadata_read_ = false;
  bool finished_ = false;
  grpc::Status status_;
  grpc::ByteBuffer read_buffer_;
  // Completions that arrived while waiting for another: (tag, ok).
  std::vector<std::pair<Tag, bool>> done_;
};

// The status a unary call would have returned for an operation's error
// answer: code, message, and the ErrorInfo in grpc-status-details-bin.
grpc::Status StatusOf(const v1::OperationError& error);

}  // namespace orb::testing

#endif  // ORB_TESTS_TESTING_RAW_STREAM_H_
