// Raw orb.v1.ObjectBroker calls on a session's root object, for tests of
// programs started as child processes (orbd with a plugin, the embedding
// examples): open a session with a bearer token, get and set an attribute
// of the root. Each call has a 10 s deadline.
#ifndef ORB_TESTS_INTEGRATION_ROOT_CALLS_H_
#define ORB_TESTS_INTEGRATION_ROOT_CALLS_H_

#include <chrono>
#include <memory>
#include <string>

#include "grpcpp/grpcpp.h"
#include "orb/v1/broker.grpc.pb.h"

namespace orb::testing {

// A session as OpenSession answered it: the status, the session id, the
// root's handle and type.
struct OpenedRoot {
  grpc::Status status;
  std::string session, root, type;
};

// A context with a 10 s deadline carrying "authorization: Bearer <token>"
// ("" = anonymous).
inline std::unique_ptr<grpc::ClientContext> BearerContext(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
  return context;
}

inline OpenedRoot OpenRoot(v1::ObjectBroker::Stub& stub, const std::string& token) {
  v1::OpenSessionResponse response;
  OpenedRoot opened;
  opened.status = stub.OpenSession(BearerContext(token).get(), v1::OpenSessionRequest(), &response);
  opened.session = response.session();
  opened.root = response.root().id();
  opened.type = response.root().type_name();
  return opened;
}

// GetAttr `name` of the root; the value goes to *out when out is given.
inline grpc::Status GetRootAttr(v1::ObjectBroker::Stub& stub, const std::string& token,
                                const OpenedRoot& s, const std::string& name, v1::Value* out) {
  v1::GetAttrRequest request;
  request.set_session(s.session);
  request.set_handle(s.root);
  request.set_name(name);
  v1::GetAttrResponse response;
  grpc::Status status = stub.GetAttr(BearerContext(token).get(), request, &response);
  if (out != nullptr) *out = response.value();
  return status;
}

// SetAttr `name` of the root to a double.
inline grpc::Status SetRootAttr(v1::ObjectBroker::Stub& stub, const std::string& token,
                                const OpenedRoot& s, const std::string& name, double value) {
  v1::SetAttrRequest request;
  request.set_session(s.session);
  request.set_handle(s.root);
  request.set_name(name);
  request.mutable_value()->set_double_value(value);
  v1::SetAttrResponse response;
  return stub.SetAttr(BearerContext(token).get(), request, &response);
}

}  // namespace orb::testing

#endif  // ORB_TESTS_INTEGRATION_ROOT_CALLS_H_
