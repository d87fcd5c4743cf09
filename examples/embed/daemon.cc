// The same thermostat served with orbd's flags and behaviour: TLS and mTLS,
// the audit log, SIGHUP reload, the admin service, the policy check
// against the served types, draining on SIGTERM (docs/operations.md).
//
//   thermostat-daemon --listen=127.0.0.1:50052 --policy=examples/embed/policy.textproto
#include <memory>

#include "orb/broker/daemon.h"
#include "thermostat.h"

int main(int argc, char** argv) {
  return orb::broker::RunDaemon(argc, argv,
                                {{"thermostat", RegisterThermostat,
                                  [] { return std::make_shared<Thermostat>(); }}});
}
