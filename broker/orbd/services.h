// The services orbd can serve, by the name given to --service.
#ifndef ORB_BROKER_ORBD_SERVICES_H_
#define ORB_BROKER_ORBD_SERVICES_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "orb/broker/object.h"
#include "orb/broker/type_registry.h"

namespace orb::orbd {

using orb::broker::Object;
using orb::broker::TypeRegistry;

struct ServiceInstance {
  std::shared_ptr<TypeRegistry> registry;
  std::shared_ptr<Object> root;
};

// Builds the named service. Errors: NOT_FOUND naming the known services.
absl::StatusOr<ServiceInstance> MakeService(const std::string& name);

// The names MakeService accepts, for --help and errors.
std::vector<std::string> KnownServices();

}  // namespace orb::orbd

#endif  // ORB_BROKER_ORBD_SERVICES_H_
