// The in-process broker of the gRPC-level tests: a BrokerCore served by
// broker::Server on an ephemeral loopback port (127.0.0.1:0), shut down
// when the fixture goes. The core-level tests drive a BrokerCore without a
// server through broker_fixture.h's Harness instead.
#ifndef ORB_TESTS_TESTING_BROKER_SERVER_H_
#define ORB_TESTS_TESTING_BROKER_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"
#include "orb/broker/broker_core.h"
#include "orb/broker/object.h"
#include "orb/broker/server.h"
#include "orb/broker/type_registry.h"
#include "orb/policy/policy_loader.h"
#include "orb/v1/broker.grpc.pb.h"
#include "tests/testing/builders.h"

namespace orb::testing {

class BrokerServer {
 public:
  // The blog demo under `policy` (default: the demo's own), with the
  // server's message limit taken from the policy.
  explicit BrokerServer(policy::PolicyPtr policy = DemoPolicy());
  // Serves `root` instead of a fresh blog; `register_types` adds the types
  // it needs to a registry that already holds the demo types.
  BrokerServer(policy::PolicyPtr policy,
               const std::function<absl::Status(broker::TypeRegistry&)>& register_types,
               std::shared_ptr<broker::Object> root);
  // Serves `root` (types in `registry`) with the given options; the listen
  // address is always 127.0.0.1:0.
  BrokerServer(std::shared_ptr<broker::TypeRegistry> registry,
               std::shared_ptr<broker::Object> root, policy::PolicyPtr policy,
               broker::ServerOptions server_options = {},
               broker::BrokerCore::Options core_options = {});
  ~BrokerServer();
  BrokerServer(const BrokerServer&) = delete;
  BrokerServer& operator=(const BrokerServer&) = delete;

  // A registry holding the blog demo's types.
  static std::shared_ptr<broker::TypeRegistry> BlogRegistry();

  // False when the server did not start (the test has failed then).
  bool started() const { return server_ != nullptr; }
  broker::BrokerCore& core() { return *core_; }
  broker::Server& server() { return *server_; }
  // HOST:PORT, or "" when the server did not start.
  std::string address() const { return server_ != nullptr ? server_->address() : ""; }
  int port() const { return server_ != nullptr ? server_->port() : 0; }

  std::shared_ptr<grpc::Channel> PlaintextChannel() const;
  std::unique_ptr<v1::ObjectBroker::Stub> NewStub() const;

 private:
  std::shared_ptr<broker::TypeRegistry> registry_;
  std::unique_ptr<broker::BrokerCore> core_;
  std::unique_ptr<broker::Server> server_;
};

}  // namespace orb::testing

#endif  // ORB_TESTS_TESTING_BROKER_SERVER_H_
