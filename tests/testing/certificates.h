// Certificates made at test time with the openssl command line in a
// temporary directory (removed with the object): a CA "ca" and another
// "other-ca"; a server certificate "server" for 127.0.0.1 and localhost;
// client certificates "alice" (with an e-mail SAN), "bob" and
// "alice-laptop" from ca, and "mallory" (CN alice) from other-ca. Each NAME
// has NAME.pem and NAME.key.
#ifndef ORB_TESTS_TESTING_CERTIFICATES_H_
#define ORB_TESTS_TESTING_CERTIFICATES_H_

#include <memory>
#include <string>

#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "orb/broker/server.h"

namespace orb::testing {

class Certificates {
 public:
  // Makes them all; ok() tells whether that worked (a failure is also
  // reported to GoogleTest).
  Certificates();
  ~Certificates();
  Certificates(const Certificates&) = delete;
  Certificates& operator=(const Certificates&) = delete;

  bool ok() const { return ok_; }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string Pem(const std::string& name) const;

  // Server options serving TLS with "server"; client certificates from ca
  // accepted when `client_ca`, required when `require`.
  broker::ServerOptions Server(bool client_ca, bool require) const;

  // A TLS client trusting `ca`, presenting `client`'s certificate if given.
  std::shared_ptr<grpc::ChannelCredentials> Client(const std::string& client,
                                                   const std::string& ca = "ca") const;

 private:
  bool Run(const std::string& command);
  bool MakeCa(const std::string& name, const std::string& cn);
  bool Issue(const std::string& ca, const std::string& name, const std::string& cn,
             const std::string& san);

  std::string dir_;
  bool ok_ = false;
};

// A test fixture whose tests share one set of Certificates (made once per
// suite: openssl is slow), as certs_; each test fails at once when making
// them failed.
class CertificatesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { certs_ = new Certificates(); }
  static void TearDownTestSuite() {
    delete certs_;
    certs_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(certs_->ok()); }

  static inline Certificates* certs_ = nullptr;
};

}  // namespace orb::testing

#endif  // ORB_TESTS_TESTING_CERTIFICATES_H_
