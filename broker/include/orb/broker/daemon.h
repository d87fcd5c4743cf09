// RunDaemon: orbd's whole behaviour for a program that keeps its own main.
//
//   int main(int argc, char** argv) {
//     return orb::broker::RunDaemon(argc, argv, {{"lab", RegisterLabTypes, MakeLab}});
//   }
//
// The program then takes exactly orbd's flags (--listen, --policy,
// --service, TLS and mTLS, --audit-log, --strict-policy, --dump-types,
// --member-threads, ...; --help lists them) and behaves as orbd does:
// startup errors are one line on stderr and exit 1, the policy is checked
// against the served types, SIGHUP reloads the policy, SIGTERM/SIGINT drain
// the calls in flight, the admin service, health and reflection are served.
// docs/operations.md is the reference; log lines start with the program's
// name. orbd itself is this function with the demo blog as its service.
// --plugin=PATH adds the services of plugins (orb/broker/plugin.h) after
// `services`; a plugin uses the program's copy of orb, which orbd exports
// and other programs do not (they refuse plugins at load, saying so).
//
// Requires: called once, from main, before any other thread starts (it
// blocks SIGINT, SIGTERM and SIGHUP for every thread it starts and waits for
// them on the calling thread). Returns the exit code; does not return
// before the broker has stopped.
#ifndef ORB_BROKER_DAEMON_H_
#define ORB_BROKER_DAEMON_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "orb/broker/object.h"
#include "orb/broker/type_registry.h"

namespace orb::broker {

// A service the daemon can serve, chosen with --service=NAME (the first one
// when the flag is not given).
struct DaemonService {
  std::string name;  // letters, digits, '_', '-' and '.'
  // Registers the service's types (called once, before make_root).
  std::function<absl::Status(TypeRegistry&)> register_types;
  // Makes the root object every session starts from.
  std::function<std::shared_ptr<Object>()> make_root;
};

int RunDaemon(int argc, char** argv, std::vector<DaemonService> services);

}  // namespace orb::broker

#endif  // ORB_BROKER_DAEMON_H_
