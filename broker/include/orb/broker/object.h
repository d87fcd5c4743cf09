// orb::broker::Object: the base class of every C++ object the broker can hand out.
//
// An Object is a resource, not a value: it is non-copyable, compared by
// identity, held by std::shared_ptr and never serialized. Remote clients see
// it only through handles; what they may do with it is decided by its type's
// bindings (type_registry.h), its Object Lock Profile and the ACLs along its
// lineage.
//
// Location. Pyramid's __parent__/__name__: each object may have a parent and
// a name. The lineage (object, parent, grandparent, ... root) is what the
// ACL evaluator walks for inheritance, and the names form the object path
// ("/" for the broker's root, "/a" for its child named "a", "/a/b" ...) that
// policy path ACLs are keyed by. Only objects whose lineage ends at the
// broker's root have a path.
//
// Ownership. A child refers to its parent weakly: containers usually own
// their children strongly, and a strong back pointer would make every tree a
// reference cycle. The broker keeps the lineage alive on its own: a handle
// pins the object and the ancestors it had when it was handed out. If an
// ancestor is gone anyway (an object re-parented under a parent that was
// later destroyed), operations on the object fail closed (FAILED_PRECONDITION)
// instead of being decided on a truncated lineage.
//
// Changes. An object tells its watchers (ObjectBroker.Watch) that an
// attribute changed with Changed("name"); the broker then reads the new
// value for each watcher, through both gates, and sends it. SetAttr and
// DelAttr through the broker announce by themselves; a method or a thread
// of the program that changes an attribute calls Changed itself.
//
// Thread safety: the location, instance ACL and OLP override may be read and
// changed from any thread (guarded by an internal mutex), and Changed() may
// be called from any thread. access_mutex() is the lock the broker holds
// around member access for types registered with
// Concurrency::kSerialized.
#ifndef ORB_BROKER_OBJECT_H_
#define ORB_BROKER_OBJECT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "orb/policy/acl.h"
#include "orb/policy/olp.h"

namespace orb::broker {

// What Object::Changed tells: implemented by the broker's watches.
class ChangeListener {
 public:
  virtual ~ChangeListener() = default;
  // Called on the thread that called Object::Changed, with none of the
  // object's locks held (access_mutex() may be held by that thread). Must
  // return quickly and must not block.
  virtual void OnChanged(absl::string_view name) = 0;
};

class Object : public std::enable_shared_from_this<Object> {
 public:
  Object(const Object&) = delete;
  Object& operator=(const Object&) = delete;
  virtual ~Object();

  // The parent, or null for a root or an object that has none (or whose
  // parent no longer exists: see has_parent()).
  std::shared_ptr<Object> parent() const ABSL_LOCKS_EXCLUDED(mu_);
  // True when a parent was set, even if it no longer exists. An object with
  // has_parent() and a null parent() is detached: the broker fails closed.
  bool has_parent() const ABSL_LOCKS_EXCLUDED(mu_);
  // The name in the parent (Pyramid's __name__); empty for a root.
  std::string name() const ABSL_LOCKS_EXCLUDED(mu_);

  // Sets parent and name together. `parent` may be null (a root or a
  // free-standing object). REQUIRES: `parent` is not this object nor one of
  // its descendants (no cycles; not checked).
  void SetLocation(const std::shared_ptr<Object>& parent, std::string name)
      ABSL_LOCKS_EXCLUDED(mu_);

  // The instance ACL (wins over the dynamic and type ACLs; a policy path ACL
  // wins over it). Null: none.
  policy::AclPtr acl() const ABSL_LOCKS_EXCLUDED(mu_);
  void SetAcl(policy::AclPtr acl) ABSL_LOCKS_EXCLUDED(mu_);

  // A per-object OLP that replaces the type's for this object's instance
  // view (the policy file's type OLP and the compiled-in one). A restricted
  // handle still narrows it. Null: none.
  policy::OlpPtr olp_override() const ABSL_LOCKS_EXCLUDED(mu_);
  void SetOlpOverride(policy::OlpPtr olp) ABSL_LOCKS_EXCLUDED(mu_);

  // The lock the broker holds while touching a member of an object whose
  // type is registered with Concurrency::kSerialized. Bound code may also
  // take it (never while the broker is already inside a member of this
  // object: absl::Mutex is not reentrant).
  absl::Mutex& access_mutex() const ABSL_LOCK_RETURNED(access_mu_) { return access_mu_; }

  // Announces that attribute `name` changed: each watch of this object that
  // watches `name` sends its value as it is when the watch next writes
  // (several changes before that are sent once, as the latest value). Call
  // it after the change is visible to a reader. Cheap when nobody watches;
  // never blocks on a watcher. Any thread, with or without access_mutex().
  void Changed(absl::string_view name) const ABSL_LOCKS_EXCLUDED(listeners_mu_);

  // For the broker's watches. The object holds its listeners weakly; a
  // listener removes itself before it is destroyed, and one that is gone
  // is dropped on the next change.
  void AddChangeListener(std::weak_ptr<ChangeListener> listener) const
      ABSL_LOCKS_EXCLUDED(listeners_mu_);
  void RemoveChangeListener(const ChangeListener* listener) const
      ABSL_LOCKS_EXCLUDED(listeners_mu_);

 protected:
  Object() = default;

 private:
  mutable absl::Mutex mu_;
  std::weak_ptr<Object> parent_ ABSL_GUARDED_BY(mu_);
  bool has_parent_ ABSL_GUARDED_BY(mu_) = false;
  std::string name_ ABSL_GUARDED_BY(mu_);
  policy::AclPtr acl_ ABSL_GUARDED_BY(mu_);
  policy::OlpPtr olp_override_ ABSL_GUARDED_BY(mu_);

  mutable absl::Mutex access_mu_;

  mutable absl::Mutex listeners_mu_;
  mutable std::vector<std::weak_ptr<ChangeListener>> listeners_ ABSL_GUARDED_BY(listeners_mu_);
};

using ObjectPtr = std::shared_ptr<Object>;

}  // namespace orb::broker

#endif  // ORB_BROKER_OBJECT_H_
