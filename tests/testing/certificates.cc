// Test certificates made with the openssl command line (certificates.h).
#include "tests/testing/certificates.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/testing/test_support.h"

namespace orb::testing {

Certificates::Certificates() {
  dir_ = MakeTempDir();
  ok_ = MakeCa("ca", "orb test CA") && MakeCa("other-ca", "another test CA") &&
        Issue("ca", "server", "localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost") &&
        Issue("ca", "alice", "alice", "subjectAltName=email:alice@example.com") &&
        Issue("ca", "bob", "bob", "") && Issue("ca", "alice-laptop", "alice-laptop", "") &&
        Issue("other-ca", "mallory", "alice", "");
}

Certificates::~Certificates() { RunCommand("rm -rf '" + dir_ + "'"); }

std::string Certificates::Pem(const std::string& name) const { return ReadWholeFile(Path(name)); }

broker::ServerOptions Certificates::Server(bool client_ca, bool require) const {
  broker::ServerOptions options;
  options.tls_cert_file = Path("server.pem");
  options.tls_key_file = Path("server.key");
  if (client_ca) options.tls_client_ca_file = Path("ca.pem");
  options.tls_require_client_cert = require;
  return options;
}

std::shared_ptr<grpc::ChannelCredentials> Certificates::Client(const std::string& client,
                                                               const std::string& ca) const {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = Pem(ca + ".pem");
  if (!client.empty()) {
    options.pem_private_key = Pem(client + ".key");
    options.pem_cert_chain = Pem(client + ".pem");
  }
  return grpc::SslCredentials(options);
}

bool Certificates::Run(const std::string& command) {
  CommandResult r = RunCommand("cd '" + dir_ + "' && " + command);
  if (r.exit_code != 0) ADD_FAILURE() << command << "\n" << r.output;
  return r.exit_code == 0;
}

bool Certificates::MakeCa(const std::string& name, const std::string& cn) {
  return Run(absl::StrCat(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ",
      name, ".key -out ", name, ".pem -days 2 -subj '/CN=", cn,
      "' -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign,cRLSign"));
}

bool Certificates::Issue(const std::string& ca, const std::string& name, const std::string& cn,
                         const std::string& san) {
  std::string ext = "basicConstraints=CA:FALSE\n";
  if (!san.empty()) absl::StrAppend(&ext, san, "\n");
  WriteWholeFile(Path(name + ".ext"), ext);
  return Run(absl::StrCat(
             "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ",
             name, ".key -out ", name, ".csr -subj '/CN=", cn, "'")) &&
         Run(absl::StrCat("openssl x509 -req -in ", name, ".csr -CA ", ca, ".pem -CAkey ", ca,
                          ".key -CAcreateserial -days 2 -out ", name, ".pem -extfile ", name,
                          ".ext"));
}

}  // namespace orb::testing
