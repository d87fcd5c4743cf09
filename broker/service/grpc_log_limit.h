// A rate limit on gRPC's log lines for failed TLS handshakes.
//
// Every connection to a TLS port that fails its handshake makes gRPC log an
// ERROR ("Handshake failed with fatal error SSL_ERROR_SSL: error:0A00010B:SSL
// routines::wrong version number.", what a plaintext client causes) and, at
// GRPC_VERBOSITY=DEBUG, two more lines for the same failure. A client that
// retries, or anyone who connects at will, could write lines to the server's
// log as fast as it connects.
//
// GrpcLogLimit::Filter() decides, for each line gRPC logs, what is written:
// every line that is not about a failed handshake passes unchanged. Of the
// handshake lines, at most one a minute passes per peer address and cause,
// with a note saying so and, from the second on, how many were held back
// since the previous one for that peer and cause. The cause is OpenSSL's
// reason ("wrong version number", "peer did not return a certificate", ...),
// so the lines of one failure at DEBUG verbosity count as one cause and a
// different failure is still reported. gRPC 1.51 names no peer address in
// these lines; a line that names one ("ipv4:10.0.0.7:50412") is limited per
// host, the others share one key per cause. The lines name no credential.
//
// Memory is bounded (KeyedLogRateLimit, at most 1024 keys).
//
// Thread safety: Filter() may run on many threads at once (gRPC logs from
// any of its threads).
#ifndef ORB_BROKER_SERVICE_GRPC_LOG_LIMIT_H_
#define ORB_BROKER_SERVICE_GRPC_LOG_LIMIT_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "broker/service/log_rate_limit.h"

namespace orb::broker {

class GrpcLogLimit {
 public:
  GrpcLogLimit();

  // The text to write for `message`, a line gRPC logged at `now`, or
  // nullopt when it is held back.
  std::optional<std::string> Filter(absl::string_view message, absl::Time now);

  // The key a handshake line is limited under ("<host> <cause>"), or
  // nullopt for a line that is not about a failed handshake. For tests.
  static std::optional<std::string> HandshakeKeyForTesting(absl::string_view message) {
    return HandshakeKey(message);
  }

 private:
  static std::optional<std::string> HandshakeKey(absl::string_view message);

  KeyedLogRateLimit limit_;
};

}  // namespace orb::broker

#endif  // ORB_BROKER_SERVICE_GRPC_LOG_LIMIT_H_
