// orbd's side of plugins: flags, loading, the ABI check, the entry point,
// and the checks of what plugins offer (plugin_loader.h).
#include "broker/orbd/plugin_loader.h"

#include <dlfcn.h>
#include <string.h>

#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "orb/broker/plugin.h"
#include "orb/broker/type_registry.h"

namespace orb::orbd {
namespace {

using broker::DaemonService;

constexpr char kPluginFlag[] = "plugin";
// Longer than any ABI record ORB_PLUGIN writes; a longer one is not ours.
constexpr size_t kMaxAbiRecord = 512;

// "--plugin=PATH" -> PATH, "--plugin" -> "" (the path is the next argument);
// nullopt when `arg` is another argument.
std::optional<std::string> PluginFlagValue(const std::string& arg, bool* value_follows) {
  *value_follows = false;
  for (const char* prefix : {"--", "-"}) {
    const std::string name = absl::StrCat(prefix, kPluginFlag);
    if (arg == name) {
      *value_follows = true;
      return std::string();
    }
    if (absl::StartsWith(arg, name + "=")) return arg.substr(name.size() + 1);
  }
  return std::nullopt;
}

absl::Status PluginError(const std::string& path, const std::string& what) {
  return absl::FailedPreconditionError(absl::StrCat("plugin ", path, ": ", what));
}

// Who offers a service, for messages: the program itself or a plugin.
std::string Offerer(const std::string& plugin_path) {
  return plugin_path.empty() ? "this program" : absl::StrCat("plugin ", plugin_path);
}

}  // namespace

absl::StatusOr<std::vector<std::string>> TakePluginFlags(std::vector<std::string>& args) {
  std::vector<std::string> paths;
  std::vector<std::string> kept;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") {
      kept.insert(kept.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    bool value_follows = false;
    std::optional<std::string> value =
        i == 0 ? std::nullopt : PluginFlagValue(args[i], &value_follows);
    if (!value.has_value()) {
      kept.push_back(args[i]);
      continue;
    }
    if (value_follows) {
      if (i + 1 == args.size() || args[i + 1] == "--") {
        return absl::InvalidArgumentError("--plugin needs the path of a plugin (--plugin=PATH)");
      }
      value = args[++i];
    }
    if (value->empty()) {
      return absl::InvalidArgumentError("--plugin needs the path of a plugin (--plugin=PATH)");
    }
    paths.push_back(*std::move(value));
  }
  args = std::move(kept);
  return paths;
}

absl::Status RegisterServiceTypes(const DaemonService& service, broker::TypeRegistry& registry) {
  try {
    return service.register_types(registry);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("registering its types threw: ", e.what()));
  } catch (...) {
    return absl::InternalError("registering its types threw a non-standard exception");
  }
}

absl::StatusOr<LoadedPlugin> LoadPlugin(const std::string& path,
                                        const std::function<void(const std::string&)>& log) {
  // dlopen searches the library path for a bare name; an operator's
  // --plugin=x.so means the file x.so here.
  const std::string file = path.find('/') == std::string::npos ? "./" + path : path;
  log(absl::StrCat("loading plugin ", path));
  // RTLD_NOW: a symbol the plugin needs and this program lacks is an error
  // now, not a crash at its first call. RTLD_LOCAL: one plugin's symbols
  // never stand in for another's.
  void* library = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* error = dlerror();
    std::string why = error != nullptr ? error : "unknown error";
    if (absl::StrContains(why, "undefined symbol")) {
      absl::StrAppend(&why,
                      " (a plugin uses this program's copy of orb: build it with orb_add_plugin "
                      "against this orb, and load it into orbd or another program built to "
                      "host plugins)");
    }
    return PluginError(path, absl::StrCat("cannot load it: ", why));
  }
  // Deliberately never closed: its types and objects live as long as orbd.
  const auto* abi = static_cast<const char*>(dlsym(library, ORB_PLUGIN_ABI_SYMBOL));
  auto* entry = reinterpret_cast<void (*)(broker::PluginRegistrar*)>(
      dlsym(library, ORB_PLUGIN_ENTRY_SYMBOL));
  if (abi == nullptr || entry == nullptr) {
    return PluginError(path, absl::StrCat("not an orb plugin: it has no ",
                                          abi == nullptr ? ORB_PLUGIN_ABI_SYMBOL
                                                         : ORB_PLUGIN_ENTRY_SYMBOL,
                                          " symbol (a plugin names its entry point with "
                                          "ORB_PLUGIN from orb/broker/plugin.h)"));
  }
  const size_t abi_length = strnlen(abi, kMaxAbiRecord);
  const std::string recorded(abi, abi_length);
  if (abi_length == kMaxAbiRecord || recorded != ORB_PLUGIN_ABI) {
    return PluginError(
        path, absl::StrCat("built for another orb: it records \"",
                           abi_length == kMaxAbiRecord ? "(unreadable)" : recorded,
                           "\", this program is \"", ORB_PLUGIN_ABI,
                           "\"; rebuild the plugin against this orb's package (orb_add_plugin)"));
  }
  broker::PluginRegistrar registrar;
  // ORB_PLUGIN's wrapper catches what the plugin's function throws.
  entry(&registrar);
  if (!registrar.failure().ok()) {
    return PluginError(path, absl::StrCat("its entry point failed: ",
                                          registrar.failure().message()));
  }
  if (registrar.services().empty()) {
    return PluginError(path, "offers no service (its entry point added none)");
  }
  return LoadedPlugin{path, registrar.services()};
}

absl::Status AddPluginServices(const std::vector<LoadedPlugin>& plugins,
                               std::vector<DaemonService>& services) {
  if (plugins.empty()) return absl::OkStatus();
  // Who offers each service ("" for the program itself), and which service
  // registers each type name.
  std::map<std::string, std::string> service_offerer;
  std::map<std::string, std::string> type_service;
  std::vector<std::pair<const DaemonService*, std::string>> all;
  for (const DaemonService& own : services) all.emplace_back(&own, "");
  for (const LoadedPlugin& plugin : plugins) {
    for (const DaemonService& offered : plugin.services) all.emplace_back(&offered, plugin.path);
  }
  for (const auto& [service, plugin_path] : all) {
    const auto [named, fresh] = service_offerer.emplace(service->name, plugin_path);
    if (!fresh) {
      return absl::FailedPreconditionError(absl::StrCat(
          Offerer(plugin_path), ": service '", service->name, "' is already offered by ",
          Offerer(named->second), "; each service name must be unique"));
    }
    broker::TypeRegistry scratch;
    if (absl::Status registered = RegisterServiceTypes(*service, scratch); !registered.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          Offerer(plugin_path), ": service '", service->name, "': ", registered.message()));
    }
    for (const broker::TypeInfo* type : scratch.types()) {
      const auto [owner, first] = type_service.emplace(type->name(), service->name);
      if (!first) {
        return absl::FailedPreconditionError(absl::StrCat(
            Offerer(plugin_path), ": service '", service->name, "' registers type '",
            type->name(), "', which service '", owner->second, "' of ",
            Offerer(service_offerer[owner->second]),
            " registers too; the policy names types, so a type name must mean one type"));
      }
    }
  }
  for (const LoadedPlugin& plugin : plugins) {
    services.insert(services.end(), plugin.services.begin(), plugin.services.end());
  }
  return absl::OkStatus();
}

}  // namespace orb::orbd
