// The types a broker serves, described for the policy check
// (orb/policy/served_check.h): each registered type's members and the OLP
// compiled into it, plus the permissions the broker itself asks for.
#ifndef ORB_BROKER_SERVED_TYPES_H_
#define ORB_BROKER_SERVED_TYPES_H_

#include "orb/broker/type_registry.h"
#include "orb/v1/served_types.pb.h"

namespace orb::broker {

// Returns the description of every type in `registry`, ordered by name.
// Thread safety: as TypeRegistry::types().
v1::ServedTypes ServedTypesOf(const TypeRegistry& registry);

}  // namespace orb::broker

#endif  // ORB_BROKER_SERVED_TYPES_H_
