// File: orb/client/errors.h
//
// Errors from the broker are absl::Status values with the gRPC status code
// (the numbers are the same) and the broker's message. When the broker sent
// structured detail (an orb.v1.ErrorInfo in the `grpc-status-details-bin`
// trailer), the status carries it as a payload, and ErrorInfoOf() returns it:
//
//   absl::StatusOr<orb::Value> v = blog.Get("_secret");
//   if (std::optional<orb::ErrorInfo> info = orb::ErrorInfoOf(v.status())) {
//     // info->reason == "NAME_NOT_FOUND", info->gate == "olp"
//   }
//
// Errors the client finds by itself (a closed session, a value of the wrong
// kind, a handle of another session) carry no ErrorInfo.
#ifndef ORB_CLIENT_ERRORS_H_
#define ORB_CLIENT_ERRORS_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"

namespace orb {
inline namespace client {

// orb::ErrorInfo
//
// The broker's structured error detail (orb.v1.ErrorInfo; the reasons and
// gates are listed in proto/orb/v1/error_details.proto).
struct ErrorInfo {
  // Stable, machine-readable, e.g. "NAME_NOT_FOUND", "ACL_DENIED",
  // "SESSION_NOT_FOUND", "BAD_ARGUMENT", "METHOD_ERROR".
  std::string reason;
  // What refused: "olp", "acl", "authn", "quota", "limits", "arguments",
  // "method", "session", "handle".
  std::string gate;
  // For an error of the bound C++ method: its type (exception type name or
  // absl::StatusCode name); empty otherwise.
  std::string method_error_type;
  // Extra key/value detail (never credentials).
  std::map<std::string, std::string> metadata;
};

// orb::ErrorInfoOf()
//
// The ErrorInfo carried by `status`, or std::nullopt when it carries none
// (OK, a client-side error, or a broker error without detail).
std::optional<ErrorInfo> ErrorInfoOf(const absl::Status& status);

}  // namespace client
}  // namespace orb

#endif  // ORB_CLIENT_ERRORS_H_
