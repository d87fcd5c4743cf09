// Plugins: your types served by orbd itself, with all of orbd's flags and
// behaviour (TLS and mTLS, the audit log, SIGHUP reload, the policy check,
// the admin service, draining). A plugin is a shared library with one entry
// point; orbd loads it with --plugin=PATH (repeatable) and serves one of its
// services with --service=NAME.
//
//   // thermostat_plugin.cc, built with orb_add_plugin(thermostat_plugin ...)
//   #include "orb/broker/plugin.h"
//
//   absl::Status RegisterPlugin(orb::broker::PluginRegistrar& registrar) {
//     return registrar.AddService({"thermostat", RegisterThermostat,
//                                  [] { return std::make_shared<Thermostat>(); }});
//   }
//   ORB_PLUGIN(RegisterPlugin)
//
//   orbd --plugin=./thermostat_plugin.so --service=thermostat --policy=policy.textproto
//
// How it works, and what that requires of a plugin:
// - The plugin uses orbd's own copy of orb (orbd exports its symbols), so
//   it must not link orb's libraries itself: orb_add_plugin (in orb's CMake
//   package) builds it that way. A plugin linking orb's libraries again
//   would register orb's protobuf types twice, which aborts orbd while the
//   plugin loads.
// - A plugin and orbd must come from the same orb, C++ standard library
//   ABI, Abseil and protobuf: ORB_PLUGIN records them (ORB_PLUGIN_ABI) and
//   orbd refuses a plugin whose record differs, naming both.
// - The entry point runs once, on orbd's main thread, before orbd serves.
//   Each service's register_types runs when orbd starts (to check it, and
//   again for the service it serves); it must only register types. An
//   error or exception from either refuses the start with a message naming
//   the plugin. A plugin's static initializers run while it loads, before
//   any check: one that crashes takes orbd down before it serves (orbd
//   logs "loading plugin PATH" first, so the log names the culprit).
// - Plugins stay loaded until orbd exits.
#ifndef ORB_BROKER_PLUGIN_H_
#define ORB_BROKER_PLUGIN_H_

#include <exception>
#include <string>
#include <vector>

#include "absl/base/config.h"
#include "absl/status/status.h"
#include "google/protobuf/stubs/common.h"
#include "orb/broker/daemon.h"
#include "orb/broker/version.h"

namespace orb::broker {

// What a plugin's entry point is given: it offers the plugin's services.
// Thread-safety: used only on orbd's main thread, during the entry point.
class PluginRegistrar {
 public:
  // Offers `service` under --service=NAME. Errors: INVALID_ARGUMENT for a
  // name that is empty or not made of letters, digits, '_', '-' and '.',
  // or a service without register_types or make_root; ALREADY_EXISTS when
  // this plugin offered the name already. (A name offered by orbd or
  // another plugin is refused when orbd checks the plugins, naming both.)
  absl::Status AddService(DaemonService service);

  // The services offered so far, in order.
  const std::vector<DaemonService>& services() const { return services_; }

  // Records why the entry point failed (the first failure wins); orbd
  // then refuses to start. Called by ORB_PLUGIN's wrapper.
  void Fail(absl::Status status);
  const absl::Status& failure() const { return failure_; }

 private:
  std::vector<DaemonService> services_;
  absl::Status failure_;
};

// The signature of a plugin's registration function (see ORB_PLUGIN).
using PluginRegisterFunction = absl::Status (*)(PluginRegistrar&);

namespace plugin_internal {
// Runs `function`, turning an error or exception into registrar->Fail, so
// nothing is thrown across the C entry point.
inline void RunRegistration(PluginRegistrar* registrar, PluginRegisterFunction function) {
  try {
    absl::Status status = function(*registrar);
    if (!status.ok()) registrar->Fail(std::move(status));
  } catch (const std::exception& e) {
    registrar->Fail(absl::InternalError(std::string("the entry point threw: ") + e.what()));
  } catch (...) {
    registrar->Fail(absl::InternalError("the entry point threw a non-standard exception"));
  }
}
}  // namespace plugin_internal

}  // namespace orb::broker

#define ORB_PLUGIN_STRINGIFY_INNER(x) #x
#define ORB_PLUGIN_STRINGIFY(x) ORB_PLUGIN_STRINGIFY_INNER(x)

// Bumped whenever what crosses between orbd and a plugin changes shape.
#define ORB_PLUGIN_ABI_REVISION 1

// Everything a plugin and orbd must agree on, as one string compiled into
// each: orb's version, this ABI revision, Abseil's LTS release, protobuf's
// version and libstdc++'s string ABI.
#define ORB_PLUGIN_ABI                                                                    \
  "orb " ORB_VERSION_STRING "; plugin abi " ORB_PLUGIN_STRINGIFY(ORB_PLUGIN_ABI_REVISION) \
  "; abseil " ORB_PLUGIN_STRINGIFY(ABSL_LTS_RELEASE_VERSION) "; protobuf "                \
  ORB_PLUGIN_STRINGIFY(GOOGLE_PROTOBUF_VERSION) "; libstdc++ cxx11 abi "                  \
  ORB_PLUGIN_STRINGIFY(_GLIBCXX_USE_CXX11_ABI)

// The names orbd looks up in a plugin.
#define ORB_PLUGIN_ABI_SYMBOL "orb_plugin_abi"
#define ORB_PLUGIN_ENTRY_SYMBOL "orb_plugin_register"

// Makes `function` (an absl::Status(orb::broker::PluginRegistrar&)) the
// plugin's entry point and records the plugin's ABI. Use once per plugin,
// at namespace scope outside any namespace.
#define ORB_PLUGIN(function)                                                           \
  extern "C" __attribute__((visibility("default"))) const char orb_plugin_abi[] =      \
      ORB_PLUGIN_ABI;                                                                  \
  extern "C" __attribute__((visibility("default"))) void orb_plugin_register(          \
      ::orb::broker::PluginRegistrar* registrar) {                                     \
    ::orb::broker::plugin_internal::RunRegistration(registrar, &(function));           \
  }

#endif  // ORB_BROKER_PLUGIN_H_
