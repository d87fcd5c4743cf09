// StreamChannel: one orb.v1.ObjectBroker/Stream per Client, carrying the
// operations of every session of that Client from any thread.
//
// Send() gives the frame an id of its own, writes it (one write at a time,
// the rest queued in order), and calls `done` with the answer of that id,
// or with an error when the stream ends first. A read is always
// outstanding; answers may come in any order. When the stream ends (the
// broker went away, a network error, a drain), every operation still
// waiting fails with UNAVAILABLE — its effect on the broker is unknown, as
// for a unary call cut off mid-flight — and the next Send() opens a new
// stream.
//
// Thread safety: Send() may be called from any thread; `done` runs on a
// gRPC thread (or the caller's, for a stream that cannot start).
// Ownership: ClientCore owns the channel; each open stream (Connection)
// keeps itself alive until gRPC is done with it, and holds the channel
// only weakly.
#ifndef ORB_CLIENT_SRC_STREAM_CHANNEL_H_
#define ORB_CLIENT_SRC_STREAM_CHANNEL_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "orb/v1/broker.grpc.pb.h"

namespace orb {
namespace client {
namespace client_internal {

class StreamChannel {
 public:
  using Done = std::function<void(absl::StatusOr<v1::StreamResponse>)>;
  // Sets up the stream's call (credentials metadata, no deadline: the
  // stream lives as long as it is used; each frame carries its own).
  using Prepare = std::function<void(grpc::ClientContext*)>;

  StreamChannel(v1::ObjectBroker::Stub* stub, Prepare prepare)
      : stub_(stub), prepare_(std::move(prepare)) {}
  ~StreamChannel();
  StreamChannel(const StreamChannel&) = delete;
  StreamChannel& operator=(const StreamChannel&) = delete;

  // Sends `frame` (its id is set here) and calls `done` once: with the
  // answer (the broker answers a frame's own timeout_ms itself), or with
  // UNAVAILABLE when the stream ends first. A broker that keeps the
  // connection but never answers leaves `done` waiting; the blocking
  // operations bound their own wait (session_core.cc).
  void Send(v1::StreamRequest frame, Done done) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  class Connection;
  v1::ObjectBroker::Stub* const stub_;
  const Prepare prepare_;
  absl::Mutex mu_;
  std::shared_ptr<Connection> open_ ABSL_GUARDED_BY(mu_);
};

}  // namespace client_internal
}  // namespace client
}  // namespace orb

#endif  // ORB_CLIENT_SRC_STREAM_CHANNEL_H_
