#include "broker/orbd/services.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "orb/demo/blog.h"

namespace orb::orbd {

using orb::broker::TypeRegistry;

std::vector<std::string> KnownServices() { return {"blog"}; }

absl::StatusOr<ServiceInstance> MakeService(const std::string& name) {
  if (name == "blog") {
    ServiceInstance instance;
    instance.registry = std::make_shared<TypeRegistry>();
    absl::Status registered = demo::RegisterBlogTypes(*instance.registry);
    if (!registered.ok()) return registered;
    instance.root = demo::MakeBlog();
    return instance;
  }
  return absl::NotFoundError(absl::StrCat("unknown service '", name,
                                          "'; known services: ",
                                          absl::StrJoin(KnownServices(), ", ")));
}

}  // namespace orb::orbd
