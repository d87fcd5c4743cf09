// Helpers for the operations tests (TLS, reload, audit, faults): a blog
// broker with chosen server and core options, test certificates made with
// the openssl command line, and small call helpers. Header-only so the
// shared integration fixture stays as it is.
#ifndef ORB_TESTS_INTEGRATION_OPS_FIXTURE_H_
#define ORB_TESTS_INTEGRATION_OPS_FIXTURE_H_

#include <signal.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <thread>
#include <vector>
#include <memory>
#include <sstream>
#include <string>
#include <utility>

#include "orb/broker/broker_core.h"
#include "orb/demo/blog.h"
#include "orb/broker/server.h"
#include "orb/broker/type_registry.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "orb/v1/admin.grpc.pb.h"
#include "orb/v1/broker.grpc.pb.h"
#include "orb/policy/authn.h"
#include "orb/policy/policy_loader.h"
#include "tests/testing/child_process.h"
#include "tests/testing/test_support.h"


namespace orb::testing {

using orb::broker::BrokerCore;
using orb::broker::Object;
using orb::broker::TypeRegistry;

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline void WriteWholeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// Compiles policy text; fails the test on errors.
inline policy::PolicyPtr CompileOrDie(const std::string& text,
                                      const std::string& name = "test.textproto") {
  policy::LoadResult loaded = policy::CompilePolicyText(text, name, ORB_SOURCE_DIR);
  for (const auto& e : loaded.errors) ADD_FAILURE() << e.ToString();
  return loaded.policy;
}

// A broker serving `root` (types in `registry`) on 127.0.0.1:0.
class OpsBroker {
 public:
  OpsBroker(std::shared_ptr<TypeRegistry> registry, std::shared_ptr<Object> root,
            policy::PolicyPtr policy, broker::ServerOptions server_options = {},
            BrokerCore::Options core_options = {})
      : registry_(std::move(registry)) {
    core_ = std::make_unique<BrokerCore>(registry_, std::move(root), std::move(policy),
                                         std::move(core_options));
    server_options.listen = "127.0.0.1:0";
    auto started = broker::Server::Start(core_.get(), server_options);
    if (!started.ok()) {
      ADD_FAILURE() << "server did not start: " << started.status();
      return;
    }
    server_ = *std::move(started);
  }
  ~OpsBroker() {
    if (server_ != nullptr) server_->Shutdown(absl::Seconds(2));
  }

  // The blog demo as the root.
  static std::shared_ptr<TypeRegistry> BlogRegistry() {
    auto registry = std::make_shared<TypeRegistry>();
    absl::Status s = demo::RegisterBlogTypes(*registry);
    if (!s.ok()) ADD_FAILURE() << s;
    return registry;
  }

  bool started() const { return server_ != nullptr; }
  BrokerCore& core() { return *core_; }
  broker::Server& server() { return *server_; }
  std::string address() const { return server_ != nullptr ? server_->address() : ""; }
  int port() const { return server_ != nullptr ? server_->port() : 0; }

  std::shared_ptr<grpc::Channel> PlaintextChannel() const {
    return grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
  }

 private:
  std::shared_ptr<TypeRegistry> registry_;
  std::unique_ptr<BrokerCore> core_;
  std::unique_ptr<broker::Server> server_;
};

// A client context with a deadline and, optionally, a bearer token.
inline std::unique_ptr<grpc::ClientContext> Context(const std::string& token = "",
                                                    std::chrono::milliseconds deadline =
                                                        std::chrono::seconds(10)) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
  context->set_deadline(std::chrono::system_clock::now() + deadline);
  return context;
}

inline grpc::Status OpenSession(v1::ObjectBroker::Stub& stub, const std::string& token,
                                v1::OpenSessionResponse* response) {
  v1::OpenSessionRequest request;
  request.set_client_name("ops-test");
  return stub.OpenSession(Context(token).get(), request, response);
}

inline v1::Value Str(const std::string& s) {
  v1::Value v;
  v.set_string_value(s);
  return v;
}

// A child daemon (orbd or a test build of it) with stderr in a file,
// stopped by its PID (SIGKILL) if the test did not stop it.
class ChildOrbd : public ChildProcess {
 public:
  ChildOrbd(const std::string& binary, std::vector<std::string> args)
      : ChildProcess(binary, std::move(args)) {}

  // Waits for the "serving ... on HOST:PORT" line; returns HOST:PORT or "".
  std::string WaitForAddress() {
    return ChildProcess::WaitForLog(R"(serving '[^']*' on ([0-9.]+:[0-9]+))");
  }
  // Waits up to `timeout` for `text` (plain text, not a pattern) in stderr.
  bool WaitForLog(const std::string& text, absl::Duration timeout = absl::Seconds(10)) {
    const absl::Time until = absl::Now() + timeout;
    while (absl::Now() < until) {
      if (log().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
};

}  // namespace orb::testing

#endif  // ORB_TESTS_INTEGRATION_OPS_FIXTURE_H_
