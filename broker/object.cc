#include "orb/broker/object.h"

#include <utility>
#include <vector>

#include "base/sync.h"
#include "base/weak_list.h"

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

void Object::Changed(absl::string_view name) const {
  std::vector<std::shared_ptr<ChangeListener>> live;
  {
    orb::MutexHold lock(&listeners_mu_);
    if (listeners_.empty()) return;
    live = orb::LockLive(&listeners_);
  }
  // Outside the lock: a listener may add or remove listeners.
  for (const std::shared_ptr<ChangeListener>& listener : live) listener->OnChanged(name);
}

void Object::AddChangeListener(std::weak_ptr<ChangeListener> listener) const {
  orb::MutexHold lock(&listeners_mu_);
  listeners_.push_back(std::move(listener));
}

void Object::RemoveChangeListener(const ChangeListener* listener) const {
  orb::MutexHold lock(&listeners_mu_);
  orb::EraseWeak(&listeners_, listener);
}

}  // namespace orb::broker
