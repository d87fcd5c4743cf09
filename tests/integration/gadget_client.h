// A client of test.Gadget (gadget.h) over gRPC, for the fault and
// denied-call tests. Kept apart from gadget.h, which the orbd_gadget daemon
// compiles too.
#ifndef ORB_TESTS_INTEGRATION_GADGET_CLIENT_H_
#define ORB_TESTS_INTEGRATION_GADGET_CLIENT_H_

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "orb/v1/broker.grpc.pb.h"
#include "tests/integration/ops_fixture.h"

namespace orb::testing {

// One client: its own channel, session and (optionally) its own gadget;
// anonymous, or the user whose bearer token it sends.
class GadgetClient {
 public:
  explicit GadgetClient(const std::string& address, std::string token = "")
      : stub_(v1::ObjectBroker::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))),
        token_(std::move(token)) {}

  grpc::Status Open() {
    v1::OpenSessionResponse response;
    grpc::Status status = OpenSession(*stub_, token_, &response);
    session_ = response.session();
    gadget_ = response.root().id();
    return status;
  }
  // Makes this client's gadget a fresh child of the root, so its calls do
  // not queue behind other clients' on one object.
  grpc::Status SpawnOwnGadget() {
    v1::Value result;
    grpc::Status status = Call("spawn", {}, &result);
    if (status.ok()) gadget_ = result.handle().id();
    return status;
  }

  // Points this client's calls at a new test.Dial instead.
  grpc::Status SwitchToOwnDial() {
    v1::Value result;
    grpc::Status status = Call("dial", {}, &result);
    if (status.ok()) gadget_ = result.handle().id();
    return status;
  }

  grpc::Status Call(const std::string& method, std::vector<v1::Value> args, v1::Value* result,
                    std::chrono::milliseconds deadline = std::chrono::milliseconds(10000),
                    grpc::ClientContext* context = nullptr) {
    v1::CallRequest request;
    request.set_session(session_);
    request.set_handle(gadget_);
    request.set_name(method);
    for (auto& a : args) *request.add_args() = std::move(a);
    v1::CallResponse response;
    std::unique_ptr<grpc::ClientContext> own;
    if (context == nullptr) {
      own = Context(token_, deadline);
      context = own.get();
    }
    grpc::Status status = stub_->Call(context, request, &response);
    if (result != nullptr) *result = response.result();
    return status;
  }

  // Calls `method` (no arguments) under request id `request_id`.
  grpc::Status CallWithId(const std::string& method, const std::string& request_id,
                          v1::Value* result) {
    v1::CallRequest request;
    request.set_session(session_);
    request.set_handle(gadget_);
    request.set_name(method);
    request.set_request_id(request_id);
    v1::CallResponse response;
    std::unique_ptr<grpc::ClientContext> context = Context(token_, std::chrono::milliseconds(20000));
    grpc::Status status = stub_->Call(context.get(), request, &response);
    if (result != nullptr) *result = response.result();
    return status;
  }

  grpc::Status Ping() {
    v1::Value result;
    grpc::Status status = Call("ping", {}, &result, std::chrono::milliseconds(5000));
    if (status.ok() && result.string_value() != "pong") {
      return grpc::Status(grpc::StatusCode::INTERNAL, "ping did not answer pong");
    }
    return status;
  }

  const std::string& session() const { return session_; }
  const std::string& gadget() const { return gadget_; }

 private:
  std::unique_ptr<v1::ObjectBroker::Stub> stub_;
  const std::string token_;
  std::string session_;
  std::string gadget_;
};

}  // namespace orb::testing

#endif  // ORB_TESTS_INTEGRATION_GADGET_CLIENT_H_
