// orbd_gadget: orbd's own main() with one more service, "gadget" (the
// test-only type of gadget.h), so the daemon's signal handling and drain
// can be tested with calls that take as long as a test needs.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "orb/demo/blog.h"
#include "broker/orbd/services.h"
#include "tests/integration/gadget.h"

namespace orb::orbd {

using orb::broker::TypeRegistry;

std::vector<std::string> KnownServices() { return {"blog", "gadget"}; }

absl::StatusOr<ServiceInstance> MakeService(const std::string& name) {
  ServiceInstance instance;
  instance.registry = std::make_shared<TypeRegistry>();
  if (name == "blog") {
    absl::Status registered = demo::RegisterBlogTypes(*instance.registry);
    if (!registered.ok()) return registered;
    instance.root = demo::MakeBlog();
    return instance;
  }
  if (name == "gadget") {
    absl::Status registered = testing::RegisterGadget(*instance.registry);
    if (!registered.ok()) return registered;
    // Announces each blocking call's start on stderr, where the drain
    // tests wait for it.
    instance.root = std::make_shared<testing::Gadget>(
        std::make_shared<testing::Switchboard>(/*announce_starts=*/true));
    return instance;
  }
  return absl::NotFoundError(absl::StrCat("unknown service '", name, "'; known services: ",
                                          absl::StrJoin(KnownServices(), ", ")));
}

}  // namespace orb::orbd
