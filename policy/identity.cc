#include "orb/policy/identity.h"

#include <string>
#include <utility>
#include <vector>

namespace orb::policy {

Principals Identity::EffectivePrincipals() const {
  std::vector<std::string> names;
  names.reserve(authenticated() ? 3 + groups.size() : 1);
  names.emplace_back(kEveryone);
  if (authenticated()) {
    names.emplace_back(kAuthenticated);
    names.push_back(userid);
    names.insert(names.end(), groups.begin(), groups.end());
  }
  return Principals(std::move(names));
}

std::string Identity::OwnerKey() const {
  if (!authenticated()) return "anonymous";
  return "user:" + userid;
}

}  // namespace orb::policy
