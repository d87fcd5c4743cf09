// The thermostat as an orbd plugin: no main of its own; orbd serves it with
// all of its flags and behaviour (TLS and mTLS, the audit log, SIGHUP
// reload, the policy check, the admin service, draining).
//
//   orbd --plugin=build/lib/thermostat_plugin.so --service=thermostat
//        --policy=examples/embed/policy.textproto
#include <memory>

#include "orb/broker/plugin.h"
#include "thermostat.h"

absl::Status RegisterThermostatPlugin(orb::broker::PluginRegistrar& registrar) {
  return registrar.AddService(
      {"thermostat", RegisterThermostat, [] { return std::make_shared<Thermostat>(); }});
}

ORB_PLUGIN(RegisterThermostatPlugin)
