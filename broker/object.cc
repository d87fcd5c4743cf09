#include "orb/broker/object.h"

#include <utility>

#include "base/sync.h"

namespace orb::broker {

Object::~Object() = default;

std::shared_ptr<Object> Object::parent() const {
  orb::MutexHold lock(&mu_);
  return parent_.lock();
}

bool Object::has_parent() const {
  orb::MutexHold lock(&mu_);
  return has_parent_;
}

std::string Object::name() const {
  orb::MutexHold lock(&mu_);
  return name_;
}

void Object::SetLocation(const std::shared_ptr<Object>& parent, std::string name) {
  orb::MutexHold lock(&mu_);
  parent_ = parent;
  has_parent_ = parent != nullptr;
  name_ = std::move(name);
}

policy::AclPtr Object::acl() const {
  orb::MutexHold lock(&mu_);
  return acl_;
}

void Object::SetAcl(policy::AclPtr acl) {
  orb::MutexHold lock(&mu_);
  acl_ = std::move(acl);
}

policy::OlpPtr Object::olp_override() const {
  orb::MutexHold lock(&mu_);
  return olp_override_;
}

void Object::SetOlpOverride(policy::OlpPtr olp) {
  orb::MutexHold lock(&mu_);
  olp_override_ = std::move(olp);
}

}  // namespace orb::broker
