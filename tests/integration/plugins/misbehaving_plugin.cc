// A plugin that misbehaves as ORB_TEST_PLUGIN_MISCHIEF says, for
// orbd_plugin_test: each way a plugin can go wrong at orbd's start.
//   static-abort    aborts in a static initializer, while orbd loads it
//   entry-error     its entry point returns an error
//   entry-throw     its entry point throws
//   no-service      its entry point offers nothing
//   register-error  its service's registration returns an error
//   register-throw  its service's registration throws
//   root-throw      its service's root factory throws
//   type-twice      its service registers the same type twice
//   blog-service    it offers a service named "blog", as orbd does
//   blog-type       its service registers a type named "demo.Blog"
// Otherwise it is a well-behaved plugin with service "gizmo".
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

#include "orb/broker/binding.h"
#include "orb/broker/plugin.h"

namespace {

std::string Mischief() {
  const char* value = std::getenv("ORB_TEST_PLUGIN_MISCHIEF");
  return value == nullptr ? "" : value;
}

struct AbortWhenLoaded {
  AbortWhenLoaded() {
    if (Mischief() == "static-abort") std::abort();
  }
} abort_when_loaded;

class Gizmo : public orb::broker::Object {
 public:
  int size = 3;
};

absl::Status RegisterGizmo(orb::broker::TypeRegistry& registry, const std::string& type_name) {
  orb::broker::TypeBuilder<Gizmo> type(type_name);
  type.Attribute("size", &Gizmo::size)
      .Get("view")
      .Acl({orb::policy::AceSpec::Allow("system.Everyone", "view")});
  return registry.Register(std::move(type));
}

absl::Status RegisterTypes(orb::broker::TypeRegistry& registry) {
  const std::string mischief = Mischief();
  if (mischief == "register-error") return absl::InvalidArgumentError("the gizmo is not ready");
  if (mischief == "register-throw") throw std::runtime_error("gizmo registration blew up");
  if (mischief == "blog-type") return RegisterGizmo(registry, "demo.Blog");
  absl::Status first = RegisterGizmo(registry, "test.Gizmo");
  if (!first.ok() || mischief != "type-twice") return first;
  return RegisterGizmo(registry, "test.Gizmo");
}

std::shared_ptr<orb::broker::Object> MakeRoot() {
  if (Mischief() == "root-throw") throw std::runtime_error("no gizmo today");
  return std::make_shared<Gizmo>();
}

absl::Status RegisterPlugin(orb::broker::PluginRegistrar& registrar) {
  const std::string mischief = Mischief();
  if (mischief == "entry-error") return absl::UnavailableError("the lab is closed");
  if (mischief == "entry-throw") throw std::logic_error("entry point blew up");
  if (mischief == "no-service") return absl::OkStatus();
  return registrar.AddService({mischief == "blog-service" ? "blog" : "gizmo", RegisterTypes, MakeRoot});
}

}  // namespace

ORB_PLUGIN(RegisterPlugin)
