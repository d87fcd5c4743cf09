// The baseline server of orb-bench: orb.bench.Echo on an ephemeral loopback
// port, built with exactly the ServerBuilder settings Server uses (the
// same channel arguments, message size limit, health check and reflection),
// so that the only difference between the two servers is what a call does.
#ifndef ORB_BENCH_LOAD_ECHO_SERVER_H_
#define ORB_BENCH_LOAD_ECHO_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/server.h"

namespace orb::bench {

// kCallback is orbd's model: handlers run inline on gRPC's callback
// threads. kSync is gRPC's synchronous server (its own thread pool polling
// completion queues); it is only here to compare the two models.
enum class ServerModel { kCallback, kSync };

class EchoServer {
 public:
  // Errors: UNAVAILABLE when no loopback port can be bound.
  static absl::StatusOr<std::unique_ptr<EchoServer>> Start(ServerModel model,
                                                           uint64_t max_message_bytes);
  ~EchoServer();

  const std::string& address() const { return address_; }

 private:
  EchoServer() = default;
  std::unique_ptr<grpc::Service> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

}  // namespace orb::bench

#endif  // ORB_BENCH_LOAD_ECHO_SERVER_H_
