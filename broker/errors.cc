#include "broker/errors.h"

#include <string>

#include "absl/strings/cord.h"
#include "broker/broker_core.h"

namespace orb {

absl::Status OrbError(absl::StatusCode code, absl::string_view message, absl::string_view reason,
                      absl::string_view gate, absl::string_view method_error_type) {
  absl::Status status(code, message);
  v1::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_gate(std::string(gate));
  if (!method_error_type.empty()) info.set_method_error_type(std::string(method_error_type));
  status.SetPayload(kErrorInfoTypeUrl, absl::Cord(info.SerializeAsString()));
  return status;
}

std::optional<v1::ErrorInfo> GetErrorInfo(const absl::Status& status) {
  auto payload = status.GetPayload(kErrorInfoTypeUrl);
  if (!payload.has_value()) return std::nullopt;
  v1::ErrorInfo info;
  if (!info.ParseFromString(std::string(*payload))) return std::nullopt;
  return info;
}

absl::Status MethodError(const absl::Status& status) {
  if (status.ok()) return status;
  return OrbError(status.code(), status.message(), "METHOD_ERROR", "method",
                  absl::StatusCodeToString(status.code()));
}

absl::Status ArgumentError(absl::string_view message) {
  return OrbError(absl::StatusCode::kInvalidArgument, message, "BAD_ARGUMENT", "arguments");
}

}  // namespace orb
