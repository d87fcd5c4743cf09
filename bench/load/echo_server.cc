#include "bench/load/echo_server.h"

#include <chrono>
#include <deque>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/sync.h"
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

// A streaming echo as one would write it by hand: a read always
// outstanding, answers written in order, one write at a time.
class EchoStreamReactor final : public grpc::ServerBidiReactor<EchoRequest, EchoResponse> {
 public:
  EchoStreamReactor() { StartRead(&request_); }

  void OnReadDone(bool ok) override {
    const EchoResponse* write = nullptr;
    bool finish = false;
    {
      MutexHold lock(&mu_);
      if (!ok) {
        reads_done_ = true;
        finish = !writing_;
      } else {
        answers_.emplace_back();
        Answer(request_, &answers_.back());
        if (!writing_) {
          writing_ = true;
          // The front stays put (a deque) until OnWriteDone pops it.
          write = &answers_.front();
        }
      }
    }
    if (write != nullptr) StartWrite(write);  // the first answer: nothing queued behind it
    if (ok) StartRead(&request_);
    if (finish) Finish(grpc::Status::OK);
  }
  void OnWriteDone(bool ok) override {
    const EchoResponse* next = nullptr;
    bool more_behind = false;
    bool finish = false;
    {
      MutexHold lock(&mu_);
      answers_.pop_front();
      if (ok && !answers_.empty()) {
        next = &answers_.front();
        more_behind = answers_.size() > 1;
      } else {
        writing_ = false;
        finish = reads_done_ || !ok;
      }
    }
    // As orb's Stream: an answer with more queued behind it may wait for
    // them.
    if (next != nullptr) {
      StartWrite(next, more_behind ? grpc::WriteOptions().set_buffer_hint() : grpc::WriteOptions());
    }
    if (finish) Finish(grpc::Status::OK);
  }
  void OnDone() override { delete this; }

 private:
  EchoRequest request_;
  absl::Mutex mu_;
  std::deque<EchoResponse> answers_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
};

class CallbackEcho final : public Echo::CallbackService {
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context,
                                 const EchoRequest* request, EchoResponse* response) override {
    Answer(*request, response);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  grpc::ServerBidiReactor<EchoRequest, EchoResponse>* EchoStream(
      grpc::CallbackServerContext*) override {
    return new EchoStreamReactor();
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
