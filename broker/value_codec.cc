#include "orb/broker/value_codec.h"

#include <cxxabi.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "orb/broker/type_registry.h"
#include "base/utf8.h"

namespace orb::broker {

absl::Status Invocation::ExportObject(std::shared_ptr<Object> object, v1::Value* out) {
  const Object& target = *object;
  const TypeInfo* type = registry_.FindFor(target);
  if (type == nullptr) {
    return OrbError(absl::StatusCode::kInternal,
                    absl::StrCat("the result is an object of C++ type '",
                                 DemangledName(typeid(target)),
                                 "', which is not a registered type"),
                    v1::UNREGISTERED_TYPE, v1::GATE_METHOD);
  }
  v1::HandleRef* ref = out->mutable_handle();
  ref->set_id(std::to_string(exports_.size()));
  ref->set_type_name(type->name());
  ref->set_is_class(false);
  exports_.push_back(Export{std::move(object), type, false});
  return absl::OkStatus();
}

absl::Status Invocation::ExportClass(std::type_index cpp_type, v1::Value* out) {
  const TypeInfo* type = registry_.FindByType(cpp_type);
  if (type == nullptr || origin_ == nullptr) {
    return OrbError(absl::StatusCode::kInternal,
                    absl::StrCat("the result is the class of C++ type '", TypeNameOf(cpp_type),
                                 "', which is not a registered type"),
                    v1::UNREGISTERED_TYPE, v1::GATE_METHOD);
  }
  v1::HandleRef* ref = out->mutable_handle();
  ref->set_id(std::to_string(exports_.size()));
  ref->set_type_name(type->name());
  ref->set_is_class(true);
  exports_.push_back(Export{origin_, type, true});
  return absl::OkStatus();
}

std::string Invocation::TypeNameOf(std::type_index type) const {
  const TypeInfo* info = registry_.FindByType(type);
  if (info != nullptr) return info->name();
  int status = 0;
  char* demangled = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
  std::string name = (status == 0 && demangled != nullptr) ? demangled : type.name();
  std::free(demangled);
  return name;
}

absl::string_view ValueKindName(const v1::Value& value) {
  switch (value.kind_case()) {
    case v1::Value::kNullValue:
      return "null";
    case v1::Value::kBoolValue:
      return "bool";
    case v1::Value::kIntValue:
      return "int";
    case v1::Value::kDoubleValue:
      return "double";
    case v1::Value::kStringValue:
      return "string";
    case v1::Value::kBytesValue:
      return "bytes";
    case v1::Value::kListValue:
      return "list";
    case v1::Value::kMapValue:
      return "map";
    case v1::Value::kHandle:
      return value.handle().is_class() ? "class handle" : "handle";
    case v1::Value::kResult:
      return "result reference";
    case v1::Value::KIND_NOT_SET:
      break;
  }
  return "unset";
}

absl::Status TypeMismatch(absl::string_view what, absl::string_view expected,
                          const v1::Value& got) {
  return ArgumentError(
      absl::StrCat(what, ": expected ", expected, ", got ", ValueKindName(got)));
}

std::string DemangledName(const std::type_info& type) {
  int status = 0;
  char* demangled = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
  std::string name = (status == 0 && demangled != nullptr) ? demangled : type.name();
  std::free(demangled);
  return name;
}

bool IsValidUtf8(absl::string_view s) { return base::IsValidUtf8(s); }

namespace {

absl::Status ValidateNode(const v1::Value& value, const ValueLimits& limits,
                          absl::string_view what, uint32_t depth, size_t* elements,
                          const std::function<absl::Status(const v1::HandleRef&)>& check_handle) {
  if (++*elements > limits.max_elements) {
    return OrbError(absl::StatusCode::kInvalidArgument,
                    absl::StrCat("the request has more than max_value_elements (",
                                 limits.max_elements, ") values"),
                    v1::VALUE_TOO_LARGE, v1::GATE_LIMITS);
  }
  switch (value.kind_case()) {
    case v1::Value::KIND_NOT_SET:
      return OrbError(absl::StatusCode::kInvalidArgument,
                      absl::StrCat(what, ": a value has no kind set"), v1::BAD_VALUE, v1::GATE_LIMITS);
    case v1::Value::kStringValue:
      if (!IsValidUtf8(value.string_value())) {
        return OrbError(absl::StatusCode::kInvalidArgument,
                        absl::StrCat(what, ": a string is not valid UTF-8"), v1::BAD_VALUE,
                        v1::GATE_LIMITS);
      }
      return absl::OkStatus();
    case v1::Value::kHandle:
      return check_handle ? check_handle(value.handle()) : absl::OkStatus();
    case v1::Value::kResult:
      // A Batch replaces every reference before the operation runs; one
      // that reaches here was sent outside a Batch.
      return OrbError(absl::StatusCode::kInvalidArgument,
                      absl::StrCat(what, ": a result reference ({\"result\": ", value.result(),
                                   "}) is valid only inside a Batch"),
                      v1::BAD_VALUE, v1::GATE_ARGUMENTS);
    case v1::Value::kListValue:
    case v1::Value::kMapValue: {
      if (depth + 1 > limits.max_depth) {
        return OrbError(absl::StatusCode::kInvalidArgument,
                        absl::StrCat(what, ": value nesting exceeds max_value_depth (",
                                     limits.max_depth, ")"),
                        v1::VALUE_TOO_DEEP, v1::GATE_LIMITS);
      }
      if (value.kind_case() == v1::Value::kListValue) {
        for (const v1::Value& item : value.list_value().values()) {
          absl::Status s = ValidateNode(item, limits, what, depth + 1, elements, check_handle);
          if (!s.ok()) return s;
        }
      } else {
        for (const auto& [key, item] : value.map_value().fields()) {
          if (!IsValidUtf8(key)) {
            return OrbError(absl::StatusCode::kInvalidArgument,
                            absl::StrCat(what, ": a map key is not valid UTF-8"), v1::BAD_VALUE,
                            v1::GATE_LIMITS);
          }
          absl::Status s = ValidateNode(item, limits, what, depth + 1, elements, check_handle);
          if (!s.ok()) return s;
        }
      }
      return absl::OkStatus();
    }
    case v1::Value::kNullValue:
    case v1::Value::kBoolValue:
    case v1::Value::kIntValue:
    case v1::Value::kDoubleValue:
    case v1::Value::kBytesValue:
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

bool ContainsHandle(const v1::Value& value) {
  switch (value.kind_case()) {
    case v1::Value::kHandle:
      return true;
    case v1::Value::kListValue:
      for (const v1::Value& item : value.list_value().values()) {
        if (ContainsHandle(item)) return true;
      }
      return false;
    case v1::Value::kMapValue:
      for (const auto& [key, item] : value.map_value().fields()) {
        if (ContainsHandle(item)) return true;
      }
      return false;
    default:
      return false;
  }
}

}  // namespace

absl::Status ValidateIncomingValue(
    const v1::Value& value, const ValueLimits& limits, absl::string_view what, size_t* elements,
    const std::function<absl::Status(const v1::HandleRef&)>& check_handle) {
  return ValidateNode(value, limits, what, 0, elements, check_handle);
}

namespace internal {

absl::Status DecodeDouble(const v1::Value& in, absl::string_view what, bool allow_non_finite,
                          double* out) {
  if (in.kind_case() == v1::Value::kIntValue) {
    *out = static_cast<double>(in.int_value());
    return absl::OkStatus();
  }
  if (in.kind_case() != v1::Value::kDoubleValue) return TypeMismatch(what, "double", in);
  const double d = in.double_value();
  if (!allow_non_finite && !std::isfinite(d)) {
    return ArgumentError(absl::StrCat(what, ": NaN and infinities are not accepted"));
  }
  *out = d;
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<Object>> DecodeObject(const v1::Value& in, Invocation& inv,
                                                     absl::string_view what,
                                                     std::type_index expected) {
  if (in.kind_case() != v1::Value::kHandle) {
    return TypeMismatch(what, absl::StrCat("a handle to '", inv.TypeNameOf(expected), "'"), in);
  }
  absl::StatusOr<ResolvedHandle> resolved = inv.ResolveHandle(in.handle());
  if (!resolved.ok()) return resolved.status();
  if (resolved->is_class) {
    return ArgumentError(absl::StrCat(what, ": expected a handle to '", inv.TypeNameOf(expected),
                                      "', got a class handle"));
  }
  if (resolved->restricted) {
    // The bound code would receive the whole object, not the narrowed view.
    return ArgumentError(
        absl::StrCat(what, ": a restricted handle cannot be passed as an argument"));
  }
  return std::move(resolved->object);
}

absl::Status ObjectTypeMismatch(Invocation& inv, absl::string_view what, std::type_index expected,
                                const Object& got) {
  return ArgumentError(absl::StrCat(what, ": expected a handle to '", inv.TypeNameOf(expected),
                                    "', got '", inv.TypeNameOf(std::type_index(typeid(got))),
                                    "'"));
}

}  // namespace internal

absl::Status ValueCodec<v1::Value>::Encode(const v1::Value& in, Invocation&, v1::Value* out) {
  if (ContainsHandle(in)) {
    return OrbError(absl::StatusCode::kInternal,
                    "a raw orb.v1.Value result may not contain handle references; return the "
                    "object itself",
                    v1::BAD_VALUE, v1::GATE_METHOD);
  }
  *out = in;
  return absl::OkStatus();
}

}  // namespace orb::broker
