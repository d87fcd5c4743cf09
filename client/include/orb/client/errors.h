// File: orb/client/errors.h
//
// Errors from the broker are absl::Status values with the gRPC status code
// (the numbers are the same) and the broker's message. When the broker sent
// structured detail (an orb.v1.ErrorInfo in the `grpc-status-details-bin`
// trailer), the status carries it as a payload, and ErrorInfoOf() returns it:
//
//   absl::StatusOr<orb::client::Value> v = blog.Get("_secret");
//   if (std::optional<orb::client::ErrorInfo> info = orb::client::ErrorInfoOf(v.status())) {
//     // info->reason == "NAME_NOT_FOUND", info->gate == "olp"
//   }
//
// Errors the client finds by itself (a closed session, a value of the wrong
// kind, a handle of another session) carry no ErrorInfo.
//
// When a call cannot reach the broker and the likely cause is a transport
// mismatch (a plaintext client at a TLS port, a TLS client at a plaintext
// port, no client certificate where mutual TLS is required), the status's
// message ends with a hint naming the ClientOptions field to set, and
// TransportHintOf() tells which mismatch it is:
//
//   UNAVAILABLE: failed to connect to all addresses; last error: UNAVAILABLE:
//   ipv4:127.0.0.1:50051: Socket closed (the broker may expect TLS: set
//   ClientOptions::tls_ca_file to the CA that signed its certificate (or
//   ClientOptions::tls for the system's roots))
#ifndef ORB_CLIENT_ERRORS_H_
#define ORB_CLIENT_ERRORS_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"

namespace orb {
namespace client {

// orb::client::ErrorInfo
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

// orb::client::ErrorInfoOf()
//
// The ErrorInfo carried by `status`, or std::nullopt when it carries none
// (OK, a client-side error, or a broker error without detail).
std::optional<ErrorInfo> ErrorInfoOf(const absl::Status& status);

// orb::client::TransportHint
//
// A likely cause of a failure to reach the broker, told by the client from
// gRPC's transport error and its own TLS options (the broker never
// answered, so this is a guess: "may").
struct TransportHint {
  enum class Kind {
    // A plaintext client, and the connection closed at once: the broker may
    // expect TLS.
    kServerMayExpectTls,
    // A TLS client, and the answer was not TLS: the broker may be plaintext.
    kServerMayNotSpeakTls,
    // A TLS client without a certificate, and the connection closed after
    // the handshake: the broker may require mutual TLS.
    kServerMayWantClientCertificate,
  };
  Kind kind;
  // gRPC's own message, without the hint the client appended.
  std::string transport_message;
};

// orb::client::TransportHintOf()
//
// The hint the client attached to `status`, or std::nullopt (OK, or any
// failure that is not one of the mismatches above). For tools that word
// the hint with their own option names, as orbctl does (--tls-ca).
std::optional<TransportHint> TransportHintOf(const absl::Status& status);

}  // namespace client
}  // namespace orb

#endif  // ORB_CLIENT_ERRORS_H_
