// File: orb/client/value.h
//
// orb::client::Value: a dynamically typed value as it crosses the wire (the C++ side
// of orb.v1.Value): null, bool, int (int64), double, string (UTF-8), bytes,
// list, map (string keys) or a reference to a remote object (orb::client::Ref).
//
//   orb::client::Value v = std::vector<int>{1, 2, 3};         // a list of ints
//   absl::StatusOr<std::vector<int64_t>> xs = v.As<std::vector<int64_t>>();
//   absl::StatusOr<std::string> s = v.As<std::string>();
//   // s.status(): INVALID_ARGUMENT "expected string, got list"
//
// Conversions from C++: std::nullptr_t, bool, integral types (up to 32-bit
// unsigned, and every signed type), double and float, const char* and
// std::string (a string), Value::Bytes (bytes), orb::client::Ref (a handle),
// std::vector<T> (a list), std::map<std::string, T> (a map) and
// std::optional<T> (null when empty), for any T that converts.
//
// Conversions to C++ (Value::As<T>): the same types. An int converts to
// double; nothing else converts implicitly. A wrong kind is INVALID_ARGUMENT
// "expected <kind>, got <kind>" (inside a list or map the message names the
// element, e.g. "element 2: expected int, got string"); an int that does not
// fit the requested integral type is OUT_OF_RANGE.
//
// Thread safety: a Value is a value type. Concurrent const access is safe;
// mutation needs external synchronization, as for std::string. Copies share
// nothing mutable (lists and maps are copied; a copied handle is one more
// owner of the same orb::client::Ref, see orb/client/client.h).
#ifndef ORB_CLIENT_VALUE_H_
#define ORB_CLIENT_VALUE_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace orb {
// The client API lives in an inline namespace: users write orb::client::Value,
// orb::client::Session, ...; the broker library (orb::broker) has internal types of
// the same short names, and the inline namespace keeps a program that links
// both free of clashing symbols.
namespace client {

namespace client_internal {
struct RefState;
class SessionCore;
}  // namespace client_internal

class Value;

// orb::client::Ref
//
// A reference to a remote object, valid in the session that received it.
// Declared here because a Value may hold one; the operations are documented
// in orb/client/client.h.
class Ref;

// orb::client::Value
class Value {
 public:
  // The kinds of orb.v1.Value, in wire order.
  enum class Kind { kNull, kBool, kInt, kDouble, kString, kBytes, kList, kMap, kRef };
  using List = std::vector<Value>;
  using Map = std::map<std::string, Value>;
  // Raw bytes, kept apart from UTF-8 strings.
  struct Bytes {
    std::string data;
    friend bool operator==(const Bytes& a, const Bytes& b) { return a.data == b.data; }
  };

  // Null.
  Value();
  Value(std::nullptr_t);  // NOLINT: implicit on purpose, like the rest
  Value(bool b);          // NOLINT
  template <typename T,
            std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool> &&
                                 (std::is_signed_v<T> || sizeof(T) < sizeof(int64_t)),
                             int> = 0>
  Value(T i) : Value(FromInt(static_cast<int64_t>(i))) {}  // NOLINT
  Value(double d);                                          // NOLINT
  Value(float f) : Value(static_cast<double>(f)) {}         // NOLINT
  Value(const char* s);                                     // NOLINT
  Value(std::string s);                                     // NOLINT
  Value(absl::string_view s) : Value(std::string(s)) {}     // NOLINT
  Value(Bytes b);                                           // NOLINT
  Value(List list);                                         // NOLINT
  Value(Map map);                                           // NOLINT
  Value(Ref ref);                                           // NOLINT
  template <typename T, std::enable_if_t<!std::is_same_v<T, Value>, int> = 0>
  Value(const std::vector<T>& items) : Value(ListOf(items)) {}  // NOLINT
  template <typename T, std::enable_if_t<!std::is_same_v<T, Value>, int> = 0>
  Value(const std::map<std::string, T>& fields) : Value(MapOf(fields)) {}  // NOLINT
  template <typename T>
  Value(const std::optional<T>& v) : Value(v ? Value(*v) : Value()) {}  // NOLINT

  Value(const Value&);
  Value(Value&&) noexcept;
  Value& operator=(const Value&);
  Value& operator=(Value&&) noexcept;
  ~Value();

  Kind kind() const;
  // "null", "bool", "int", "double", "string", "bytes", "list", "map", "handle".
  static absl::string_view KindName(Kind kind);

  bool is_null() const { return kind() == Kind::kNull; }
  bool is_ref() const { return kind() == Kind::kRef; }

  // Typed access. Each returns the value, or INVALID_ARGUMENT "expected
  // <kind>, got <kind>". AsDouble() also accepts an int.
  absl::StatusOr<bool> AsBool() const;
  absl::StatusOr<int64_t> AsInt() const;
  absl::StatusOr<double> AsDouble() const;
  absl::StatusOr<std::string> AsString() const;
  absl::StatusOr<std::string> AsBytes() const;
  absl::StatusOr<List> AsList() const;
  absl::StatusOr<Map> AsMap() const;
  absl::StatusOr<Ref> AsRef() const;

  // Borrowed access without copying: nullptr when the value is of another
  // kind. The pointer lives as long as this Value is not modified.
  const std::string* string_if() const;
  const List* list_if() const;
  const Map* map_if() const;
  const Ref* ref_if() const;

  // Converts to T (see the file comment for the supported types).
  template <typename T>
  absl::StatusOr<T> As() const;

  // A compact, JSON-like rendering for logs and messages: strings quoted,
  // bytes as b"..", handles as <type handle id>.
  std::string DebugString() const;

  // Structural equality; two handles are equal when they name the same
  // handle id (and type) in the same session.
  friend bool operator==(const Value& a, const Value& b);
  friend bool operator!=(const Value& a, const Value& b) { return !(a == b); }

 private:
  struct Rep;
  template <typename T>
  static std::unique_ptr<Rep> MakeRep(T value);  // defined (and used) in value.cc only
  static Value FromInt(int64_t i);
  template <typename T>
  static List ListOf(const std::vector<T>& items) {
    List out;
    out.reserve(items.size());
    for (const auto& item : items) out.emplace_back(item);
    return out;
  }
  template <typename T>
  static Map MapOf(const std::map<std::string, T>& fields) {
    Map out;
    for (const auto& [key, item] : fields) out.emplace(key, Value(item));
    return out;
  }

  // Kept behind a pointer so that List and Map may hold Values and Ref may
  // stay an incomplete type here; null means the null value.
  std::unique_ptr<Rep> rep_;
};

namespace client_internal {

// Prefixes an error's message with where it happened ("element 2: ...").
absl::Status Within(const absl::Status& status, absl::string_view where);
absl::Status OutOfRange(absl::string_view type_name, int64_t value);

template <typename T, typename = void>
struct ValueAs;

template <>
struct ValueAs<Value> {
  static absl::StatusOr<Value> Get(const Value& v) { return v; }
};
template <>
struct ValueAs<bool> {
  static absl::StatusOr<bool> Get(const Value& v) { return v.AsBool(); }
};
template <>
struct ValueAs<double> {
  static absl::StatusOr<double> Get(const Value& v) { return v.AsDouble(); }
};
template <>
struct ValueAs<float> {
  static absl::StatusOr<float> Get(const Value& v) {
    absl::StatusOr<double> d = v.AsDouble();
    if (!d.ok()) return d.status();
    return static_cast<float>(*d);
  }
};
template <>
struct ValueAs<std::string> {
  static absl::StatusOr<std::string> Get(const Value& v) { return v.AsString(); }
};
template <>
struct ValueAs<Value::Bytes> {
  static absl::StatusOr<Value::Bytes> Get(const Value& v) {
    absl::StatusOr<std::string> b = v.AsBytes();
    if (!b.ok()) return b.status();
    return Value::Bytes{*std::move(b)};
  }
};
template <>
struct ValueAs<std::nullptr_t> {
  static absl::StatusOr<std::nullptr_t> Get(const Value& v) {
    if (v.is_null()) return nullptr;
    return absl::InvalidArgumentError(
        absl::StrCat("expected null, got ", Value::KindName(v.kind())));
  }
};
template <typename T>
struct ValueAs<T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>> {
  static absl::StatusOr<T> Get(const Value& v) {
    absl::StatusOr<int64_t> i = v.AsInt();
    if (!i.ok()) return i.status();
    if constexpr (std::is_signed_v<T>) {
      if (*i < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
          *i > static_cast<int64_t>(std::numeric_limits<T>::max())) {
        return OutOfRange(sizeof(T) == 4 ? "int32" : "the requested integer type", *i);
      }
    } else {
      if (*i < 0 || static_cast<uint64_t>(*i) > std::numeric_limits<T>::max()) {
        return OutOfRange("the requested unsigned type", *i);
      }
    }
    return static_cast<T>(*i);
  }
};
template <typename T>
struct ValueAs<std::vector<T>> {
  static absl::StatusOr<std::vector<T>> Get(const Value& v) {
    const Value::List* list = v.list_if();
    if (list == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("expected list, got ", Value::KindName(v.kind())));
    }
    std::vector<T> out;
    out.reserve(list->size());
    for (size_t i = 0; i < list->size(); ++i) {
      absl::StatusOr<T> item = ValueAs<T>::Get((*list)[i]);
      if (!item.ok()) return Within(item.status(), absl::StrCat("element ", i));
      out.push_back(*std::move(item));
    }
    return out;
  }
};
template <typename T>
struct ValueAs<std::map<std::string, T>> {
  static absl::StatusOr<std::map<std::string, T>> Get(const Value& v) {
    const Value::Map* map = v.map_if();
    if (map == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("expected map, got ", Value::KindName(v.kind())));
    }
    std::map<std::string, T> out;
    for (const auto& [key, item] : *map) {
      absl::StatusOr<T> converted = ValueAs<T>::Get(item);
      if (!converted.ok()) return Within(converted.status(), absl::StrCat("key '", key, "'"));
      out.emplace(key, *std::move(converted));
    }
    return out;
  }
};
template <typename T>
struct ValueAs<std::optional<T>> {
  static absl::StatusOr<std::optional<T>> Get(const Value& v) {
    if (v.is_null()) return std::optional<T>();
    absl::StatusOr<T> inner = ValueAs<T>::Get(v);
    if (!inner.ok()) return inner.status();
    return std::optional<T>(*std::move(inner));
  }
};

}  // namespace client_internal

template <typename T>
absl::StatusOr<T> Value::As() const {
  return client_internal::ValueAs<T>::Get(*this);
}

}  // namespace client
}  // namespace orb

#endif  // ORB_CLIENT_VALUE_H_
