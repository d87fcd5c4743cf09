#include "broker/service/credentials.h"

#include <string>
#include <vector>

#include "grpc/grpc_security_constants.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "grpcpp/security/auth_context.h"

namespace orb::broker {
namespace {

// The one metadata entry orb reads for identity. Routing headers, when orb
// reads them, are checked the same way (see CallCredentials).
constexpr absl::string_view kAuthorizationHeader = "authorization";

std::vector<std::string> PropertyValues(const grpc::AuthContext& auth, const char* name) {
  std::vector<std::string> values;
  for (const grpc::string_ref& v : auth.FindPropertyValues(name)) {
    values.emplace_back(v.data(), v.size());
  }
  return values;
}

}  // namespace

policy::CallCredentials ExtractCredentials(const grpc::ServerContextBase& context,
                                           bool peer_certificates_verified) {
  policy::CallCredentials credentials;
  // Every entry is looked at: a second `authorization`, or one spelled in
  // another case (raw HTTP/2 can send "Authorization" and gRPC passes it
  // through), must be refused, never skipped.
  for (const auto& [key, value] : context.client_metadata()) {
    const absl::string_view name(key.data(), key.size());
    if (!absl::EqualsIgnoreCase(name, kAuthorizationHeader)) continue;
    if (name != kAuthorizationHeader) {
      if (credentials.miscased_header.empty()) {
        credentials.miscased_header = absl::CHexEscape(name);
      }
      continue;
    }
    if (credentials.authorization_count++ == 0) {
      credentials.has_authorization = true;
      credentials.authorization.assign(value.data(), value.size());
    }
  }
  if (!peer_certificates_verified) return credentials;

  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr) return credentials;
  // Only a TLS connection whose peer presented a certificate; with a
  // verifying server that certificate passed the handshake's verification
  // (or the connection would not exist).
  const std::vector<std::string> transport =
      PropertyValues(*auth, GRPC_TRANSPORT_SECURITY_TYPE_PROPERTY_NAME);
  if (transport.empty() || transport.front() != GRPC_SSL_TRANSPORT_SECURITY_TYPE) {
    return credentials;
  }
  if (PropertyValues(*auth, GRPC_X509_PEM_CERT_PROPERTY_NAME).empty()) return credentials;
  credentials.peer.verified = true;
  auto cn = PropertyValues(*auth, GRPC_X509_CN_PROPERTY_NAME);
  if (!cn.empty()) credentials.peer.subject_cn = cn.front();
  credentials.peer.san_dns = PropertyValues(*auth, GRPC_PEER_DNS_PROPERTY_NAME);
  credentials.peer.san_uri = PropertyValues(*auth, GRPC_PEER_URI_PROPERTY_NAME);
  credentials.peer.san_email = PropertyValues(*auth, GRPC_PEER_EMAIL_PROPERTY_NAME);
  return credentials;
}

}  // namespace orb::broker
