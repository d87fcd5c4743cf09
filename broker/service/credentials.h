// What a gRPC call presents as credentials, in policy/'s transport-neutral
// form.
#ifndef ORB_BROKER_SERVICE_CREDENTIALS_H_
#define ORB_BROKER_SERVICE_CREDENTIALS_H_

#include "grpcpp/server_context.h"
#include "policy/authn.h"

namespace orb::service {

// Reads the `authorization` metadata entry and, on a TLS connection whose
// client certificate the server verified, the certificate's subject CN and
// subjectAltNames. Never logs anything.
policy::CallCredentials ExtractCredentials(const grpc::ServerContextBase& context);

}  // namespace orb::service

#endif  // ORB_BROKER_SERVICE_CREDENTIALS_H_
