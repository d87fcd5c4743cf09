// The type registry: which C++ types the broker can hand out, under which
// remote name, with which members, ACLs, default OLP and concurrency.
//
// Types are described with orb::broker::TypeBuilder (binding.h) and added with
// TypeRegistry::Register(). An object becomes a handle only if its dynamic
// C++ type is registered here; anything else is refused (no unprofiled
// objects leave the broker).
//
// Thread safety: register every type during start-up, then share the
// registry as std::shared_ptr<const TypeRegistry>; the const lookups are
// safe to call concurrently. Register() must not race with anything.
#ifndef ORB_BROKER_TYPE_REGISTRY_H_
#define ORB_BROKER_TYPE_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <typeindex>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "orb/broker/value_codec.h"
#include "orb/v1/broker.pb.h"
#include "orb/policy/acl.h"
#include "orb/policy/olp.h"

namespace orb::broker {

// How the broker synchronizes remote access to an object's members.
enum class Concurrency : uint8_t {
  // The broker holds the object's access_mutex() around every getattr,
  // setattr, delattr and call on it: bound members never run concurrently
  // on one object. The default.
  kSerialized,
  // The type synchronizes itself; members may run concurrently.
  kThreadSafe,
};

// Positional and keyword arguments of one call, as sent.
struct CallArgs {
  const google::protobuf::RepeatedPtrField<v1::Value>& args;
  const google::protobuf::Map<std::string, v1::Value>& kwargs;
};

// One bound member of a type, type-erased. Built by TypeBuilder.
// An accessor that is empty means the member does not support that
// operation. `self` is the object (null for class-view members).
struct MemberBinding {
  enum class Kind : uint8_t {
    kAttribute,       // a data member: get, and set unless const
    kProperty,        // getter with optional setter and deleter
    kMethod,          // instance method: call
    kClassAttribute,  // class view: get
    kClassMethod,     // class view: call
    kClassObject,     // get yields the class handle of a registered type
  };
  using Getter = std::function<absl::Status(Object* self, Invocation& inv, v1::Value* out)>;
  using Setter =
      std::function<absl::Status(Object* self, Invocation& inv, const v1::Value& value)>;
  using Deleter = std::function<absl::Status(Object* self, Invocation& inv)>;
  using Caller = std::function<absl::Status(Object* self, Invocation& inv, const CallArgs& args,
                                            v1::Value* out)>;

  std::string name;
  Kind kind = Kind::kAttribute;
  policy::View view = policy::View::kInstance;
  std::vector<std::string> params;  // methods: parameter names, in order
  // The binder's promise that this member's own code returns promptly: no
  // I/O, no sleeping, no waiting on other threads, locks held only briefly
  // (TypeBuilder::NonBlocking; data-member attributes and class objects
  // make it themselves).
  bool declared_non_blocking = false;
  // Whether a call of this member may wait for long, all told: its own code
  // may block, or (instance members of a kSerialized type) it waits for the
  // object's access lock, which a member of the same type that may block can
  // hold. Set by TypeRegistry::Register. The service runs members that may
  // block on its member threads and the others on gRPC's own threads.
  bool may_block = true;
  // Methods only: the binder's word that calling it twice does no more
  // than calling it once (TypeBuilder::Idempotent), told to clients by
  // Describe so that they may retry it without a request id.
  bool idempotent = false;
  Getter get;
  Setter set;
  Deleter del;
  Caller call;

  // True when the member can do `op` at all (independent of any policy).
  bool Supports(policy::Op op) const;
  // "attribute", "property", "method", "class attribute", ...
  absl::string_view KindName() const;
};

// Everything the broker knows about one registered type. Immutable once
// registered.
class TypeInfo {
 public:
  using MemberMaps = std::map<std::string, MemberBinding, std::less<>>[policy::kViewCount];
  using DynamicAclFn = std::function<std::vector<policy::AceSpec>(const Object&)>;

  const std::string& name() const { return name_; }
  std::type_index cpp_type() const { return cpp_type_; }
  Concurrency concurrency() const { return concurrency_; }

  // The C++ type (class-level) ACL; null when none was given.
  const policy::AclPtr& acl() const { return acl_; }
  bool has_dynamic_acl() const { return static_cast<bool>(dynamic_acl_); }
  // The ACL computed from `object` (which must be of this type). Runs
  // without the object's access lock, so the function must be thread-safe.
  // Fails closed: a function that throws yields DENY_ALL. Null when the
  // type has no dynamic ACL.
  policy::AclPtr DynamicAcl(const Object& object) const;

  // The OLP compiled into the program (TypeBuilder::Olp); null when none.
  // The policy file's OLP for the type wins over it.
  const policy::OlpPtr& olp() const { return olp_; }

  // The member `name` on `view`, or null.
  const MemberBinding* FindMember(policy::View view, absl::string_view name) const;
  // Every member of `view`, ordered by name.
  const std::map<std::string, MemberBinding, std::less<>>& members(policy::View view) const {
    return members_[static_cast<int>(view)];
  }

 private:
  friend class TypeBuilderBase;
  friend class TypeRegistry;
  explicit TypeInfo(std::type_index cpp_type) : cpp_type_(cpp_type) {}

  std::string name_;
  std::type_index cpp_type_;
  Concurrency concurrency_ = Concurrency::kSerialized;
  policy::AclPtr acl_;
  DynamicAclFn dynamic_acl_;
  policy::OlpPtr olp_;
  MemberMaps members_;
};

class TypeBuilderBase;

class TypeRegistry {
 public:
  TypeRegistry() = default;
  TypeRegistry(const TypeRegistry&) = delete;
  TypeRegistry& operator=(const TypeRegistry&) = delete;

  // Adds the type described by `builder`.
  // Errors: INVALID_ARGUMENT listing every problem the builder recorded
  // (e.g. a parameter-name count that does not match the signature, a
  // duplicate member), or when the remote name is empty or malformed;
  // ALREADY_EXISTS when the name or the C++ type is already registered.
  absl::Status Register(TypeBuilderBase&& builder);

  // Lookups; null when not registered.
  const TypeInfo* FindByName(absl::string_view name) const;
  const TypeInfo* FindByType(std::type_index type) const;
  // The type of `object`'s dynamic (most derived) C++ type.
  const TypeInfo* FindFor(const Object& object) const;

  // Every registered type, ordered by name.
  std::vector<const TypeInfo*> types() const;

 private:
  std::map<std::string, std::unique_ptr<TypeInfo>, std::less<>> by_name_;
  absl::flat_hash_map<std::type_index, const TypeInfo*> by_type_;
};

}  // namespace orb::broker

#endif  // ORB_BROKER_TYPE_REGISTRY_H_
