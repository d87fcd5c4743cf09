#include "broker/service/status_convert.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include "orb/broker/broker_core.h"
#include "orb/v1/error_details.pb.h"

namespace orb::broker {

namespace {

// The message travels in a response header, and gRPC clients refuse
// response headers past 8 KiB by default: a longer message (e.g. a bound
// method's error quoting a huge argument) would reach the client as a
// transport error instead of the answer. Cut it at a character boundary.
constexpr size_t kMaxMessageBytes = 2048;

std::string Bounded(absl::string_view message) {
  if (message.size() <= kMaxMessageBytes) return std::string(message);
  size_t cut = kMaxMessageBytes;
  while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80) --cut;
  return absl::StrCat(message.substr(0, cut), "...(message cut at ", cut, " of ",
                      message.size(), " bytes)");
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  auto code = static_cast<grpc::StatusCode>(status.code());
  std::string message = Bounded(status.message());
  absl::optional<absl::Cord> info = status.GetPayload(kErrorInfoTypeUrl);
  if (!info.has_value()) return grpc::Status(code, message);

  v1::Status details;
  details.set_code(static_cast<int>(code));
  details.set_message(message);
  google::protobuf::Any* any = details.add_details();
  any->set_type_url(kErrorInfoTypeUrl);
  any->set_value(std::string(*info));
  return grpc::Status(code, message, details.SerializeAsString());
}

void ToOperationError(const absl::Status& status, v1::OperationError* out) {
  out->set_code(static_cast<int>(status.code()));
  out->set_code_name(absl::StatusCodeToString(status.code()));
  out->set_message(Bounded(status.message()));
  absl::optional<absl::Cord> info = status.GetPayload(kErrorInfoTypeUrl);
  if (info.has_value()) out->mutable_info()->ParseFromString(std::string(*info));
}

}  // namespace orb::broker
