// Typed helpers to call a real orb server (tests/testing/broker_server.h)
// as anonymous, bob or alice, and raw calls for what the typed stubs cannot
// send.
#ifndef ORB_TESTS_INTEGRATION_CALLER_H_
#define ORB_TESTS_INTEGRATION_CALLER_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "orb/broker/broker_core.h"
#include "orb/demo/blog.h"
#include "orb/broker/server.h"
#include "orb/broker/type_registry.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "orb/v1/broker.grpc.pb.h"
#include "orb/v1/error_details.pb.h"
#include "orb/policy/policy_loader.h"
#include "tests/testing/broker_server.h"
#include "tests/testing/builders.h"

namespace orb::testing {

using orb::broker::BrokerCore;
using orb::broker::Object;
using orb::broker::TypeRegistry;

inline constexpr char kAliceToken[] = "alice-demo-token";
inline constexpr char kBobToken[] = "bob-demo-token";

// Decodes the orb.v1.ErrorInfo of a failed call (empty reason when absent).
v1::ErrorInfo ErrorInfoOf(const grpc::Status& status);

// How Caller::Invoke and RawCall carry an orb.v1.ObjectBroker operation:
// as its unary RPC, or as the one frame of a Stream of its own, the answer
// turned back into the status (code, message, ErrorInfo) and response the
// unary call gives. So one table of requests runs through both transports.
enum class Transport { kUnary, kStream };

// The transport of the calls that follow, process-wide (the tests that
// switch it make their calls from one thread). Default: kUnary.
void SetTransport(Transport transport);
Transport CurrentTransport();

// Sends `request_bytes`, a message of type `request_type` (e.g.
// orb.v1.GetAttrRequest), as the one frame of a new Stream with
// `metadata`, and returns what the unary call would: on OK
// *response_bytes holds the operation's response; an error answer becomes
// its status; a stream that ends without an answer gives the stream's
// status (e.g. UNAUTHENTICATED at open).
grpc::Status StreamedCall(const std::shared_ptr<grpc::Channel>& channel,
                          const std::vector<std::pair<std::string, std::string>>& metadata,
                          const google::protobuf::Descriptor* request_type,
                          const std::string& request_bytes, std::string* response_bytes);

// One caller: a stub plus the credential it sends (none = anonymous).
class Caller {
 public:
  // Sends "authorization: Bearer <token>" ("" = anonymous).
  Caller(const BrokerServer& server, const std::string& token)
      : channel_(server.PlaintextChannel()),
        stub_(v1::ObjectBroker::NewStub(channel_)),
        authorization_(token.empty() ? "" : "Bearer " + token) {}
  // Sends `header` as the authorization metadata, e.g. "Ticket <ticket>".
  static Caller WithAuthorization(const BrokerServer& server, std::string header) {
    Caller caller(server, "");
    caller.authorization_ = std::move(header);
    return caller;
  }

  // Makes a call with this caller's credentials, over CurrentTransport().
  template <typename Request, typename Response>
  grpc::Status Invoke(grpc::Status (v1::ObjectBroker::Stub::*method)(grpc::ClientContext*,
                                                                      const Request&,
                                                                      Response*),
                      const Request& request, Response* response) {
    if (CurrentTransport() == Transport::kStream) {
      std::vector<std::pair<std::string, std::string>> metadata;
      if (!authorization_.empty()) metadata.emplace_back("authorization", authorization_);
      std::string bytes;
      grpc::Status status = StreamedCall(channel_, metadata, Request::descriptor(),
                                         request.SerializeAsString(), &bytes);
      if (status.ok() && !response->ParseFromString(bytes)) {
        return grpc::Status(grpc::StatusCode::INTERNAL, "unreadable stream answer");
      }
      return status;
    }
    grpc::ClientContext context;
    if (!authorization_.empty()) context.AddMetadata("authorization", authorization_);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return (stub_.get()->*method)(&context, request, response);
  }

  // Opens a session; fills session() and root().
  grpc::Status Open();
  const std::string& session() const { return session_; }
  const std::string& root() const { return root_; }

  grpc::Status GetAttr(const std::string& handle, const std::string& name, v1::Value* out);
  grpc::Status SetAttr(const std::string& handle, const std::string& name, const v1::Value& v);
  grpc::Status DelAttr(const std::string& handle, const std::string& name);
  grpc::Status Call(const std::string& handle, const std::string& name,
                    std::vector<v1::Value> args, v1::Value* out);
  grpc::Status Release(const std::vector<std::string>& handles);

  v1::ObjectBroker::Stub& stub() { return *stub_; }
  void set_session(std::string s) { session_ = std::move(s); }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ObjectBroker::Stub> stub_;
  std::string authorization_;
  std::string session_;
  std::string root_;
};

// One call with raw request bytes, through gRPC's generic stub: for
// messages the typed stubs cannot produce (e.g. a string field that is not
// UTF-8). `method` is the full path, e.g. "/orb.v1.ObjectBroker/GetAttr";
// `metadata` is sent as given. On OK, *response holds the answer's bytes.
// An orb.v1.ObjectBroker operation goes over CurrentTransport().
grpc::Status RawCall(const std::string& address, const std::string& method,
                     const std::string& request, std::string* response,
                     const std::vector<std::pair<std::string, std::string>>& metadata = {});

// Protobuf wire form of one length-delimited field (number `field` < 16),
// for messages the typed API would not build (strings that are not UTF-8).
std::string LengthDelimited(int field, const std::string& bytes);

// True when the server's grpc.health.v1 status (service "") is SERVING.
bool IsServing(const std::string& address);

}  // namespace orb::testing

#endif  // ORB_TESTS_INTEGRATION_CALLER_H_
