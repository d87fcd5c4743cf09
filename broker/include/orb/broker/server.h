// Server: a running gRPC server for one BrokerCore (orb.v1.ObjectBroker
// and orb.v1.BrokerAdmin), with server reflection and grpc.health.v1 on,
// plaintext or TLS/mTLS. Used by orbd and
// by the integration tests (which listen on port 0).
#ifndef ORB_BROKER_SERVICE_SERVER_H_
#define ORB_BROKER_SERVICE_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "orb/broker/broker_core.h"

namespace orb::broker {

class PolicyReloader;
class RpcStats;  // broker/service/rpc_stats.h (private)

struct ServerOptions {
  // host:port to listen on; port 0 picks a free port (see Server::port()).
  std::string listen = "127.0.0.1:50051";
  // TLS: PEM files. With cert and key set the server speaks TLS only.
  std::string tls_cert_file;
  std::string tls_key_file;
  // With a client CA, client certificates are verified against it; with
  // require_client_cert a client without a valid certificate is refused.
  std::string tls_client_ca_file;
  bool tls_require_client_cert = false;
  // Largest request accepted, in bytes (gRPC answers RESOURCE_EXHAUSTED).
  uint64_t max_message_bytes = 4 * 1024 * 1024;
  // How often expired sessions are swept.
  absl::Duration expiry_sweep_interval = absl::Seconds(1);
  // Serves BrokerAdmin.ReloadPolicy when set (not owned; must outlive the
  // server). The admin service is always registered; its calls need the
  // policy's admin permissions.
  PolicyReloader* policy_reloader = nullptr;
  // Threads that run bound members (GetAttr/SetAttr/DelAttr/Call), so a
  // member that blocks never holds one of gRPC's few callback threads
  // (see worker_pool.h). Started on demand up to this many; then calls
  // queue (at most max_queued_member_calls, then RESOURCE_EXHAUSTED).
  // 0 runs members inline on gRPC's threads: only for members that never
  // block.
  size_t max_member_threads = 256;
  size_t max_queued_member_calls = 4096;
  // Records every answer by method and status code, with its latency, when
  // set (not owned; must outlive the server). orbd sets it for its
  // metrics; null (the default) records nothing.
  RpcStats* rpc_stats = nullptr;
};

// Thread safety: Shutdown() and Wait() may be called from any thread.
class Server {
 public:
  // Starts serving `core` (which must outlive the server). The first Start
  // in a process also installs InstallProtobufLogLimit(). Errors:
  // INVALID_ARGUMENT for unreadable TLS files or a bad address,
  // UNAVAILABLE when the address cannot be bound (e.g. in use).
  static absl::StatusOr<std::unique_ptr<Server>> Start(BrokerCore* core,
                                                          const ServerOptions& options);
  ~Server();

  // The bound port (useful with port 0) and "host:port".
  int port() const;
  const std::string& address() const;

  // The member threads right now (all zero with max_member_threads 0):
  // started, running a member, calls waiting for one. For metrics.
  struct MemberThreadLoad {
    size_t threads = 0;
    size_t busy = 0;
    size_t queued = 0;
  };
  MemberThreadLoad member_thread_load() const;

  // Marks the server NOT_SERVING, stops accepting calls and connections,
  // lets calls in flight finish for up to `grace`, then cancels the rest.
  // Returns as soon as no call is left: connections without a call, health
  // Watch streams and reflection streams are closed then, without waiting
  // for their clients. Idempotent.
  void Shutdown(absl::Duration grace = absl::Seconds(5));

  // Blocks until the server has shut down.
  void Wait();

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace orb::broker

#endif  // ORB_BROKER_SERVICE_SERVER_H_
