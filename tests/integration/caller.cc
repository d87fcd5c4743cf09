#include "tests/integration/caller.h"

#include <chrono>
#include <thread>

#include "absl/status/status.h"
#include "grpcpp/generic/generic_stub.h"
#include "tests/testing/raw_unary_call.h"
#include "tests/testing/test_support.h"

namespace orb::testing {

using orb::v1::kErrorInfoTypeUrl;


v1::ErrorInfo ErrorInfoOf(const grpc::Status& status) {
  v1::ErrorInfo info;
  v1::Status details;
  if (!details.ParseFromString(status.error_details())) return info;
  for (const auto& any : details.details()) {
    if (any.type_url() == kErrorInfoTypeUrl) info.ParseFromString(any.value());
  }
  return info;
}

grpc::Status Caller::Open() {
  v1::OpenSessionRequest request;
  request.set_client_name("integration-test");
  v1::OpenSessionResponse response;
  grpc::Status status = Invoke(&v1::ObjectBroker::Stub::OpenSession, request, &response);
  if (status.ok()) {
    session_ = response.session();
    root_ = response.root().id();
  }
  return status;
}

grpc::Status Caller::GetAttr(const std::string& handle, const std::string& name,
                             v1::Value* out) {
  v1::GetAttrRequest request;
  request.set_session(session_);
  request.set_handle(handle);
  request.set_name(name);
  v1::GetAttrResponse response;
  grpc::Status status = Invoke(&v1::ObjectBroker::Stub::GetAttr, request, &response);
  if (out != nullptr) *out = response.value();
  return status;
}

grpc::Status Caller::SetAttr(const std::string& handle, const std::string& name,
                             const v1::Value& value) {
  v1::SetAttrRequest request;
  request.set_session(session_);
  request.set_handle(handle);
  request.set_name(name);
  *request.mutable_value() = value;
  v1::SetAttrResponse response;
  return Invoke(&v1::ObjectBroker::Stub::SetAttr, request, &response);
}

grpc::Status Caller::DelAttr(const std::string& handle, const std::string& name) {
  v1::DelAttrRequest request;
  request.set_session(session_);
  request.set_handle(handle);
  request.set_name(name);
  v1::DelAttrResponse response;
  return Invoke(&v1::ObjectBroker::Stub::DelAttr, request, &response);
}

grpc::Status Caller::Call(const std::string& handle, const std::string& name,
                          std::vector<v1::Value> args, v1::Value* out) {
  v1::CallRequest request;
  request.set_session(session_);
  request.set_handle(handle);
  request.set_name(name);
  for (auto& a : args) *request.add_args() = std::move(a);
  v1::CallResponse response;
  grpc::Status status = Invoke(&v1::ObjectBroker::Stub::Call, request, &response);
  if (out != nullptr) *out = response.result();
  return status;
}

grpc::Status Caller::Release(const std::vector<std::string>& handles) {
  v1::ReleaseRequest request;
  request.set_session(session_);
  for (const auto& h : handles) request.add_handles(h);
  v1::ReleaseResponse response;
  return Invoke(&v1::ObjectBroker::Stub::Release, request, &response);
}


grpc::Status RawCall(const std::string& address, const std::string& method,
                     const std::string& request, std::string* response,
                     const std::vector<std::pair<std::string, std::string>>& metadata) {
  grpc::GenericStub stub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return RawUnaryCall(stub, &context, method, request, response);
}

std::string LengthDelimited(int field, const std::string& bytes) {
  std::string out(1, static_cast<char>((field << 3) | 2));
  size_t n = bytes.size();
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
  return out + bytes;
}

bool IsServing(const std::string& address) {
  // HealthCheckRequest{service: ""} encodes to no bytes; SERVING is 08 01.
  // A few tries: a request the transport refused (e.g. oversized metadata)
  // may take the connection down with it, and a fresh one can take a moment
  // on a loaded machine; the broker itself must answer SERVING throughout.
  for (int attempt = 0; attempt < 10; ++attempt) {
    std::string response;
    grpc::Status status = RawCall(address, "/grpc.health.v1.Health/Check", "", &response);
    if (status.ok()) return response == std::string("\x08\x01", 2);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace orb::testing
