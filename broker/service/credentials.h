// What a gRPC call presents as credentials, in policy/'s transport-neutral
// form.
#ifndef ORB_BROKER_SERVICE_CREDENTIALS_H_
#define ORB_BROKER_SERVICE_CREDENTIALS_H_

#include "grpcpp/server_context.h"
#include "orb/policy/authn.h"

namespace orb::broker {

// Reads every `authorization` metadata entry (counting them, and noting a
// key that is `authorization` in another case) and, when `peer_certificates_verified`
// and the peer presented a client certificate, the certificate's subject CN
// and subjectAltNames (peer.verified set). Pass true only when the server's
// TLS layer refuses every certificate its client CA does not verify (the
// *_AND_VERIFY request modes, which Server uses whenever it has a client
// CA): the auth context alone cannot tell a verified certificate from one
// merely presented. Never logs anything.
policy::CallCredentials ExtractCredentials(const grpc::ServerContextBase& context,
                                           bool peer_certificates_verified);

}  // namespace orb::broker

#endif  // ORB_BROKER_SERVICE_CREDENTIALS_H_
