// The binding API: describe a C++ type to the broker in a few lines.
//
//   orb::broker::TypeBuilder<Blog> t("demo.Blog");
//   t.Attribute("title", &Blog::title_)                       // data member
//    .Property("entry_count", &Blog::entry_count)              // getter only
//    .Property("title2", &Blog::title, &Blog::set_title, &Blog::del_title)
//    .Method("add_entry", &Blog::AddEntry, {"title", "body"})  // named params
//    .ClassAttribute("max_title_length", [] { return int64_t{200}; })
//    .ClassObject<Entry>("Entry")       // getattr yields demo.Entry's class handle
//    .Acl({orb::policy::AceSpec::Allow("system.Everyone", "view"), ...})
//    .DynamicAcl([](const Blog& b) { return std::vector<policy::AceSpec>{...}; })
//    .Olp(olp)                          // default OLP; the policy file's wins
//    .Concurrency(orb::broker::Concurrency::kSerialized)
//    .NonBlocking();                    // members return promptly: run inline
//   absl::Status s = registry.Register(std::move(t));
//
// Locks next to the members. Instead of building an Olp, each member may
// be followed by the lock of each operation it allows; together they are
// the type's compiled-in OLP (the policy file's OLP for the type still
// replaces it):
//
//   t.Attribute("count", &Counter::count_).Get("view")
//    .Property("setpoint", &Counter::setpoint, &Counter::set_setpoint)
//        .Get("view").Set("adjust")
//    .Method("reset", &Counter::Reset).Call("adjust")
//    .ClassMethod("create", &Counter::Create).Call(orb::policy::Lock::NoPermissionRequired());
//
// Get/Set/Del/Call take a permission or any policy::Lock and lock the
// member bound just before them, on its view. One for an operation the
// member does not support (Set on a method), before any member, or on a
// type that also calls Olp() is a registration error.
//
// Members. Instance members (Attribute, Property, Method, ClassObject) live
// on the instance view; ClassAttribute and ClassMethod on the class view,
// reachable only through a class handle. Binding a member does not expose
// it: the OLP decides which names exist for which operation.
//
// Callables. Wherever a member function is accepted, a lambda or function
// taking `T&` (or `const T&`) first works too. Any of them may take a
// `const orb::broker::CallContext&` right after the object (class-view callables:
// as their first parameter) to learn the caller, deadline and cancellation.
//
// Parameters are converted with ValueCodec (value_codec.h): bool, integers,
// double (orb::broker::AnyDouble to accept NaN/inf), std::string, orb::broker::Bytes,
// std::vector<T>, std::map<std::string, T>, std::optional<T> (may be
// omitted), std::shared_ptr<U> (a handle of the caller's own session),
// orb::v1::Value. Parameters are taken by value or by const reference.
// Arguments bind like Python's: positional first, then keywords by name;
// too many, an unknown or duplicated keyword, a missing required argument or
// a wrong type are INVALID_ARGUMENT naming the parameter.
//
// Results: void (null), anything with a ValueCodec, std::shared_ptr<U> of a
// registered type (a handle; the same object twice in one session is the
// same handle with one more reference), vectors and maps of those,
// absl::Status and absl::StatusOr<T> (a non-OK status is the method's own
// error, with its code). A member that throws is caught by the broker; the
// error names the exception's type and message.
//
// Blocking. By default the service runs a member on its member threads, so
// one that blocks (device I/O, a long computation, waiting for another
// thread) never holds one of gRPC's few callback threads. That hand-off
// costs a thread wake-up per call. NonBlocking() promises that members
// return promptly, and the service then runs them on gRPC's thread, saving
// the hand-off. Data-member attributes (Attribute) and ClassObject are
// non-blocking by themselves. On a kSerialized type an instance member also
// waits for the object's access lock, so it runs inline only when every
// instance member of the type is non-blocking.
//
// Registration errors (a parameter-name list that does not match the
// signature, a duplicate member name on one view, a NonBlocking name that is
// not a member) are collected and reported by TypeRegistry::Register().
//
// Thread safety: a builder is used by one thread; the functions it stores
// are called concurrently on different objects (and, for kThreadSafe types,
// on the same object).
#ifndef ORB_BROKER_BINDING_H_
#define ORB_BROKER_BINDING_H_

#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeindex>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "orb/broker/call_context.h"
#include "orb/broker/errors.h"
#include "orb/broker/object.h"
#include "orb/broker/type_registry.h"
#include "orb/broker/value_codec.h"
#include "orb/policy/acl.h"
#include "orb/policy/olp.h"

namespace orb::broker {

// The non-template part of TypeBuilder<T>.
class TypeBuilderBase {
 public:
  TypeBuilderBase(TypeBuilderBase&&) = default;
  TypeBuilderBase& operator=(TypeBuilderBase&&) = default;
  virtual ~TypeBuilderBase() = default;

  const std::string& name() const;

 protected:
  TypeBuilderBase(std::string name, std::type_index cpp_type);

  void AddMember(MemberBinding member);
  void AddError(std::string error);
  void SetAcl(std::vector<policy::AceSpec> aces);
  void SetDynamicAcl(TypeInfo::DynamicAclFn fn);
  void SetOlp(policy::OlpPtr olp);
  void SetConcurrency(Concurrency c);
  // Empty `names`: every member of the type.
  void DeclareNonBlocking(std::vector<std::string> names);
  void DeclareIdempotent(std::vector<std::string> names);
  // `lock` for `op` on the member bound last (see "Locks next to the
  // members"); a registration error when there is none or it cannot `op`.
  void LockLastMember(policy::Op op, policy::Lock lock);

 private:
  friend class TypeRegistry;
  std::unique_ptr<TypeInfo> info_;
  // The member bound last (empty: none, or its binding failed).
  std::string last_member_;
  policy::View last_view_ = policy::View::kInstance;
  // The OLP the per-member locks build; null when none was given.
  std::unique_ptr<policy::Olp::Builder> member_locks_;
  std::vector<std::string> errors_;
  bool all_non_blocking_ = false;
  std::vector<std::string> non_blocking_names_;
  std::vector<std::string> idempotent_names_;
};

namespace binding_internal {

// Signature of a callable: its return type and parameter types.
template <typename F>
struct Signature;  // not a callable the binding API understands
template <typename R, typename... A>
struct Signature<R (*)(A...)> {
  using Return = R;
  using Params = std::tuple<A...>;
};
template <typename R, typename... A>
struct Signature<R(A...)> : Signature<R (*)(A...)> {};
// Member functions: the object is the first parameter.
template <typename C, typename R, typename... A>
struct Signature<R (C::*)(A...)> {
  using Return = R;
  using Params = std::tuple<C&, A...>;
};
template <typename C, typename R, typename... A>
struct Signature<R (C::*)(A...) const> {
  using Return = R;
  using Params = std::tuple<const C&, A...>;
};
template <typename C, typename R, typename... A>
struct Signature<R (C::*)(A...) noexcept> : Signature<R (C::*)(A...)> {};
template <typename C, typename R, typename... A>
struct Signature<R (C::*)(A...) const noexcept> : Signature<R (C::*)(A...) const> {};
template <typename R, typename... A>
struct Signature<R (*)(A...) noexcept> : Signature<R (*)(A...)> {};
// Lambdas: the call operator's class is not a parameter.
template <typename L, typename R, typename... A>
struct LambdaSignature {
  using Return = R;
  using Params = std::tuple<A...>;
};

// Strips the lambda's own class from Signature<&L::operator()>.
template <typename F>
struct CallableSignature {
 private:
  template <typename C, typename R, typename... A>
  static LambdaSignature<C, R, A...> Pick(R (C::*)(A...) const);
  template <typename C, typename R, typename... A>
  static LambdaSignature<C, R, A...> Pick(R (C::*)(A...));
  template <typename C, typename R, typename... A>
  static LambdaSignature<C, R, A...> Pick(R (C::*)(A...) const noexcept);
  template <typename C, typename R, typename... A>
  static LambdaSignature<C, R, A...> Pick(R (C::*)(A...) noexcept);
  template <typename G, typename = void>
  struct Of {
    using type = Signature<G>;
  };
  template <typename G>
  struct Of<G, std::void_t<decltype(&G::operator())>> {
    using type = decltype(Pick(&G::operator()));
  };

 public:
  using type = typename Of<std::decay_t<F>>::type;
};
template <typename F>
using SignatureOf = typename CallableSignature<F>::type;

template <typename Tuple>
struct TupleTail;
template <typename H, typename... T>
struct TupleTail<std::tuple<H, T...>> {
  using type = std::tuple<T...>;
};

template <>
struct TupleTail<std::tuple<>> {
  using type = std::tuple<>;
};

template <typename Tuple>
struct FirstIsContext : std::false_type {};
template <typename... T>
struct FirstIsContext<std::tuple<const CallContext&, T...>> : std::true_type {};

// The parameters a client supplies: after the object (when `has_self`) and
// after an optional leading `const CallContext&`.
template <typename F, bool has_self>
struct BoundSignature {
  using Sig = SignatureOf<F>;
  using Return = typename Sig::Return;
  using AfterSelf =
      std::conditional_t<has_self, typename TupleTail<typename Sig::Params>::type,
                         typename Sig::Params>;
  static constexpr bool kWantsContext = FirstIsContext<AfterSelf>::value;
  using Params =
      std::conditional_t<kWantsContext, typename TupleTail<AfterSelf>::type, AfterSelf>;
};

template <typename P>
using ParamValue = std::remove_cv_t<std::remove_reference_t<P>>;

template <typename P>
inline constexpr bool kValidParam =
    !std::is_reference_v<P> || std::is_const_v<std::remove_reference_t<P>>;

// Matches positional and keyword arguments to parameter slots (Python's
// rules). `optional[i]` says parameter i may be omitted.
// Errors: INVALID_ARGUMENT naming the method and parameter.
absl::StatusOr<std::vector<const v1::Value*>> BindArguments(
    absl::string_view method, const std::vector<std::string>& names,
    const std::vector<bool>& optional, const CallArgs& args);

template <typename P>
absl::Status DecodeSlot(const v1::Value* slot, Invocation& inv, const std::string& name,
                        P* out) {
  if (slot == nullptr) return absl::OkStatus();  // omitted optional: keeps nullopt
  return ValueCodec<P>::Decode(*slot, inv, absl::StrCat("argument '", name, "'"), out);
}

template <typename Tuple, size_t... I>
absl::Status DecodeAll(const std::vector<const v1::Value*>& slots, Invocation& inv,
                       const std::vector<std::string>& names, Tuple& out,
                       std::index_sequence<I...>) {
  absl::Status status;
  ((status = status.ok() ? DecodeSlot(slots[I], inv, names[I], &std::get<I>(out)) : status),
   ...);
  return status;
}

template <typename Tuple, size_t... I>
std::vector<bool> OptionalMask(std::index_sequence<I...>) {
  return {IsOptionalParam<std::tuple_element_t<I, Tuple>>::value...};
}

template <typename T>
struct IsStatusOr : std::false_type {};
template <typename T>
struct IsStatusOr<absl::StatusOr<T>> : std::true_type {};

// Encodes what bound code returned.
template <typename R>
absl::Status EncodeResult(R&& result, Invocation& inv, v1::Value* out) {
  using V = std::remove_cv_t<std::remove_reference_t<R>>;
  if constexpr (std::is_same_v<V, absl::Status>) {
    if (!result.ok()) return MethodError(result);
    out->set_null_value(v1::NULL_VALUE);
    return absl::OkStatus();
  } else if constexpr (IsStatusOr<V>::value) {
    if (!result.ok()) return MethodError(result.status());
    return EncodeResult(*std::forward<R>(result), inv, out);
  } else {
    return ValueCodec<V>::Encode(result, inv, out);
  }
}

// Calls `f` and encodes its result. `self_args` is the object (or nothing),
// `ctx_args` the CallContext (or nothing), then the decoded parameters.
template <typename R, typename F, typename... A>
absl::Status InvokeAndEncode(F& f, Invocation& inv, v1::Value* out, A&&... a) {
  if constexpr (std::is_void_v<R>) {
    std::invoke(f, std::forward<A>(a)...);
    out->set_null_value(v1::NULL_VALUE);
    return absl::OkStatus();
  } else {
    return EncodeResult(std::invoke(f, std::forward<A>(a)...), inv, out);
  }
}

template <typename T, typename F, bool has_self, typename Params, size_t... I>
MemberBinding::Caller MakeCaller(F f, std::string method, std::vector<std::string> names,
                                 std::index_sequence<I...> seq) {
  using B = BoundSignature<F, has_self>;
  std::vector<bool> optional = OptionalMask<Params>(seq);
  return [f = std::move(f), method = std::move(method), names = std::move(names),
          optional = std::move(optional)](Object* self, Invocation& inv, const CallArgs& args,
                                          v1::Value* out) mutable -> absl::Status {
    absl::StatusOr<std::vector<const v1::Value*>> slots =
        BindArguments(method, names, optional, args);
    if (!slots.ok()) return slots.status();
    std::tuple<ParamValue<std::tuple_element_t<I, Params>>...> values;
    absl::Status decoded = DecodeAll(*slots, inv, names, values, std::index_sequence<I...>());
    if (!decoded.ok()) return decoded;
    using R = typename B::Return;
    if constexpr (has_self) {
      T& obj = *static_cast<T*>(self);
      if constexpr (B::kWantsContext) {
        return InvokeAndEncode<R>(f, inv, out, obj, inv.call(), std::move(std::get<I>(values))...);
      } else {
        return InvokeAndEncode<R>(f, inv, out, obj, std::move(std::get<I>(values))...);
      }
    } else {
      (void)self;
      if constexpr (B::kWantsContext) {
        return InvokeAndEncode<R>(f, inv, out, inv.call(), std::move(std::get<I>(values))...);
      } else {
        return InvokeAndEncode<R>(f, inv, out, std::move(std::get<I>(values))...);
      }
    }
  };
}

// A getter: no parameters after the object and optional context.
template <typename T, typename F, bool has_self>
MemberBinding::Getter MakeGetter(F f) {
  using B = BoundSignature<F, has_self>;
  static_assert(std::tuple_size_v<typename B::Params> == 0,
                "a getter takes no parameters (besides the object and a CallContext)");
  using R = typename B::Return;
  static_assert(!std::is_void_v<R>, "a getter must return a value");
  return [f = std::move(f)](Object* self, Invocation& inv, v1::Value* out) mutable {
    if constexpr (has_self) {
      T& obj = *static_cast<T*>(self);
      if constexpr (B::kWantsContext) {
        return InvokeAndEncode<R>(f, inv, out, obj, inv.call());
      } else {
        return InvokeAndEncode<R>(f, inv, out, obj);
      }
    } else {
      (void)self;
      if constexpr (B::kWantsContext) {
        return InvokeAndEncode<R>(f, inv, out, inv.call());
      } else {
        return InvokeAndEncode<R>(f, inv, out);
      }
    }
  };
}

template <typename R>
absl::Status StatusOfVoidLike(R&& r) {
  if constexpr (std::is_same_v<std::remove_cv_t<std::remove_reference_t<R>>, absl::Status>) {
    return MethodError(r);
  } else {
    static_assert(sizeof(R) == 0, "setters and deleters return void or absl::Status");
    return absl::OkStatus();
  }
}

// A setter: exactly one parameter (the new value).
template <typename T, typename F>
MemberBinding::Setter MakeSetter(F f, std::string name) {
  using B = BoundSignature<F, true>;
  static_assert(std::tuple_size_v<typename B::Params> == 1,
                "a setter takes exactly one value (besides the object and a CallContext)");
  using P = std::tuple_element_t<0, typename B::Params>;
  static_assert(kValidParam<P>, "take the value by value or by const reference");
  using V = ParamValue<P>;
  using R = typename B::Return;
  return [f = std::move(f), what = absl::StrCat("value of '", name, "'")](
             Object* self, Invocation& inv, const v1::Value& value) mutable -> absl::Status {
    V decoded{};
    absl::Status s = ValueCodec<V>::Decode(value, inv, what, &decoded);
    if (!s.ok()) return s;
    T& obj = *static_cast<T*>(self);
    if constexpr (std::is_void_v<R>) {
      if constexpr (B::kWantsContext) {
        std::invoke(f, obj, inv.call(), std::move(decoded));
      } else {
        std::invoke(f, obj, std::move(decoded));
      }
      return absl::OkStatus();
    } else if constexpr (B::kWantsContext) {
      return StatusOfVoidLike(std::invoke(f, obj, inv.call(), std::move(decoded)));
    } else {
      return StatusOfVoidLike(std::invoke(f, obj, std::move(decoded)));
    }
  };
}

// A deleter: no parameters.
template <typename T, typename F>
MemberBinding::Deleter MakeDeleter(F f) {
  using B = BoundSignature<F, true>;
  static_assert(std::tuple_size_v<typename B::Params> == 0,
                "a deleter takes no parameters (besides the object and a CallContext)");
  using R = typename B::Return;
  return [f = std::move(f)](Object* self, Invocation& inv) mutable -> absl::Status {
    T& obj = *static_cast<T*>(self);
    if constexpr (std::is_void_v<R>) {
      if constexpr (B::kWantsContext) {
        std::invoke(f, obj, inv.call());
      } else {
        std::invoke(f, obj);
      }
      return absl::OkStatus();
    } else if constexpr (B::kWantsContext) {
      return StatusOfVoidLike(std::invoke(f, obj, inv.call()));
    } else {
      return StatusOfVoidLike(std::invoke(f, obj));
    }
  };
}

}  // namespace binding_internal

// Describes T (derived from orb::broker::Object) for TypeRegistry::Register().
// Every method returns *this for chaining.
template <typename T>
class TypeBuilder : public TypeBuilderBase {
  static_assert(std::is_base_of_v<Object, T>, "registered types derive from orb::broker::Object");

 public:
  // `name` is the remote type name, e.g. "demo.Blog" (letters, digits, '_'
  // and '.').
  explicit TypeBuilder(std::string name) : TypeBuilderBase(std::move(name), typeid(T)) {}

  // A data member: getattr reads it; setattr assigns it (unless the member
  // is const). Not deletable.
  template <typename F>
  TypeBuilder& Attribute(std::string name, F T::*field) {
    static_assert(!std::is_function_v<F>, "bind member functions with Property or Method");
    MemberBinding m;
    m.name = name;
    m.kind = MemberBinding::Kind::kAttribute;
    m.declared_non_blocking = true;  // a copy in or out, nothing else
    m.get = [field](Object* self, Invocation& inv, v1::Value* out) {
      return ValueCodec<std::remove_cv_t<F>>::Encode(static_cast<T*>(self)->*field, inv, out);
    };
    if constexpr (!std::is_const_v<F>) {
      m.set = [field, what = absl::StrCat("value of '", name, "'")](
                  Object* self, Invocation& inv, const v1::Value& value) -> absl::Status {
        F decoded{};
        absl::Status s = ValueCodec<F>::Decode(value, inv, what, &decoded);
        if (s.ok()) static_cast<T*>(self)->*field = std::move(decoded);
        return s;
      };
    }
    AddMember(std::move(m));
    return *this;
  }

  // A computed attribute: `getter` (required), `setter` and `deleter`
  // (optional; pass nullptr to skip one). Member functions or callables
  // taking T&, each optionally taking a CallContext after the object.
  template <typename G, typename S = std::nullptr_t, typename D = std::nullptr_t>
  TypeBuilder& Property(std::string name, G getter, S setter = nullptr, D deleter = nullptr) {
    MemberBinding m;
    m.name = name;
    m.kind = MemberBinding::Kind::kProperty;
    m.get = binding_internal::MakeGetter<T, G, true>(std::move(getter));
    if constexpr (!std::is_same_v<S, std::nullptr_t>) {
      m.set = binding_internal::MakeSetter<T, S>(std::move(setter), name);
    }
    if constexpr (!std::is_same_v<D, std::nullptr_t>) {
      m.del = binding_internal::MakeDeleter<T, D>(std::move(deleter));
    }
    AddMember(std::move(m));
    return *this;
  }

  // An instance method. `params` names its parameters in order (after the
  // object and an optional CallContext); the count must match.
  template <typename F>
  TypeBuilder& Method(std::string name, F method, std::vector<std::string> params = {}) {
    using B = binding_internal::BoundSignature<F, true>;
    AddCallable<F, true, typename B::Params>(std::move(name), MemberBinding::Kind::kMethod,
                                             policy::View::kInstance, std::move(method),
                                             std::move(params));
    return *this;
  }

  // A class-view attribute computed by `getter` (no object; optionally a
  // CallContext). Reachable only through the type's class handle.
  template <typename G>
  TypeBuilder& ClassAttribute(std::string name, G getter) {
    MemberBinding m;
    m.name = std::move(name);
    m.kind = MemberBinding::Kind::kClassAttribute;
    m.view = policy::View::kClass;
    m.get = binding_internal::MakeGetter<T, G, false>(std::move(getter));
    AddMember(std::move(m));
    return *this;
  }

  // A class-view method (no object; optionally a CallContext first).
  template <typename F>
  TypeBuilder& ClassMethod(std::string name, F method, std::vector<std::string> params = {}) {
    using B = binding_internal::BoundSignature<F, false>;
    AddCallable<F, false, typename B::Params>(std::move(name),
                                              MemberBinding::Kind::kClassMethod,
                                              policy::View::kClass, std::move(method),
                                              std::move(params));
    return *this;
  }

  // An instance attribute whose value is the class handle of the registered
  // type U (which may be registered later). The class handle's lineage is
  // its class node followed by the lineage of the object it was read from.
  template <typename U>
  TypeBuilder& ClassObject(std::string name) {
    static_assert(std::is_base_of_v<Object, U>, "U must derive from orb::broker::Object");
    MemberBinding m;
    m.name = std::move(name);
    m.kind = MemberBinding::Kind::kClassObject;
    m.declared_non_blocking = true;
    m.get = [](Object*, Invocation& inv, v1::Value* out) {
      return inv.ExportClass(std::type_index(typeid(U)), out);
    };
    AddMember(std::move(m));
    return *this;
  }

  // The lock of getattr, setattr, delattr or call on the member bound just
  // before (see "Locks next to the members" above): a permission, or any
  // policy::Lock (AllOf, AnyOf, NoPermissionRequired, ...).
  TypeBuilder& Get(policy::Lock lock) { return Lock(policy::Op::kGetAttr, std::move(lock)); }
  TypeBuilder& Get(absl::string_view permission) { return Get(policy::Lock::Permission(permission)); }
  TypeBuilder& Set(policy::Lock lock) { return Lock(policy::Op::kSetAttr, std::move(lock)); }
  TypeBuilder& Set(absl::string_view permission) { return Set(policy::Lock::Permission(permission)); }
  TypeBuilder& Del(policy::Lock lock) { return Lock(policy::Op::kDelAttr, std::move(lock)); }
  TypeBuilder& Del(absl::string_view permission) { return Del(policy::Lock::Permission(permission)); }
  TypeBuilder& Call(policy::Lock lock) { return Lock(policy::Op::kCall, std::move(lock)); }
  TypeBuilder& Call(absl::string_view permission) {
    return Call(policy::Lock::Permission(permission));
  }

  // The type's class-level ACL (below the policy file's type ACL, an
  // instance ACL, a dynamic ACL and a policy path ACL in precedence).
  TypeBuilder& Acl(std::vector<policy::AceSpec> aces) {
    SetAcl(std::move(aces));
    return *this;
  }

  // An ACL computed from each object, e.g. granting its owner. `fn` takes
  // `const T&` and returns std::vector<policy::AceSpec>. It runs without the
  // object's access lock: read only immutable or self-synchronized state.
  template <typename F>
  TypeBuilder& DynamicAcl(F fn) {
    SetDynamicAcl([fn = std::move(fn)](const Object& object) {
      return std::vector<policy::AceSpec>(fn(static_cast<const T&>(object)));
    });
    return *this;
  }

  // The OLP compiled into the program; a policy file's OLP for this type
  // replaces it. Without any OLP the type exposes nothing.
  TypeBuilder& Olp(policy::OlpPtr olp) {
    SetOlp(std::move(olp));
    return *this;
  }

  TypeBuilder& Concurrency(orb::broker::Concurrency c) {
    SetConcurrency(c);
    return *this;
  }

  // Promises that every member of the type (both views, including members
  // bound after this call) returns promptly and never waits on I/O, sleeps or
  // other threads; locks it takes are held briefly. Such members run on
  // gRPC's thread instead of being handed to a member thread (see
  // "Blocking" above). A member that breaks the promise holds one of gRPC's
  // few callback threads while it blocks, delaying every other client.
  TypeBuilder& NonBlocking() {
    DeclareNonBlocking({});
    return *this;
  }
  // The same promise for the named members only (on either view), e.g. a
  // fast `status` property next to a slow `measure()` method of a
  // kThreadSafe type. A name that is not bound by registration time is a
  // registration error.
  TypeBuilder& NonBlocking(std::vector<std::string> names) {
    if (names.empty()) {
      AddError("NonBlocking() was given an empty list of member names");
    } else {
      DeclareNonBlocking(std::move(names));
    }
    return *this;
  }
  // Declares the named methods safe to repeat: a second call with the same
  // arguments does no more than the first (a query, a "set to" rather than
  // an "add"). Describe tells clients, which may then retry such a call
  // after a lost connection without a request id. A name that is not a
  // method by registration time is a registration error.
  TypeBuilder& Idempotent(std::vector<std::string> names) {
    if (names.empty()) {
      AddError("Idempotent() was given an empty list of method names");
    } else {
      DeclareIdempotent(std::move(names));
    }
    return *this;
  }

 private:
  TypeBuilder& Lock(policy::Op op, policy::Lock lock) {
    LockLastMember(op, std::move(lock));
    return *this;
  }

  template <typename F, bool has_self, typename Params>
  void AddCallable(std::string name, MemberBinding::Kind kind, policy::View view, F f,
                   std::vector<std::string> params) {
    constexpr size_t kArity = std::tuple_size_v<Params>;
    static_assert(ParamsAreValid<Params>(std::make_index_sequence<kArity>()),
                  "take parameters by value or by const reference");
    if (params.empty() && kArity > 0) {
      for (size_t i = 0; i < kArity; ++i) params.push_back(absl::StrCat("arg", i));
    }
    if (params.size() != kArity) {
      AddError(absl::StrCat("method '", name, "' has ", kArity, " parameters but ",
                            params.size(), " names were given"));
      return;
    }
    MemberBinding m;
    m.name = name;
    m.kind = kind;
    m.view = view;
    m.params = params;
    m.call = binding_internal::MakeCaller<T, F, has_self, Params>(
        std::move(f), std::move(name), std::move(params), std::make_index_sequence<kArity>());
    AddMember(std::move(m));
  }

  template <typename Params, size_t... I>
  static constexpr bool ParamsAreValid(std::index_sequence<I...>) {
    return (binding_internal::kValidParam<std::tuple_element_t<I, Params>> && ...);
  }
};

}  // namespace orb::broker

#endif  // ORB_BROKER_BINDING_H_
