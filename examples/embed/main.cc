// Embedding orb: serve a C++ object of your own over gRPC in a few lines.
//
// A lab thermostat whose setpoint anyone may read, authenticated users may
// adjust, and only group:lab may calibrate. Its service code is a private
// member no policy can reach.
//
//   thermostat-broker --listen=127.0.0.1:50052
//   grpcurl -plaintext -d '{}' 127.0.0.1:50052 orb.v1.ObjectBroker/OpenSession
#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "orb/broker/binding.h"
#include "orb/broker/broker_core.h"
#include "orb/broker/server.h"
#include "orb/policy/policy_loader.h"

// 1. Your type derives from orb::broker::Object.
class Thermostat : public orb::broker::Object {
 public:
  double setpoint() const { return setpoint_; }
  absl::Status set_setpoint(double celsius) {
    if (celsius < 5 || celsius > 30) return absl::InvalidArgumentError("setpoint must be 5..30 °C");
    setpoint_ = celsius;
    return absl::OkStatus();
  }
  double temperature() const { return 21.5 + offset_; }
  void Calibrate(double offset) { offset_ = offset; }

  std::string service_code_ = "never leaves this process";

 private:
  double setpoint_ = 20.0;
  double offset_ = 0.0;
};

// 2. Register it: members, each followed by the lock of what it allows
//    (together the type's default OLP: which names exist for which
//    operation, and the permission each needs), and the type's ACL. The
//    private setpoint_ is reached only through its accessors.
absl::Status RegisterThermostat(orb::broker::TypeRegistry& registry) {
  using orb::policy::AceSpec;
  orb::broker::TypeBuilder<Thermostat> type("lab.Thermostat");
  type.Property("setpoint", &Thermostat::setpoint, &Thermostat::set_setpoint)
      .Get("view")
      .Set("adjust")
      .Property("temperature", &Thermostat::temperature).Get("view")
      .Method("calibrate", &Thermostat::Calibrate, {"offset"}).Call("calibrate")
      // Bound, but with no lock: no operation can reach it.
      .Attribute("_service_code", &Thermostat::service_code_)
      .Acl({AceSpec::Allow("system.Everyone", "view"),
            AceSpec::Allow("system.Authenticated", "adjust"),
            AceSpec::Allow("group:lab", std::vector<std::string>{"adjust", "calibrate"}),
            AceSpec::DenyAll()})
      // A real instrument read may block, so no NonBlocking() here: the
      // broker runs these members on its member threads.
      .Concurrency(orb::broker::Concurrency::kSerialized);
  return registry.Register(std::move(type));
}

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
