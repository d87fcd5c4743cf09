// The lab thermostat of the embedding example: the type and its
// registration, shared by thermostat-broker (main.cc: its own main, its own
// server) and thermostat-daemon (daemon.cc: orbd's flags and behaviour
// through RunDaemon).
#ifndef ORB_EXAMPLES_EMBED_THERMOSTAT_H_
#define ORB_EXAMPLES_EMBED_THERMOSTAT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "orb/broker/binding.h"

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
inline absl::Status RegisterThermostat(orb::broker::TypeRegistry& registry) {
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

#endif  // ORB_EXAMPLES_EMBED_THERMOSTAT_H_
