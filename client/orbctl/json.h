// JSON text <-> orb::Value for orbctl's arguments and output.
#ifndef ORB_CLIENT_ORBCTL_JSON_H_
#define ORB_CLIENT_ORBCTL_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "orb/client/value.h"

namespace orb::orbctl {

// Parses one JSON document (RFC 8259). Numbers without a fraction or
// exponent that fit int64 become ints, other numbers doubles; objects
// become maps. Errors: INVALID_ARGUMENT naming the offset.
absl::StatusOr<Value> ParseJson(absl::string_view text);

// A command-line value: the JSON literal if `text` parses as JSON, else the
// text itself as a string (so `orbctl set title New` needs no quotes).
Value ParseArgument(absl::string_view text);

// JSON for scripts: handles as {"handle":{"id":..,"type_name":..}} (plus
// "is_class":true for a class handle), bytes as {"bytes":"<base64>"},
// NaN and infinities as null.
std::string ToJson(const Value& value);
// A JSON string literal.
std::string JsonString(absl::string_view s);

// For people: a top-level string as is, everything else as JSON except
// that handles read <demo.Entry handle 1f3a9c0e…>.
std::string ToHuman(const Value& value);

}  // namespace orb::orbctl

#endif  // ORB_CLIENT_ORBCTL_JSON_H_
