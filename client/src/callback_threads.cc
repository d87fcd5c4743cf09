#include "client/src/callback_threads.h"

#include <chrono>
#include <memory>

#include "base/sync.h"
#include "grpcpp/grpcpp.h"
#include "orb/v1/broker.grpc.pb.h"

namespace orb {
namespace client {
namespace client_internal {
namespace {

// Returns the channel that keeps the pool: it has made one callback call
// (which is what registers a channel as a user of the pool). The call's
// deadline has passed before it starts, so it ends without connecting.
std::shared_ptr<grpc::Channel> MakeKeeper() {
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel("unix:/nonexistent/orb-callback-keeper", grpc::InsecureChannelCredentials());
  std::unique_ptr<v1::ObjectBroker::Stub> stub = v1::ObjectBroker::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now());
  v1::KeepAliveRequest request;
  v1::KeepAliveResponse response;
  VisibleNotification done;
  stub->async()->KeepAlive(&context, &request, &response,
                           [&done](const grpc::Status&) { done.Notify(); });
  done.WaitForNotification();
  return channel;
}

}  // namespace

void KeepCallbackThreadsAlive() {
  // Never destroyed: its destruction at exit could be the last release.
  static const std::shared_ptr<grpc::Channel>* const keeper =
      new std::shared_ptr<grpc::Channel>(MakeKeeper());
  (void)keeper;
}

}  // namespace client_internal
}  // namespace client
}  // namespace orb
