// Embedding orb: serve a C++ object of your own over gRPC in a few lines.
//
// A lab thermostat whose setpoint anyone may read, authenticated users may
// adjust, and only group:lab may calibrate. Its temperature follows the
// setpoint and is announced as it changes (ObjectBroker.Watch). Its service
// code is a private member no policy can reach.
//
//   thermostat-broker --listen=127.0.0.1:50052
//   grpcurl -plaintext -d '{}' 127.0.0.1:50052 orb.v1.ObjectBroker/OpenSession
#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "thermostat.h"
#include "orb/broker/broker_core.h"
#include "orb/broker/server.h"
#include "orb/policy/policy_loader.h"

// 1. Your type derives from orb::broker::Object, and 2. it is registered:
//    see thermostat.h.

// 3. Who may call: here an inline policy; orbd reads the same from a file.
//    Token "lab-token" for user "ada" (group:lab); its SHA-256 is stored.
constexpr char kPolicy[] = R"pb(
  authentication {
    allow_anonymous: true
    bearer_token {
      userid: "ada"
      sha256: "e98e88f1824ed5e30629d1f0a0dedc5c2d7d4ad926425dc58e2c0224032a69d4"
    }
  }
  user { userid: "ada" group: "group:lab" }
)pb";

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:50052";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--listen=", 0) == 0) listen = arg.substr(9);
  }

  auto registry = std::make_shared<orb::broker::TypeRegistry>();
  if (absl::Status s = RegisterThermostat(*registry); !s.ok()) {
    fprintf(stderr, "thermostat-broker: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  orb::policy::LoadResult policy = orb::policy::CompilePolicyText(kPolicy, "embedded policy");
  if (policy.policy == nullptr) {
    fprintf(stderr, "thermostat-broker: %s\n", policy.errors.front().ToString().c_str());
    return 1;
  }

  // 4. Serve: the root object, the registry, the policy.
  orb::broker::BrokerCore core(registry, std::make_shared<Thermostat>(), policy.policy, {});
  orb::broker::ServerOptions options;
  options.listen = listen;
  auto server = orb::broker::Server::Start(&core, options);
  if (!server.ok()) {
    fprintf(stderr, "thermostat-broker: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  fprintf(stderr, "thermostat-broker: serving on %s\n", (*server)->address().c_str());
  (*server)->Wait();
  return 0;
}
