// A plugin as an older orb would have built it: the entry point is there,
// but its ABI record names another orb version. orbd must refuse it without
// calling the entry point.
#include <cstdlib>

namespace orb::broker {
class PluginRegistrar;
}

extern "C" __attribute__((visibility("default"))) const char orb_plugin_abi[] =
    "orb 0.0.1; plugin abi 1; abseil 20220623; protobuf 3021012; libstdc++ cxx11 abi 1";

extern "C" __attribute__((visibility("default"))) void orb_plugin_register(
    orb::broker::PluginRegistrar*) {
  std::abort();  // never called: orbd checks the record first
}
