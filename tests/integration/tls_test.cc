// Transport security as an operator deploys it: TLS, optional and required
// client certificates, and the certificate's identity reaching the ACL.
// Certificates are made at test time (tests/testing/certificates.h).
#include <signal.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orb/client/client.h"
#include "tests/integration/ops_fixture.h"
#include "tests/testing/certificates.h"

namespace orb::testing {

using orb::client::Client;
using orb::client::ClientOptions;
using orb::client::TransportHint;
using orb::client::TransportHintOf;
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kAliceToken[] = "alice-demo-token";

// alice is an editor (the blog's ACL lets group:editors edit), bob is not.
std::string MtlsPolicy(const std::string& mtls, bool allow_anonymous = false) {
  return absl::StrCat(R"(
authentication {
  allow_anonymous: )", allow_anonymous ? "true" : "false", R"(
  bearer_token {
    userid: "alice"
    sha256: "bba775a1794a2ccaa524798e32cea98187c9a32d80433d760a92d449bfddff66"
  }
  )", mtls, R"(
}
user { userid: "alice" group: "group:editors" }
user { userid: "bob" }
default_permission: "view"
)");
}

class TlsTest : public CertificatesTest {
 protected:
  std::unique_ptr<BrokerServer> Start(const std::string& policy_text, bool client_ca,
                                   bool require) {
    auto broker = std::make_unique<BrokerServer>(BrokerServer::BlogRegistry(), demo::MakeBlog(),
                                              CompilePolicy(policy_text),
                                              certs_->Server(client_ca, require));
    EXPECT_TRUE(broker->started());
    return broker;
  }

  static std::unique_ptr<v1::ObjectBroker::Stub> Stub(
      const BrokerServer& broker, std::shared_ptr<grpc::ChannelCredentials> credentials,
      const std::string& host = "127.0.0.1") {
    return v1::ObjectBroker::NewStub(grpc::CreateChannel(
        absl::StrCat(host, ":", broker.port()), std::move(credentials)));
  }

  // Opens a session; returns its status and fills *userid.
  static grpc::Status Open(v1::ObjectBroker::Stub& stub, std::string* userid = nullptr,
                           const std::string& token = "") {
    v1::OpenSessionResponse response;
    grpc::Status status = OpenSession(stub, token, &response);
    if (userid != nullptr) *userid = response.userid();
    return status;
  }

  // Opens a session and sets the blog's title.
  static grpc::Status SetTitle(v1::ObjectBroker::Stub& stub, const std::string& title,
                               const std::string& token = "") {
    v1::OpenSessionResponse session;
    grpc::Status status = OpenSession(stub, token, &session);
    if (!status.ok()) return status;
    v1::SetAttrRequest request;
    request.set_session(session.session());
    request.set_handle(session.root().id());
    request.set_name("title");
    *request.mutable_value() = Str(title);
    v1::SetAttrResponse response;
    return stub.SetAttr(Context(token).get(), request, &response);
  }

};

TEST_F(TlsTest, AClientTrustingTheCaConnectsAndAPlaintextClientDoesNot) {
  auto broker = Start(MtlsPolicy("", /*allow_anonymous=*/true), false, false);
  std::string userid = "unset";
  auto tls = Stub(*broker, certs_->Client(""));
  ASSERT_TRUE(Open(*tls, &userid).ok());
  EXPECT_EQ(userid, "");  // anonymous: no certificate, no header
  // The server certificate names localhost too.
  EXPECT_TRUE(Open(*Stub(*broker, certs_->Client(""), "localhost")).ok());

  auto plaintext = Stub(*broker, grpc::InsecureChannelCredentials());
  EXPECT_EQ(Open(*plaintext).error_code(), grpc::StatusCode::UNAVAILABLE);
  // A client that trusts another CA does not accept the server.
  EXPECT_EQ(Open(*Stub(*broker, certs_->Client("", "other-ca"))).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, RequiredClientCertificateRefusesClientsWithoutOne) {
  auto broker = Start(MtlsPolicy("mtls { userid_from: SUBJECT_CN }"), true, true);
  EXPECT_EQ(Open(*Stub(*broker, certs_->Client(""))).error_code(), grpc::StatusCode::UNAVAILABLE);
  // Even with a valid bearer token: the handshake refuses before any call.
  EXPECT_EQ(Open(*Stub(*broker, certs_->Client("")), nullptr, kAliceToken).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  std::string userid;
  ASSERT_TRUE(Open(*Stub(*broker, certs_->Client("alice")), &userid).ok());
  EXPECT_EQ(userid, "alice");
}

TEST_F(TlsTest, ACertificateFromAnotherCaIsRefused) {
  // mallory's certificate says CN=alice, signed by a CA the server does not
  // trust: refused whether client certificates are required or optional.
  for (bool require : {true, false}) {
    SCOPED_TRACE(require ? "required" : "optional");
    auto broker = Start(MtlsPolicy("mtls { userid_from: SUBJECT_CN }", /*allow_anonymous=*/true),
                        true, require);
    EXPECT_EQ(Open(*Stub(*broker, certs_->Client("mallory"))).error_code(),
              grpc::StatusCode::UNAVAILABLE);
  }
}

TEST_F(TlsTest, TheCertificateIdentityIsTheOneTheAclSees) {
  auto broker = Start(MtlsPolicy("mtls { userid_from: SUBJECT_CN }"), true, true);
  auto alice = Stub(*broker, certs_->Client("alice"));
  auto bob = Stub(*broker, certs_->Client("bob"));
  std::string userid;
  ASSERT_TRUE(Open(*bob, &userid).ok());
  EXPECT_EQ(userid, "bob");
  // The blog's ACL lets group:editors edit: alice's certificate can set
  // the title, bob's cannot.
  EXPECT_TRUE(SetTitle(*alice, "set by alice's certificate").ok());
  grpc::Status denied = SetTitle(*bob, "set by bob's certificate");
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED) << denied.error_message();
}

TEST_F(TlsTest, OtherCertificateFieldsCanNameTheUser) {
  auto broker = Start(MtlsPolicy("mtls { userid_from: SAN_EMAIL }"), true, true);
  std::string userid;
  ASSERT_TRUE(Open(*Stub(*broker, certs_->Client("alice")), &userid).ok());
  EXPECT_EQ(userid, "alice@example.com");
  // bob's certificate has no e-mail subjectAltName: refused, not anonymous.
  grpc::Status status = Open(*Stub(*broker, certs_->Client("bob")));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("no e-mail subjectAltName"));
}

TEST_F(TlsTest, AMappedCertificateBecomesItsUserAndAnUnmappedOneIsRefused) {
  auto broker = Start(MtlsPolicy(R"(mtls {
    userid_from: SUBJECT_CN
    map { certificate_name: "alice-laptop" userid: "alice" }
  })"),
                      true, true);
  std::string userid;
  auto laptop = Stub(*broker, certs_->Client("alice-laptop"));
  ASSERT_TRUE(Open(*laptop, &userid).ok());
  EXPECT_EQ(userid, "alice");
  EXPECT_TRUE(SetTitle(*laptop, "set from alice's laptop").ok());
  // CN=bob is not in the map: refused, although bob is a user.
  grpc::Status status = Open(*Stub(*broker, certs_->Client("bob")));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("not mapped"));
}

TEST_F(TlsTest, ABearerHeaderWithAVerifiedCertificateIsTwoCredentialsAndRefused) {
  // docs/policy.md: one credential per call.
  auto broker = Start(MtlsPolicy("mtls { userid_from: SUBJECT_CN }"), true, true);
  auto bob = Stub(*broker, certs_->Client("bob"));
  grpc::Status status = Open(*bob, nullptr, kAliceToken);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("two credentials"));
  // The certificate alone still works, and so does a wrong token not.
  std::string userid;
  ASSERT_TRUE(Open(*bob, &userid).ok());
  EXPECT_EQ(userid, "bob");
  auto alice = Stub(*broker, certs_->Client("alice"));
  EXPECT_EQ(Open(*alice, nullptr, "not-a-token").error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(TlsTest, OptionalClientCertificates) {
  auto broker =
      Start(MtlsPolicy("mtls { userid_from: SUBJECT_CN }", /*allow_anonymous=*/true), true, false);
  std::string userid = "unset";
  ASSERT_TRUE(Open(*Stub(*broker, certs_->Client("")), &userid).ok());
  EXPECT_EQ(userid, "");
  ASSERT_TRUE(Open(*Stub(*broker, certs_->Client("alice")), &userid).ok());
  EXPECT_EQ(userid, "alice");
}

TEST_F(TlsTest, ACertificateIsIgnoredWhenThePolicyHasNoMtls) {
  auto broker = Start(MtlsPolicy("", /*allow_anonymous=*/true), true, true);
  std::string userid = "unset";
  ASSERT_TRUE(Open(*Stub(*broker, certs_->Client("alice")), &userid).ok());
  EXPECT_EQ(userid, "");
}

size_t CountOf(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Opens a session with the C++ client; returns the failure (OK if it opened).
absl::Status OpenWithClient(const ClientOptions& options) {
  absl::StatusOr<Client> client = Client::Connect(options);
  if (!client.ok()) return client.status();
  return client->OpenSession().status();
}

std::string Orbctl(const std::string& args) {
  return std::string(ORB_BINARY_DIR) + "/bin/orbctl " + args + " 2>&1";
}

TEST_F(TlsTest, APlaintextClientAtATlsOrbdIsToldWhyAndOrbdLogsOneLineForManyAttempts) {
  OrbdProcess orbd({"--listen=127.0.0.1:0",
                  "--policy=" + OrbdProcess::BlogPolicyPath(),
                  "--tls-cert=" + certs_->Path("server.pem"),
                  "--tls-key=" + certs_->Path("server.key")});
  const std::string address = orbd.WaitForAddress();
  ASSERT_FALSE(address.empty()) << orbd.log();

  // The C++ client names its own option.
  ClientOptions plaintext;
  plaintext.target = address;
  absl::Status failed = OpenWithClient(plaintext);
  EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(failed.message(), HasSubstr("the broker may expect TLS: set ClientOptions::tls_ca_file"));
  std::optional<TransportHint> hint = TransportHintOf(failed);
  ASSERT_TRUE(hint.has_value());
  EXPECT_EQ(hint->kind, TransportHint::Kind::kServerMayExpectTls);
  EXPECT_THAT(hint->transport_message, Not(HasSubstr("ClientOptions")));

  // orbctl names its option, and only its own.
  CommandResult orbctl = RunCommand(Orbctl("--target=" + address + " whoami"));
  EXPECT_EQ(orbctl.exit_code, 14) << orbctl.output;
  EXPECT_THAT(orbctl.output, HasSubstr("UNAVAILABLE"));
  EXPECT_THAT(orbctl.output, HasSubstr("the broker may expect TLS: pass --tls-ca=FILE"));
  EXPECT_THAT(orbctl.output, Not(HasSubstr("ClientOptions")));
  CommandResult json = RunCommand(Orbctl("--json --target=" + address + " whoami"));
  EXPECT_THAT(json.output, HasSubstr("\"hint\":\"the broker may expect TLS: pass --tls-ca=FILE"));

  // The same address tries again and again within the minute.
  constexpr int kMoreAttempts = 10;
  for (int i = 0; i < kMoreAttempts; ++i) {
    EXPECT_EQ(OpenWithClient(plaintext).code(), absl::StatusCode::kUnavailable);
  }
  // With the CA, the same orbd answers.
  ClientOptions tls = plaintext;
  tls.tls_ca_file = certs_->Path("ca.pem");
  EXPECT_TRUE(OpenWithClient(tls).ok());

  orbd.Signal(SIGTERM);
  ASSERT_EQ(orbd.WaitForExit(), 0) << orbd.log();
  const std::string log = orbd.log();
  // kMoreAttempts + 3 failed handshakes from 127.0.0.1, one line.
  EXPECT_EQ(CountOf(log, "andshake failed"), 1u) << log;
  EXPECT_THAT(log, HasSubstr("a client may be speaking plaintext to this TLS port"));
  EXPECT_THAT(log, HasSubstr("at most once a minute per peer and cause"));
}

TEST_F(TlsTest, ATlsClientAtAPlaintextBrokerIsToldWhy) {
  BrokerServer broker(BrokerServer::BlogRegistry(), demo::MakeBlog(),
                   CompilePolicy(MtlsPolicy("", /*allow_anonymous=*/true)));
  ASSERT_TRUE(broker.started());
  ClientOptions tls;
  tls.target = broker.address();
  tls.tls_ca_file = certs_->Path("ca.pem");
  absl::Status failed = OpenWithClient(tls);
  EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(failed.message(), HasSubstr("the broker may be serving plaintext"));
  std::optional<TransportHint> hint = TransportHintOf(failed);
  ASSERT_TRUE(hint.has_value());
  EXPECT_EQ(hint->kind, TransportHint::Kind::kServerMayNotSpeakTls);

  CommandResult orbctl = RunCommand(
      Orbctl("--target=" + broker.address() + " --tls-ca=" + certs_->Path("ca.pem") + " whoami"));
  EXPECT_EQ(orbctl.exit_code, 14) << orbctl.output;
  EXPECT_THAT(orbctl.output, HasSubstr("the broker may be serving plaintext: drop --tls-ca"));
  // gRPC's own log lines stay out of orbctl's output: one line, orbctl's.
  EXPECT_EQ(CountOf(orbctl.output, "\n"), 1u) << orbctl.output;

  // The right transport has no hint, and neither has a broker that is not there.
  ClientOptions plaintext;
  plaintext.target = broker.address();
  EXPECT_TRUE(OpenWithClient(plaintext).ok());
  plaintext.target = "127.0.0.1:1";
  absl::Status refused = OpenWithClient(plaintext);
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(TransportHintOf(refused), std::nullopt) << refused;
  EXPECT_THAT(refused.message(), Not(HasSubstr("may")));
}

TEST_F(TlsTest, ATlsClientWithoutACertificateWhereOneIsRequiredIsToldWhy) {
  auto broker = Start(MtlsPolicy("mtls { userid_from: SUBJECT_CN }"), true, true);
  ClientOptions tls;
  tls.target = broker->address();
  tls.tls_ca_file = certs_->Path("ca.pem");
  absl::Status failed = OpenWithClient(tls);
  EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(failed.message(), HasSubstr("the broker may require a client certificate"));
  CommandResult orbctl = RunCommand(
      Orbctl("--target=" + broker->address() + " --tls-ca=" + certs_->Path("ca.pem") + " whoami"));
  EXPECT_THAT(orbctl.output, HasSubstr("pass --tls-cert=FILE and --tls-key=FILE"));
  // With one, it connects.
  tls.tls_cert_file = certs_->Path("alice.pem");
  tls.tls_key_file = certs_->Path("alice.key");
  EXPECT_TRUE(OpenWithClient(tls).ok());
}

TEST_F(TlsTest, ACaFileWithoutACertificateIsAClearClientError) {
  ClientOptions tls;
  tls.target = "127.0.0.1:1";
  tls.tls_ca_file = certs_->Path("ca.key");
  absl::StatusOr<Client> client = Client::Connect(tls);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(client.status().message(), HasSubstr("ca.key' holds no PEM certificate"));
}

TEST_F(TlsTest, BadTlsFilesAreClearStartupErrors) {
  auto registry = BrokerServer::BlogRegistry();
  BrokerCore core(registry, demo::MakeBlog(), CompilePolicy(MtlsPolicy("")), {});
  broker::ServerOptions options = certs_->Server(false, false);
  options.listen = "127.0.0.1:0";
  options.tls_key_file = certs_->Path("missing.key");
  auto started = broker::Server::Start(&core, options);
  ASSERT_FALSE(started.ok());
  EXPECT_THAT(std::string(started.status().message()), HasSubstr("missing.key"));
  options = certs_->Server(false, true);
  options.listen = "127.0.0.1:0";
  started = broker::Server::Start(&core, options);
  ASSERT_FALSE(started.ok());
  EXPECT_THAT(std::string(started.status().message()), HasSubstr("--tls-client-ca"));
}

}  // namespace
}  // namespace orb::testing
