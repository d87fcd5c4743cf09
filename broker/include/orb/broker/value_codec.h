// Conversion between orb.v1.Value (the wire's dynamic values) and C++ types,
// and validation of incoming values against the policy's limits.
//
// ValueCodec<T> converts one C++ type. Built in:
//   bool; integral types (range-checked; from int only); double and float
//   (from int or double; NaN and infinities refused, and for float any
//   magnitude beyond float's largest); orb::broker::AnyDouble (a
//   double that accepts NaN/inf); std::string (UTF-8 string); orb::broker::Bytes;
//   std::vector<T>; std::map<std::string, T>; std::optional<T> (null or an
//   omitted argument is std::nullopt); std::shared_ptr<U> for U derived from
//   orb::broker::Object (a handle of the caller's session going in, a new handle
//   going out; null <-> null value); orb::v1::Value itself (raw).
// A program may specialize ValueCodec for its own value types:
//
//   template <> struct orb::broker::ValueCodec<Point> {
//     static std::string TypeName() { return "point"; }
//     static absl::Status Decode(const v1::Value& in, Invocation& inv,
//                                absl::string_view what, Point* out);
//     static absl::Status Encode(const Point& in, Invocation& inv, v1::Value* out);
//   };
//
// Decode errors are INVALID_ARGUMENT naming `what` (e.g. "argument 'title'")
// and the expected and actual kinds. Types used as parameters must be
// default-constructible.
//
// Thread safety: codecs are stateless; an Invocation belongs to one call.
#ifndef ORB_BROKER_VALUE_CODEC_H_
#define ORB_BROKER_VALUE_CODEC_H_

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
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
#include "orb/v1/value.pb.h"

namespace orb::broker {

class TypeInfo;
class TypeRegistry;

// A double parameter or result that may be NaN or infinite. Plain `double`
// parameters refuse those values, because most code does not expect them.
struct AnyDouble {
  double value = 0;
  AnyDouble() = default;
  AnyDouble(double v) : value(v) {}  // NOLINT: implicit on purpose
  operator double() const { return value; }  // NOLINT
};

// Raw bytes (orb.v1.Value.bytes_value), kept apart from UTF-8 strings.
struct Bytes {
  std::string data;
};

// A handle the caller passed in, resolved in the caller's own session.
struct ResolvedHandle {
  std::shared_ptr<Object> object;  // for a class handle: the object it came from
  const TypeInfo* type = nullptr;
  bool is_class = false;
  bool restricted = false;
};

// Resolves incoming HandleRefs in the caller's session. Implemented by the
// broker core; a handle of any other session is NOT_FOUND.
class HandleResolver {
 public:
  virtual ~HandleResolver() = default;
  virtual absl::StatusOr<ResolvedHandle> Resolve(const v1::HandleRef& ref) const = 0;
};

// One access to a bound member: who calls (CallContext), how incoming
// handles resolve, and the objects the result will export as handles.
//
// Results are encoded before handles exist: an exported object is written
// as a placeholder HandleRef and recorded in exports(); the broker then adds
// all of them to the session at once (a quota error leaves the session
// untouched) and fills in the ids.
class Invocation {
 public:
  struct Export {
    std::shared_ptr<Object> object;  // for a class export: the origin object
    const TypeInfo* type = nullptr;
    bool is_class = false;
  };

  // REQUIRES: every argument outlives this Invocation. `origin` is the
  // object whose lineage a class handle exported by this access inherits
  // (the object itself, or a class handle's origin).
  Invocation(const CallContext& call, const TypeRegistry& registry,
             const HandleResolver& resolver, std::shared_ptr<Object> origin)
      : call_(call), registry_(registry), resolver_(resolver), origin_(std::move(origin)) {}
  Invocation(const Invocation&) = delete;
  Invocation& operator=(const Invocation&) = delete;

  const CallContext& call() const { return call_; }
  const TypeRegistry& registry() const { return registry_; }

  // Resolves a HandleRef the caller sent. Errors: NOT_FOUND when it is not a
  // handle of the caller's session.
  absl::StatusOr<ResolvedHandle> ResolveHandle(const v1::HandleRef& ref) const {
    return resolver_.Resolve(ref);
  }

  // Records `object` for export and writes its placeholder into `out`.
  // Errors: INTERNAL / UNREGISTERED_TYPE when the object's dynamic type is
  // not registered (an unprofiled object never becomes a handle).
  // REQUIRES: object is not null.
  absl::Status ExportObject(std::shared_ptr<Object> object, v1::Value* out);
  // Records the class object of the registered C++ type `type`.
  // Errors: INTERNAL / UNREGISTERED_TYPE when it is not registered.
  absl::Status ExportClass(std::type_index type, v1::Value* out);

  const std::vector<Export>& exports() const { return exports_; }

  // The registered name of a C++ type, or its demangled C++ name.
  std::string TypeNameOf(std::type_index type) const;

 private:
  const CallContext& call_;
  const TypeRegistry& registry_;
  const HandleResolver& resolver_;
  std::shared_ptr<Object> origin_;
  std::vector<Export> exports_;
};

// The kind of a value as messages name it: "null", "bool", "int", "double",
// "string", "bytes", "list", "map", "handle", "unset".
absl::string_view ValueKindName(const v1::Value& value);

// INVALID_ARGUMENT "<what>: expected <expected>, got <kind>".
absl::Status TypeMismatch(absl::string_view what, absl::string_view expected,
                          const v1::Value& got);

// The demangled name of a C++ type (for messages).
std::string DemangledName(const std::type_info& type);

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, at most
// U+10FFFF).
bool IsValidUtf8(absl::string_view s);

// Limits applied to every incoming value tree (policy `limits`).
struct ValueLimits {
  uint32_t max_depth = 64;        // list/map nesting levels
  uint32_t max_elements = 100000; // Value nodes over the whole request
};

// Checks one incoming value: a kind is set everywhere, strings and map keys
// are UTF-8, nesting depth <= max_depth (a list or map is one level), and
// adds the number of Value nodes to *elements, failing once it exceeds
// max_elements. `check_handle`, when set, is called for every HandleRef.
// Errors: INVALID_ARGUMENT naming `what`, the limit hit and its value
// (reasons BAD_VALUE, VALUE_TOO_DEEP, VALUE_TOO_LARGE); whatever
// check_handle returns.
absl::Status ValidateIncomingValue(
    const v1::Value& value, const ValueLimits& limits, absl::string_view what,
    size_t* elements,
    const std::function<absl::Status(const v1::HandleRef&)>& check_handle = nullptr);

template <typename T, typename Enable = void>
struct ValueCodec;  // no codec: a compile error naming T

// True for std::optional<T>: such a parameter may be omitted.
template <typename T>
struct IsOptionalParam : std::false_type {};
template <typename T>
struct IsOptionalParam<std::optional<T>> : std::true_type {};

// ---------------------------------------------------------------------------
// Built-in codecs.

template <>
struct ValueCodec<bool> {
  static std::string TypeName() { return "bool"; }
  static absl::Status Decode(const v1::Value& in, Invocation&, absl::string_view what, bool* out) {
    if (in.kind_case() != v1::Value::kBoolValue) return TypeMismatch(what, TypeName(), in);
    *out = in.bool_value();
    return absl::OkStatus();
  }
  static absl::Status Encode(bool in, Invocation&, v1::Value* out) {
    out->set_bool_value(in);
    return absl::OkStatus();
  }
};

template <typename T>
struct ValueCodec<T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool> &&
                                      !std::is_same_v<T, char>>> {
  static std::string TypeName() { return "int"; }
  static absl::Status Decode(const v1::Value& in, Invocation&, absl::string_view what, T* out) {
    if (in.kind_case() != v1::Value::kIntValue) return TypeMismatch(what, TypeName(), in);
    const int64_t v = in.int_value();
    bool in_range;
    if constexpr (std::is_signed_v<T>) {
      in_range = v >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
                 v <= static_cast<int64_t>(std::numeric_limits<T>::max());
    } else {
      in_range = v >= 0 && static_cast<uint64_t>(v) <= std::numeric_limits<T>::max();
    }
    if (!in_range) {
      // The range tells the caller what the parameter takes.
      return ArgumentError(absl::StrCat(what, ": ", v, " is out of range (",
                                        +std::numeric_limits<T>::min(), "..",
                                        +std::numeric_limits<T>::max(), ")"));
    }
    *out = static_cast<T>(v);
    return absl::OkStatus();
  }
  static absl::Status Encode(T in, Invocation&, v1::Value* out) {
    if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(int64_t)) {
      if (in > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return OrbError(absl::StatusCode::kOutOfRange,
                        absl::StrCat("result ", in, " does not fit in a 64-bit signed int"),
                        v1::BAD_VALUE, v1::GATE_METHOD);
      }
    }
    out->set_int_value(static_cast<int64_t>(in));
    return absl::OkStatus();
  }
};

namespace internal {
// Containers decode their elements under the container's own name and
// format an element's path ("what[3]", "what['k']") only when one fails,
// so that a good value costs no string formatting: `redo` decodes the
// failing element again under its path, and its error is the one returned
// (or `failed` itself, should the element decode this time).
template <typename T, typename Redo>
absl::Status WithElementPath(const absl::Status& failed, Redo redo) {
  T again{};
  absl::Status detailed = redo(&again);
  return detailed.ok() ? failed : detailed;
}

// Reads a double from an int or double value; refuses NaN/inf unless allowed.
absl::Status DecodeDouble(const v1::Value& in, absl::string_view what, bool allow_non_finite,
                          double* out);
}  // namespace internal

template <typename T>
struct ValueCodec<T, std::enable_if_t<std::is_floating_point_v<T>>> {
  static std::string TypeName() { return "double"; }
  static absl::Status Decode(const v1::Value& in, Invocation&, absl::string_view what, T* out) {
    double d = 0;
    absl::Status s = internal::DecodeDouble(in, what, /*allow_non_finite=*/false, &d);
    if (!s.ok()) return s;
    if constexpr (std::numeric_limits<T>::max() < std::numeric_limits<double>::max()) {
      // A finite double beyond T's range has no T value (the conversion is
      // undefined, and in practice an infinity this parameter refuses).
      if (std::fabs(d) > std::numeric_limits<T>::max()) {
        return ArgumentError(absl::StrCat(what, ": ", d,
                                          " is out of range for a float parameter (its "
                                          "magnitude is at most ",
                                          std::numeric_limits<T>::max(), ")"));
      }
    }
    *out = static_cast<T>(d);
    return absl::OkStatus();
  }
  static absl::Status Encode(T in, Invocation&, v1::Value* out) {
    out->set_double_value(static_cast<double>(in));
    return absl::OkStatus();
  }
};

template <>
struct ValueCodec<AnyDouble> {
  static std::string TypeName() { return "double"; }
  static absl::Status Decode(const v1::Value& in, Invocation&, absl::string_view what,
                             AnyDouble* out) {
    return internal::DecodeDouble(in, what, /*allow_non_finite=*/true, &out->value);
  }
  static absl::Status Encode(AnyDouble in, Invocation&, v1::Value* out) {
    out->set_double_value(in.value);
    return absl::OkStatus();
  }
};

template <>
struct ValueCodec<std::string> {
  static std::string TypeName() { return "string"; }
  static absl::Status Decode(const v1::Value& in, Invocation&, absl::string_view what,
                             std::string* out) {
    if (in.kind_case() != v1::Value::kStringValue) return TypeMismatch(what, TypeName(), in);
    *out = in.string_value();
    return absl::OkStatus();
  }
  static absl::Status Encode(const std::string& in, Invocation&, v1::Value* out) {
    if (!IsValidUtf8(in)) {
      return OrbError(absl::StatusCode::kInternal, "result string is not valid UTF-8",
                      v1::BAD_VALUE, v1::GATE_METHOD);
    }
    out->set_string_value(in);
    return absl::OkStatus();
  }
};

template <>
struct ValueCodec<Bytes> {
  static std::string TypeName() { return "bytes"; }
  static absl::Status Decode(const v1::Value& in, Invocation&, absl::string_view what,
                             Bytes* out) {
    if (in.kind_case() != v1::Value::kBytesValue) return TypeMismatch(what, TypeName(), in);
    out->data = in.bytes_value();
    return absl::OkStatus();
  }
  static absl::Status Encode(const Bytes& in, Invocation&, v1::Value* out) {
    out->set_bytes_value(in.data);
    return absl::OkStatus();
  }
};

template <typename T>
struct ValueCodec<std::vector<T>> {
  static std::string TypeName() { return absl::StrCat("list of ", ValueCodec<T>::TypeName()); }
  static absl::Status Decode(const v1::Value& in, Invocation& inv, absl::string_view what,
                             std::vector<T>* out) {
    if (in.kind_case() != v1::Value::kListValue) return TypeMismatch(what, TypeName(), in);
    const auto& values = in.list_value().values();
    out->clear();
    out->reserve(values.size());
    for (int i = 0; i < values.size(); ++i) {
      T item{};
      absl::Status s = ValueCodec<T>::Decode(values[i], inv, what, &item);
      if (!s.ok()) {
        return internal::WithElementPath<T>(s, [&](T* again) {
          return ValueCodec<T>::Decode(values[i], inv, absl::StrCat(what, "[", i, "]"), again);
        });
      }
      out->push_back(std::move(item));
    }
    return absl::OkStatus();
  }
  static absl::Status Encode(const std::vector<T>& in, Invocation& inv, v1::Value* out) {
    v1::ValueList* list = out->mutable_list_value();
    for (const T& item : in) {
      absl::Status s = ValueCodec<T>::Encode(item, inv, list->add_values());
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }
};

template <typename T>
struct ValueCodec<std::map<std::string, T>> {
  static std::string TypeName() {
    return absl::StrCat("map of string to ", ValueCodec<T>::TypeName());
  }
  static absl::Status Decode(const v1::Value& in, Invocation& inv, absl::string_view what,
                             std::map<std::string, T>* out) {
    if (in.kind_case() != v1::Value::kMapValue) return TypeMismatch(what, TypeName(), in);
    out->clear();
    for (const auto& [key, value] : in.map_value().fields()) {
      T item{};
      absl::Status s = ValueCodec<T>::Decode(value, inv, what, &item);
      if (!s.ok()) {
        return internal::WithElementPath<T>(s, [&, &key = key, &value = value](T* again) {
          return ValueCodec<T>::Decode(value, inv, absl::StrCat(what, "['", key, "']"), again);
        });
      }
      out->emplace(key, std::move(item));
    }
    return absl::OkStatus();
  }
  static absl::Status Encode(const std::map<std::string, T>& in, Invocation& inv,
                             v1::Value* out) {
    auto* fields = out->mutable_map_value()->mutable_fields();
    for (const auto& [key, item] : in) {
      if (!IsValidUtf8(key)) {
        return OrbError(absl::StatusCode::kInternal, "result map key is not valid UTF-8",
                        v1::BAD_VALUE, v1::GATE_METHOD);
      }
      absl::Status s = ValueCodec<T>::Encode(item, inv, &(*fields)[key]);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }
};

template <typename T>
struct ValueCodec<std::optional<T>> {
  static std::string TypeName() { return absl::StrCat(ValueCodec<T>::TypeName(), " or null"); }
  static absl::Status Decode(const v1::Value& in, Invocation& inv, absl::string_view what,
                             std::optional<T>* out) {
    if (in.kind_case() == v1::Value::kNullValue) {
      out->reset();
      return absl::OkStatus();
    }
    T item{};
    absl::Status s = ValueCodec<T>::Decode(in, inv, what, &item);
    if (s.ok()) *out = std::move(item);
    return s;
  }
  static absl::Status Encode(const std::optional<T>& in, Invocation& inv, v1::Value* out) {
    if (!in.has_value()) {
      out->set_null_value(v1::NULL_VALUE);
      return absl::OkStatus();
    }
    return ValueCodec<T>::Encode(*in, inv, out);
  }
};

namespace internal {
// Resolves an incoming handle for a std::shared_ptr<U> parameter: it must be
// an instance handle (not a class handle, not a restricted one: the bound
// code would see the whole object) of the caller's session.
absl::StatusOr<std::shared_ptr<Object>> DecodeObject(const v1::Value& in, Invocation& inv,
                                                     absl::string_view what,
                                                     std::type_index expected);
// INVALID_ARGUMENT: "<what>: expected <expected type>, got <actual type>".
absl::Status ObjectTypeMismatch(Invocation& inv, absl::string_view what,
                                std::type_index expected, const Object& got);
}  // namespace internal

template <typename U>
struct ValueCodec<std::shared_ptr<U>, std::enable_if_t<std::is_base_of_v<Object, U>>> {
  static std::string TypeName() { return "handle"; }
  static absl::Status Decode(const v1::Value& in, Invocation& inv, absl::string_view what,
                             std::shared_ptr<U>* out) {
    if (in.kind_case() == v1::Value::kNullValue) {
      out->reset();
      return absl::OkStatus();
    }
    absl::StatusOr<std::shared_ptr<Object>> object =
        internal::DecodeObject(in, inv, what, std::type_index(typeid(U)));
    if (!object.ok()) return object.status();
    std::shared_ptr<U> cast = std::dynamic_pointer_cast<U>(*object);
    if (cast == nullptr) {
      return internal::ObjectTypeMismatch(inv, what, std::type_index(typeid(U)), **object);
    }
    *out = std::move(cast);
    return absl::OkStatus();
  }
  static absl::Status Encode(const std::shared_ptr<U>& in, Invocation& inv, v1::Value* out) {
    if (in == nullptr) {
      out->set_null_value(v1::NULL_VALUE);
      return absl::OkStatus();
    }
    return inv.ExportObject(std::static_pointer_cast<Object>(in), out);
  }
};

template <>
struct ValueCodec<v1::Value> {
  static std::string TypeName() { return "any value"; }
  static absl::Status Decode(const v1::Value& in, Invocation&, absl::string_view,
                             v1::Value* out) {
    *out = in;
    return absl::OkStatus();
  }
  // Errors: INTERNAL when `in` contains a HandleRef: bound code returns
  // objects, never hand-made references.
  static absl::Status Encode(const v1::Value& in, Invocation& inv, v1::Value* out);
};

}  // namespace orb::broker

#endif  // ORB_BROKER_VALUE_CODEC_H_
