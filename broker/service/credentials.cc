#include "broker/service/credentials.h"

#include <string>
#include <vector>

#include "grpc/grpc_security_constants.h"
#include "grpcpp/security/auth_context.h"

namespace orb::service {
namespace {

std::vector<std::string> PropertyValues(const grpc::AuthContext& auth, const char* name) {
  std::vector<std::string> values;
  for (const grpc::string_ref& v : auth.FindPropertyValues(name)) {
    values.emplace_back(v.data(), v.size());
  }
  return values;
}

}  // namespace

policy::CallCredentials ExtractCredentials(const grpc::ServerContextBase& context) {
  policy::CallCredentials credentials;
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it != metadata.end()) {
    credentials.has_authorization = true;
    credentials.authorization.assign(it->second.data(), it->second.size());
  }

  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  // A peer identity exists only when the TLS layer verified a client
  // certificate (the server requests and verifies them with mTLS on).
  if (auth != nullptr && auth->IsPeerAuthenticated()) {
    auto cn = PropertyValues(*auth, GRPC_X509_CN_PROPERTY_NAME);
    if (!cn.empty()) {
      credentials.peer.verified = true;
      credentials.peer.subject_cn = cn.front();
    }
    credentials.peer.san_dns = PropertyValues(*auth, GRPC_PEER_DNS_PROPERTY_NAME);
    credentials.peer.san_uri = PropertyValues(*auth, GRPC_PEER_URI_PROPERTY_NAME);
    credentials.peer.san_email = PropertyValues(*auth, GRPC_PEER_EMAIL_PROPERTY_NAME);
    if (!credentials.peer.san_dns.empty() || !credentials.peer.san_uri.empty() ||
        !credentials.peer.san_email.empty()) {
      credentials.peer.verified = true;
    }
  }
  return credentials;
}

}  // namespace orb::service
