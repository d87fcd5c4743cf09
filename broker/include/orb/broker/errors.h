// Errors of the broker core: absl::Status with an orb.v1.ErrorInfo payload
// (under kErrorInfoTypeUrl) that says which gate refused and why. The service
// adapter copies the payload into the gRPC status details unchanged.
//
// Reasons and gates come from one list, the orb.v1.ErrorReason and
// orb.v1.ErrorGate enums (proto/orb/v1/error_details.proto); on the wire
// they travel as text (ReasonText, GateText). docs/protocol.md's table
// lists exactly those reasons (tests/broker/error_reasons_test.cc).
#ifndef ORB_BROKER_ERRORS_H_
#define ORB_BROKER_ERRORS_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "orb/v1/error_details.pb.h"

namespace orb::broker {

// The wire text of a reason ("NAME_NOT_FOUND") and of a gate ("olp").
const std::string& ReasonText(v1::ErrorReason reason);
const std::string& GateText(v1::ErrorGate gate);

// `status` with an ErrorInfo payload; an OK status stays OK.
absl::Status WithErrorInfo(absl::Status status, v1::ErrorReason reason, v1::ErrorGate gate,
                           absl::string_view method_error_type = "");

// An error status with an ErrorInfo payload.
absl::Status OrbError(absl::StatusCode code, absl::string_view message, v1::ErrorReason reason,
                      v1::ErrorGate gate, absl::string_view method_error_type = "");

// The ErrorInfo carried by `status`, if any.
std::optional<v1::ErrorInfo> GetErrorInfo(const absl::Status& status);

// Marks a status returned by bound code as the method's own error: keeps its
// code and message and sets ErrorInfo{METHOD_ERROR, method, <code name>}.
// OK stays OK.
absl::Status MethodError(const absl::Status& status);

// Shorthand for INVALID_ARGUMENT / BAD_ARGUMENT / arguments.
absl::Status ArgumentError(absl::string_view message);

}  // namespace orb::broker

#endif  // ORB_BROKER_ERRORS_H_
