#include "orb/client/value.h"

#include <cmath>
#include <variant>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "orb/client/client.h"

namespace orb {
namespace client {

// The alternatives in the order of Value::Kind, after kNull (a null Value
// has no Rep).
struct Value::Rep {
  std::variant<bool, int64_t, double, std::string, Bytes, List, Map, Ref> v;
};

template <typename T>
std::unique_ptr<Value::Rep> Value::MakeRep(T value) {
  auto rep = std::make_unique<Rep>();
  rep->v = std::move(value);
  return rep;
}

namespace {

absl::Status WrongKind(absl::string_view expected, const Value& got) {
  return absl::InvalidArgumentError(
      absl::StrCat("expected ", expected, ", got ", Value::KindName(got.kind())));
}

std::string Quoted(const std::string& s) { return absl::StrCat("\"", absl::CEscape(s), "\""); }

}  // namespace

Value::Value() = default;
Value::Value(std::nullptr_t) {}
Value::Value(bool b) : rep_(MakeRep(b)) {}
Value::Value(double d) : rep_(MakeRep(d)) {}
Value::Value(const char* s) : rep_(MakeRep(std::string(s == nullptr ? "" : s))) {}
Value::Value(std::string s) : rep_(MakeRep(std::move(s))) {}
Value::Value(Bytes b) : rep_(MakeRep(std::move(b))) {}
Value::Value(List list) : rep_(MakeRep(std::move(list))) {}
Value::Value(Map map) : rep_(MakeRep(std::move(map))) {}
Value::Value(Ref ref) : rep_(MakeRep(std::move(ref))) {}

Value Value::FromInt(int64_t i) {
  Value v;
  v.rep_ = MakeRep(i);
  return v;
}

Value::Value(const Value& other)
    : rep_(other.rep_ == nullptr ? nullptr : std::make_unique<Rep>(*other.rep_)) {}
Value::Value(Value&&) noexcept = default;
Value& Value::operator=(const Value& other) {
  if (this != &other) rep_ = other.rep_ == nullptr ? nullptr : std::make_unique<Rep>(*other.rep_);
  return *this;
}
Value& Value::operator=(Value&&) noexcept = default;
Value::~Value() = default;

Value::Kind Value::kind() const {
  if (rep_ == nullptr) return Kind::kNull;
  return static_cast<Kind>(rep_->v.index() + 1);
}

absl::string_view Value::KindName(Kind kind) {
  switch (kind) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kDouble:
      return "double";
    case Kind::kString:
      return "string";
    case Kind::kBytes:
      return "bytes";
    case Kind::kList:
      return "list";
    case Kind::kMap:
      return "map";
    case Kind::kRef:
      return "handle";
  }
  return "unknown";
}

absl::StatusOr<bool> Value::AsBool() const {
  if (kind() != Kind::kBool) return WrongKind("bool", *this);
  return std::get<bool>(rep_->v);
}

absl::StatusOr<int64_t> Value::AsInt() const {
  if (kind() != Kind::kInt) return WrongKind("int", *this);
  return std::get<int64_t>(rep_->v);
}

absl::StatusOr<double> Value::AsDouble() const {
  if (kind() == Kind::kInt) return static_cast<double>(std::get<int64_t>(rep_->v));
  if (kind() != Kind::kDouble) return WrongKind("double", *this);
  return std::get<double>(rep_->v);
}

absl::StatusOr<std::string> Value::AsString() const {
  if (kind() != Kind::kString) return WrongKind("string", *this);
  return std::get<std::string>(rep_->v);
}

absl::StatusOr<std::string> Value::AsBytes() const {
  if (kind() != Kind::kBytes) return WrongKind("bytes", *this);
  return std::get<Bytes>(rep_->v).data;
}

absl::StatusOr<Value::List> Value::AsList() const {
  if (kind() != Kind::kList) return WrongKind("list", *this);
  return std::get<List>(rep_->v);
}

absl::StatusOr<Value::Map> Value::AsMap() const {
  if (kind() != Kind::kMap) return WrongKind("map", *this);
  return std::get<Map>(rep_->v);
}

absl::StatusOr<Ref> Value::AsRef() const {
  if (kind() != Kind::kRef) return WrongKind("handle", *this);
  return std::get<Ref>(rep_->v);
}

const std::string* Value::string_if() const {
  return kind() == Kind::kString ? &std::get<std::string>(rep_->v) : nullptr;
}
const Value::List* Value::list_if() const {
  return kind() == Kind::kList ? &std::get<List>(rep_->v) : nullptr;
}
const Value::Map* Value::map_if() const {
  return kind() == Kind::kMap ? &std::get<Map>(rep_->v) : nullptr;
}
const Ref* Value::ref_if() const {
  return kind() == Kind::kRef ? &std::get<Ref>(rep_->v) : nullptr;
}

std::string Value::DebugString() const {
  switch (kind()) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return std::get<bool>(rep_->v) ? "true" : "false";
    case Kind::kInt:
      return absl::StrCat(std::get<int64_t>(rep_->v));
    case Kind::kDouble:
      return absl::StrCat(std::get<double>(rep_->v));
    case Kind::kString:
      return Quoted(std::get<std::string>(rep_->v));
    case Kind::kBytes:
      return absl::StrCat("b", Quoted(std::get<Bytes>(rep_->v).data));
    case Kind::kList:
      return absl::StrCat("[",
                          absl::StrJoin(std::get<List>(rep_->v), ", ",
                                        [](std::string* out, const Value& v) {
                                          out->append(v.DebugString());
                                        }),
                          "]");
    case Kind::kMap:
      return absl::StrCat(
          "{",
          absl::StrJoin(std::get<Map>(rep_->v), ", ",
                        [](std::string* out, const std::pair<const std::string, Value>& kv) {
                          absl::StrAppend(out, Quoted(kv.first), ": ", kv.second.DebugString());
                        }),
          "}");
    case Kind::kRef: {
      const Ref& ref = std::get<Ref>(rep_->v);
      return absl::StrCat("<", ref.type_name(), ref.is_class() ? " class" : "", " handle ",
                          ref.id(), ">");
    }
  }
  return "?";
}

bool operator==(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  if (a.rep_ == nullptr) return true;
  return a.rep_->v == b.rep_->v;
}

namespace client_internal {

absl::Status Within(const absl::Status& status, absl::string_view where) {
  return absl::Status(status.code(), absl::StrCat(where, ": ", status.message()));
}

absl::Status OutOfRange(absl::string_view type_name, int64_t value) {
  return absl::OutOfRangeError(absl::StrCat(value, " does not fit ", type_name));
}

}  // namespace client_internal
}  // namespace client
}  // namespace orb
