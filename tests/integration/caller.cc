#include "tests/integration/caller.h"

#include <atomic>
#include <chrono>
#include <thread>

#include "absl/status/status.h"
#include "grpcpp/generic/generic_stub.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "tests/testing/raw_stream.h"
#include "tests/testing/raw_unary_call.h"
#include "tests/testing/test_support.h"

namespace orb::testing {

using orb::v1::kErrorInfoTypeUrl;

namespace {

std::atomic<Transport> current_transport{Transport::kUnary};

constexpr absl::string_view kBrokerService = "/orb.v1.ObjectBroker/";

}  // namespace

void SetTransport(Transport transport) { current_transport.store(transport); }
Transport CurrentTransport() { return current_transport.load(); }

grpc::Status StreamedCall(const std::shared_ptr<grpc::Channel>& channel,
                          const std::vector<std::pair<std::string, std::string>>& metadata,
                          const google::protobuf::Descriptor* request_type,
                          const std::string& request_bytes, std::string* response_bytes) {
  const google::protobuf::Descriptor* frame_type = v1::StreamRequest::descriptor();
  const google::protobuf::FieldDescriptor* field = nullptr;
  for (int i = 0; i < frame_type->field_count(); ++i) {
    if (frame_type->field(i)->message_type() == request_type) field = frame_type->field(i);
  }
  if (field == nullptr) {
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        std::string(request_type->full_name()) + " is no Stream operation");
  }
  constexpr uint64_t kId = 7;
  // id = 7, then the operation's bytes as they are (they may not parse).
  const std::string frame =
      std::string("\x08\x07", 2) + LengthDelimited(field->number(), request_bytes);
  RawStream stream(channel, metadata);
  v1::StreamResponse answer;
  const bool written = stream.Write(frame);
  stream.WritesDone();
  const bool answered = written && stream.Read(&answer);
  grpc::Status ended = stream.Finish();
  if (!answered) {
    return ended.ok() ? grpc::Status(grpc::StatusCode::INTERNAL, "the stream ended unanswered")
                      : ended;
  }
  if (!ended.ok()) return ended;
  if (answer.id() != kId) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "the answer has another id");
  }
  if (answer.has_error()) return StatusOf(answer.error());
  const google::protobuf::FieldDescriptor* out =
      v1::StreamResponse::descriptor()->FindFieldByNumber(field->number());
  if (out == nullptr || !answer.GetReflection()->HasField(answer, out)) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "the answer is not the operation's");
  }
  if (response_bytes != nullptr) {
    *response_bytes = answer.GetReflection()->GetMessage(answer, out).SerializeAsString();
  }
  return grpc::Status::OK;
}


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
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  if (CurrentTransport() == Transport::kStream && absl::StartsWith(method, kBrokerService)) {
    const google::protobuf::Descriptor* type =
        google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(
            absl::StrCat("orb.v1.", method.substr(kBrokerService.size()), "Request"));
    if (type != nullptr) return StreamedCall(channel, metadata, type, request, response);
  }
  grpc::GenericStub stub(channel);
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
