#include "orb/broker/server.h"

#include <algorithm>
#include <thread>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/sync.h"
#include "broker/service/admin_service.h"
#include "broker/service/calls_in_flight.h"
#include "broker/service/object_broker_service.h"
#include "broker/service/protobuf_log_limit.h"
#include "broker/service/worker_pool.h"
#include "grpc/grpc.h"
#include "grpc/grpc_security_constants.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "grpc/health/v1/health.pb.h"
#include "orb/v1/error_details.pb.h"

namespace orb::broker {
namespace {

absl::StatusOr<std::string> ReadPemFile(const std::string& path, absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read ", what, " file '", path, "'"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (!absl::StrContains(text.str(), "-----BEGIN")) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " file '", path, "' is not PEM (no -----BEGIN line)"));
  }
  return text.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeCredentials(
    const ServerOptions& options) {
  bool any_tls = !options.tls_cert_file.empty() || !options.tls_key_file.empty() ||
                 !options.tls_client_ca_file.empty() || options.tls_require_client_cert;
  if (!any_tls) return grpc::InsecureServerCredentials();
  if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
    return absl::InvalidArgumentError("TLS needs both --tls-cert and --tls-key");
  }
  if (options.tls_require_client_cert && options.tls_client_ca_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls-require-client-cert needs --tls-client-ca to verify client certificates");
  }
  auto cert = ReadPemFile(options.tls_cert_file, "TLS certificate");
  if (!cert.ok()) return cert.status();
  auto key = ReadPemFile(options.tls_key_file, "TLS key");
  if (!key.ok()) return key.status();

  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  if (!options.tls_client_ca_file.empty()) {
    auto ca = ReadPemFile(options.tls_client_ca_file, "TLS client CA");
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
    ssl.client_certificate_request =
        options.tls_require_client_cert
            ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
            : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

// Answers a call to a method that no service of the server has. gRPC's own
// answer is UNIMPLEMENTED with an empty message; this one names the method
// (escaped and cut short: it is the peer's text) and what is served.
class UnknownMethodService final : public grpc::CallbackGenericService {
 public:
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    class Reactor final : public grpc::ServerGenericBidiReactor {
     public:
      explicit Reactor(const std::string& method) {
        Finish(grpc::Status(
            grpc::StatusCode::UNIMPLEMENTED,
            absl::StrCat("unknown method '", absl::CHexEscape(method.substr(0, 200)),
                         "': this server offers /orb.v1.ObjectBroker/<OpenSession, "
                         "CloseSession, KeepAlive, GetAttr, SetAttr, DelAttr, Call, Release, "
                         "ListHandles, Describe, Restrict, Batch>, grpc.health.v1.Health and server "
                         "reflection")));
      }
      void OnDone() override { delete this; }
    };
    return new Reactor(context->method());
  }
};

}  // namespace

// Everything a running server owns. Declaration order is destruction order
// in reverse: the calls tracker outlives the services and the gRPC server.
struct Server::Impl {
  Impl(BrokerCore* core, absl::Duration sweep) : core(core), sweep_interval(sweep) {}
  void SweepLoop() ABSL_LOCKS_EXCLUDED(mu);

  BrokerCore* const core;
  const absl::Duration sweep_interval;
  CallsInFlight calls;
  std::unique_ptr<WorkerPool> member_pool;
  std::unique_ptr<ObjectBrokerService> service;
  std::unique_ptr<BrokerAdminService> admin_service;
  std::unique_ptr<grpc::CallbackGenericService> unknown_methods;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  std::string address;
  std::thread sweeper;

  absl::Mutex mu;
  bool stopping ABSL_GUARDED_BY(mu) = false;
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
int Server::port() const { return impl_->port; }
const std::string& Server::address() const { return impl_->address; }

Server::MemberThreadLoad Server::member_thread_load() const {
  MemberThreadLoad load;
  if (impl_->member_pool == nullptr) return load;
  const WorkerPool::Load pool = impl_->member_pool->load();
  load.threads = pool.threads;
  load.busy = pool.busy;
  load.queued = pool.queued;
  return load;
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(BrokerCore* core,
                                                            const ServerOptions& options) {
  auto credentials = MakeCredentials(options);
  if (!credentials.ok()) return credentials.status();

  // Reflection describes what the generated descriptor pool holds. Touching
  // these descriptors keeps their (otherwise unreferenced) generated code in
  // the link, so `describe grpc.health.v1.Health` and the error detail type
  // resolve.
  grpc::health::v1::HealthCheckRequest::descriptor();
  v1::ErrorInfo::descriptor();

  // Both are process-wide switches that must be set before a builder runs.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  // Process-wide too, and idempotent: a peer must not be able to write a
  // log line per request (protobuf_log_limit.h).
  InstallProtobufLogLimit();

  auto impl = std::make_unique<Impl>(core, options.expiry_sweep_interval);
  Impl* server = impl.get();
  // With a client CA the handshake verifies every client certificate
  // (MakeCredentials uses only the *_AND_VERIFY modes), so a certificate on
  // a call is a verified one.
  const bool verified = !options.tls_client_ca_file.empty();
  if (options.max_member_threads > 0) {
    server->member_pool = std::make_unique<WorkerPool>(options.max_member_threads,
                                                        options.max_queued_member_calls);
  }
  server->service = std::make_unique<ObjectBrokerService>(
      core, verified, server->member_pool.get(), &server->calls, options.rpc_stats);
  server->admin_service = std::make_unique<BrokerAdminService>(
      core, options.policy_reloader, verified, &server->calls, options.rpc_stats);

  grpc::ServerBuilder builder;
  // Without this, a second server could bind the same port silently.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
  builder.AddListeningPort(options.listen, *credentials, &server->port);
  builder.RegisterService(server->service.get());
  builder.RegisterService(server->admin_service.get());
  server->unknown_methods = std::make_unique<UnknownMethodService>();
  builder.RegisterCallbackGenericService(server->unknown_methods.get());
  server->server = builder.BuildAndStart();
  if (server->server == nullptr || server->port == 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", options.listen, " (address in use, or not a valid host:port)"));
  }
  std::string host = options.listen.substr(0, options.listen.rfind(':'));
  server->address = absl::StrCat(host, ":", server->port);
  server->server->GetHealthCheckService()->SetServingStatus(true);
  server->sweeper = std::thread([server] { server->SweepLoop(); });
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

void Server::Impl::SweepLoop() {
  while (true) {
    {
      orb::MutexHold lock(&mu);
      orb::AwaitWithTimeout(&mu, absl::Condition(&stopping), sweep_interval);
      if (stopping) return;
    }
    // Outside the lock: Shutdown() must be able to set stopping meanwhile.
    core->ExpireSessions();
  }
}

void Server::Shutdown(absl::Duration grace) {
  if (impl_->server == nullptr) return;  // Start() failed before the server existed
  {
    orb::MutexHold lock(&impl_->mu);
    if (impl_->stopping) return;
    impl_->stopping = true;
  }
  const absl::Time deadline = absl::Now() + grace;
  // Before the health status changes: whoever sees NOT_SERVING knows that
  // open streams take no new operations.
  impl_->calls.BeginDrain();
  impl_->server->GetHealthCheckService()->SetServingStatus(false);
  // gRPC's Server::Shutdown(deadline) alone waits for every connection to
  // go away (see calls_in_flight.h): an idle one closes only when its
  // client answers the GOAWAY ping, and health Watch and reflection streams
  // never end by themselves, so with either it would wait out the whole
  // grace. The drain is therefore done in three steps.
  //
  // 1. No new calls or connections from now on; every connection is sent
  //    GOAWAY. This is the first half of what Server::Shutdown does, through
  //    gRPC's C API on the same server; shutdown may be begun more than
  //    once, and each caller's queue is told when it completes.
  grpc_completion_queue* shutdown_queue = grpc_completion_queue_create_for_next(nullptr);
  grpc_server_shutdown_and_notify(impl_->server->c_server(), shutdown_queue, &impl_->calls);
  // 2. Calls in flight run until they have been answered or the grace ends.
  // 3. gRPC's shutdown: returns once every connection is gone, and at its
  //    deadline closes the connections that remain, cancelling what still
  //    runs on them. Once every call has been answered, that deadline is
  //    only kSettle away (within the grace): time for gRPC to send the last
  //    answers and for active clients to close their connections, after
  //    which what remains is idle connections and waiting streams.
  constexpr absl::Duration kSettle = absl::Milliseconds(100);
  const bool answered = impl_->calls.AwaitNone(deadline);
  impl_->server->Shutdown(absl::ToChronoTime(answered ? std::min(deadline, absl::Now() + kSettle)
                                                : deadline));
  grpc_completion_queue_shutdown(shutdown_queue);
  while (grpc_completion_queue_next(shutdown_queue, gpr_inf_future(GPR_CLOCK_REALTIME), nullptr)
             .type != GRPC_QUEUE_SHUTDOWN) {
  }
  grpc_completion_queue_destroy(shutdown_queue);
  if (impl_->sweeper.joinable()) impl_->sweeper.join();
}

void Server::Wait() { impl_->server->Wait(); }

Server::~Server() {
  if (impl_ != nullptr) Shutdown(absl::ZeroDuration());
}

}  // namespace orb::broker
