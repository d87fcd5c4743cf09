#include "bench/load/echo_server.h"

#include <chrono>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "echo.grpc.pb.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace orb::bench {
namespace {

// What a hand-written service does: read the request, build the response.
void Answer(const EchoRequest& request, EchoResponse* response) {
  response->mutable_payload()->assign(request.response_bytes(), 'x');
}

class CallbackEcho final : public Echo::CallbackService {
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context,
                                 const EchoRequest* request, EchoResponse* response) override {
    Answer(*request, response);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

class SyncEcho final : public Echo::Service {
  grpc::Status Echo(grpc::ServerContext*, const EchoRequest* request,
                    EchoResponse* response) override {
    Answer(*request, response);
    return grpc::Status::OK;
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<EchoServer>> EchoServer::Start(ServerModel model,
                                                              uint64_t max_message_bytes) {
  // As Server::Start: both process-wide, set before any builder runs.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  std::unique_ptr<EchoServer> server(new EchoServer());
  if (model == ServerModel::kCallback) {
    server->service_ = std::make_unique<CallbackEcho>();
  } else {
    server->service_ = std::make_unique<SyncEcho>();
  }
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(static_cast<int>(max_message_bytes));
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(server->service_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || port == 0) {
    return absl::UnavailableError("the echo server cannot listen on 127.0.0.1");
  }
  server->server_->GetHealthCheckService()->SetServingStatus(true);
  server->address_ = absl::StrCat("127.0.0.1:", port);
  return server;
}

EchoServer::~EchoServer() {
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }
}

}  // namespace orb::bench
