#include "broker/served_types.h"

#include <algorithm>
#include <string>
#include <vector>

#include "broker/policy_reloader.h"
#include "orb/policy/served_check.h"

namespace orb::broker {

v1::ServedTypes ServedTypesOf(const TypeRegistry& registry) {
  v1::ServedTypes served;
  std::vector<const TypeInfo*> types = registry.types();
  std::sort(types.begin(), types.end(),
            [](const TypeInfo* a, const TypeInfo* b) { return a->name() < b->name(); });
  for (const TypeInfo* info : types) {
    v1::ServedType* type = served.add_type();
    type->set_name(info->name());
    for (const policy::View view : {policy::View::kInstance, policy::View::kClass}) {
      for (const auto& [name, member] : info->members(view)) {
        v1::ServedMember* out = type->add_member();
        out->set_name(name);
        out->set_view(std::string(policy::ViewName(view)));
        out->set_kind(std::string(member.KindName()));
      }
    }
    if (info->olp() != nullptr) policy::AddOlpEntries(*info->olp(), type);
  }
  for (const char* permission : kAdminPermissions) served.add_permission(permission);
  return served;
}

}  // namespace orb::broker
