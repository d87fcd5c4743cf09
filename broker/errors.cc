#include "orb/broker/errors.h"

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/strip.h"
#include "orb/broker/broker_core.h"

namespace orb::broker {

const std::string& ReasonText(v1::ErrorReason reason) { return v1::ErrorReason_Name(reason); }

const std::string& GateText(v1::ErrorGate gate) {
  // Built once: the names without "GATE_", in lower case.
  static const auto* const texts = [] {
    const google::protobuf::EnumDescriptor* gates = v1::ErrorGate_descriptor();
    auto* out = new absl::flat_hash_map<int, std::string>();
    for (int i = 0; i < gates->value_count(); ++i) {
      absl::string_view name = gates->value(i)->name();
      absl::ConsumePrefix(&name, "GATE_");
      (*out)[gates->value(i)->number()] = absl::AsciiStrToLower(name);
    }
    return out;
  }();
  static const std::string unknown;
  auto it = texts->find(static_cast<int>(gate));
  return it != texts->end() ? it->second : unknown;
}

absl::Status WithErrorInfo(absl::Status status, v1::ErrorReason reason, v1::ErrorGate gate,
                           absl::string_view method_error_type) {
  if (status.ok()) return status;
  v1::ErrorInfo info;
  info.set_reason(ReasonText(reason));
  info.set_gate(GateText(gate));
  if (!method_error_type.empty()) info.set_method_error_type(std::string(method_error_type));
  status.SetPayload(kErrorInfoTypeUrl, absl::Cord(info.SerializeAsString()));
  return status;
}

absl::Status OrbError(absl::StatusCode code, absl::string_view message, v1::ErrorReason reason,
                      v1::ErrorGate gate, absl::string_view method_error_type) {
  return WithErrorInfo(absl::Status(code, message), reason, gate, method_error_type);
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
  return OrbError(status.code(), status.message(), v1::METHOD_ERROR, v1::GATE_METHOD,
                  absl::StatusCodeToString(status.code()));
}

absl::Status ArgumentError(absl::string_view message) {
  return OrbError(absl::StatusCode::kInvalidArgument, message, v1::BAD_ARGUMENT, v1::GATE_ARGUMENTS);
}

}  // namespace orb::broker
