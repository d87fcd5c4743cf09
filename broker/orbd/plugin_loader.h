// orbd's side of plugins (orb/broker/plugin.h): the --plugin flags, loading
// each shared library, the ABI check, calling its entry point, and the
// checks of the services plugins offer before any of them is served.
#ifndef ORB_BROKER_ORBD_PLUGIN_LOADER_H_
#define ORB_BROKER_ORBD_PLUGIN_LOADER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "orb/broker/daemon.h"

namespace orb::orbd {

// Removes every "--plugin=PATH" and "--plugin PATH" before "--" from `args`
// (argv with flag names already normalized to underscores; "--plugin" and
// "-plugin" both count) and returns the paths in order. Abseil flags keep
// only the last value of a repeated flag, hence this pass of its own.
// Errors: INVALID_ARGUMENT for a --plugin without a path.
absl::StatusOr<std::vector<std::string>> TakePluginFlags(std::vector<std::string>& args);

// A loaded plugin: where it came from and the services it offers.
struct LoadedPlugin {
  std::string path;
  std::vector<broker::DaemonService> services;
};

// Loads the shared library at `path` (a path without '/' is taken in the
// working directory, never searched for), checks its ABI record against
// this program's and runs its entry point. `log` is told before the
// library's static initializers run. The library stays loaded for the life
// of the process, also after an error. Errors (each naming `path`):
// FAILED_PRECONDITION when it cannot be loaded (not a shared library, a
// missing symbol of orb), is not an orb plugin (no ORB_PLUGIN), was built
// for another orb (both ABI records named), or its entry point failed,
// threw or offered no service.
absl::StatusOr<LoadedPlugin> LoadPlugin(const std::string& path,
                                        const std::function<void(const std::string&)>& log);

// Appends the plugins' services to `services` (the program's own), after
// checking that no service name is offered twice and that each plugin
// service registers its types without error or exception and with no type
// name another service registers (the policy names types, so a type name
// must mean one type). Registration runs in scratch registries; nothing is
// served yet. Errors: FAILED_PRECONDITION naming the plugin, the service
// and what clashed or failed; `services` is then unchanged.
absl::Status AddPluginServices(const std::vector<LoadedPlugin>& plugins,
                               std::vector<broker::DaemonService>& services);

// Runs `service.register_types` into `registry`, turning an exception into
// an INTERNAL error. Errors: what registration returned or threw.
absl::Status RegisterServiceTypes(const broker::DaemonService& service,
                                  broker::TypeRegistry& registry);

}  // namespace orb::orbd

#endif  // ORB_BROKER_ORBD_PLUGIN_LOADER_H_
