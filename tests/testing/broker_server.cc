#include "tests/testing/broker_server.h"

#include <utility>

#include "gtest/gtest.h"
#include "orb/demo/blog.h"

namespace orb::testing {
namespace {

broker::ServerOptions WithPolicyMessageLimit(const policy::PolicyPtr& policy) {
  broker::ServerOptions options;
  if (policy != nullptr) options.max_message_bytes = policy->limits().max_message_bytes;
  return options;
}

std::shared_ptr<broker::TypeRegistry> BlogRegistryWith(
    const std::function<absl::Status(broker::TypeRegistry&)>& register_types) {
  std::shared_ptr<broker::TypeRegistry> registry = BrokerServer::BlogRegistry();
  if (register_types) {
    absl::Status s = register_types(*registry);
    if (!s.ok()) ADD_FAILURE() << s;
  }
  return registry;
}

}  // namespace

BrokerServer::BrokerServer(policy::PolicyPtr policy)
    : BrokerServer(std::move(policy), nullptr, demo::MakeBlog()) {}

BrokerServer::BrokerServer(
    policy::PolicyPtr policy,
    const std::function<absl::Status(broker::TypeRegistry&)>& register_types,
    std::shared_ptr<broker::Object> root)
    : BrokerServer(BlogRegistryWith(register_types), std::move(root), policy,
                   WithPolicyMessageLimit(policy)) {}

BrokerServer::BrokerServer(std::shared_ptr<broker::TypeRegistry> registry,
                           std::shared_ptr<broker::Object> root, policy::PolicyPtr policy,
                           broker::ServerOptions server_options,
                           broker::BrokerCore::Options core_options)
    : registry_(std::move(registry)) {
  core_ = std::make_unique<broker::BrokerCore>(registry_, std::move(root), std::move(policy),
                                               std::move(core_options));
  server_options.listen = "127.0.0.1:0";
  auto started = broker::Server::Start(core_.get(), server_options);
  if (!started.ok()) {
    ADD_FAILURE() << "server did not start: " << started.status();
    return;
  }
  server_ = *std::move(started);
}

BrokerServer::~BrokerServer() {
  if (server_ != nullptr) server_->Shutdown(absl::Seconds(2));
}

std::shared_ptr<broker::TypeRegistry> BrokerServer::BlogRegistry() {
  auto registry = std::make_shared<broker::TypeRegistry>();
  absl::Status s = demo::RegisterBlogTypes(*registry);
  if (!s.ok()) ADD_FAILURE() << s;
  return registry;
}

std::shared_ptr<grpc::Channel> BrokerServer::PlaintextChannel() const {
  return grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
}

std::unique_ptr<v1::ObjectBroker::Stub> BrokerServer::NewStub() const {
  return v1::ObjectBroker::NewStub(PlaintextChannel());
}

}  // namespace orb::testing
