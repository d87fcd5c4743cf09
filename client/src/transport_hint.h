// Private to orb_client: why a call may have failed to reach the broker,
// told from gRPC's transport error and the client's own TLS settings.
//
// gRPC reports a transport mismatch in words that do not name it: a
// plaintext client at a TLS port sees "Socket closed" (the server drops
// the connection when the first bytes are not a TLS record), a TLS client
// at a plaintext port sees OpenSSL's "wrong version number", and a TLS
// client without a certificate at a port that requires one sees "Socket
// closed" too (TLS 1.3 refuses the certificate after the client has
// finished its handshake). Those are the three hints; every other failure
// gets none. They are guesses ("may"): "Socket closed" also happens when a
// server stops, which is why only UNAVAILABLE with those words gets one.
#ifndef ORB_CLIENT_SRC_TRANSPORT_HINT_H_
#define ORB_CLIENT_SRC_TRANSPORT_HINT_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "orb/client/client.h"

namespace orb {
namespace client {
namespace client_internal {

// The payload under which a status carries its TransportHint (private
// format: the kind's number, a newline, gRPC's own message).
inline constexpr char kTransportHintPayloadUrl[] = "orb.client/transport-hint";

// The likely cause of `status` (a failed call's), if it is one of the three.
std::optional<TransportHint::Kind> DiagnoseTransport(const absl::Status& status,
                                                     const ClientOptions& options);

// `status` with the hint, if any: the message gains a sentence naming the
// ClientOptions field to set, and TransportHintOf() finds the payload.
absl::Status WithTransportHint(absl::Status status, const ClientOptions& options);

}  // namespace client_internal
}  // namespace client
}  // namespace orb

#endif  // ORB_CLIENT_SRC_TRANSPORT_HINT_H_
