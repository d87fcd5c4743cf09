// Errors of the broker core: absl::Status with an orb.v1.ErrorInfo payload
// (under kErrorInfoTypeUrl) that says which gate refused and why. The service
// adapter copies the payload into the gRPC status details unchanged.
//
// Reasons and gates used by the core (ErrorInfo.reason / ErrorInfo.gate):
//   SESSION_NOT_FOUND / session   unknown, expired, closed or foreign session
//   HANDLE_NOT_FOUND  / handle    unknown, released or foreign handle
//   NAME_NOT_FOUND    / olp       missing member or member not exposed
//   ACL_DENIED        / acl       the lock did not hold
//   WRONG_MEMBER_KIND / olp       e.g. call on an attribute, getattr on a method
//   BAD_ARGUMENT      / arguments arity, keyword or type of an argument
//   BAD_VALUE, VALUE_TOO_DEEP, VALUE_TOO_LARGE / limits   incoming value checks
//   QUOTA_HANDLES, QUOTA_SESSIONS / quota
//   DEADLINE_EXCEEDED, CANCELLED / deadline
//   METHOD_ERROR / method         the member returned a non-OK absl::Status
//   METHOD_EXCEPTION / method     the member threw (type name in
//                                 method_error_type)
//   UNREGISTERED_TYPE / method    a member returned an object of a type that
//                                 is not registered
//   OBJECT_DETACHED / acl         an ancestor of the object no longer exists
#ifndef ORB_BROKER_ERRORS_H_
#define ORB_BROKER_ERRORS_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "orb/v1/error_details.pb.h"

namespace orb {

// An error status with an ErrorInfo payload.
absl::Status OrbError(absl::StatusCode code, absl::string_view message, absl::string_view reason,
                      absl::string_view gate, absl::string_view method_error_type = "");

// The ErrorInfo carried by `status`, if any.
std::optional<v1::ErrorInfo> GetErrorInfo(const absl::Status& status);

// Marks a status returned by bound code as the method's own error: keeps its
// code and message and sets ErrorInfo{METHOD_ERROR, method, <code name>}.
// OK stays OK.
absl::Status MethodError(const absl::Status& status);

// Shorthand for INVALID_ARGUMENT / BAD_ARGUMENT / arguments.
absl::Status ArgumentError(absl::string_view message);

}  // namespace orb

#endif  // ORB_BROKER_ERRORS_H_
