// JSON text <-> orb::client::Value for orbctl's arguments and output.
#ifndef ORB_CLIENT_ORBCTL_JSON_H_
#define ORB_CLIENT_ORBCTL_JSON_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "orb/client/value.h"

namespace orb::orbctl {

using orb::client::Value;

// The name `orbctl shell` gives a handle it prints ("$3"); called once per
// handle, in the order the handles appear in the value (list order, map
// key order).
using HandleNamer = std::function<std::string(const orb::client::Ref&)>;

// Parses one JSON document (RFC 8259). Numbers without a fraction or
// exponent that fit int64 become ints, other numbers doubles; objects
// become maps. Errors: INVALID_ARGUMENT naming the offset.
absl::StatusOr<Value> ParseJson(absl::string_view text);

// A command-line value: the JSON literal if `text` parses as JSON, else the
// text itself as a string (so `orbctl set title New` needs no quotes).
Value ParseArgument(absl::string_view text);

// JSON for scripts: handles as {"handle":{"id":..,"type_name":..}} (plus
// "is_class":true for a class handle), bytes as {"bytes":"<base64>"},
// doubles as FormatDouble(kJson) writes them. With a `namer`, each handle
// also carries its name: {"handle":{"id":..,"type_name":..,"name":"$1"}}.
std::string ToJson(const Value& value, const HandleNamer& namer = nullptr);
enum class DoubleStyle { kJson, kHuman };
// The shortest text that reads back to the same double, as Python's repr()
// writes it: positional for decimal exponents in [-4, 16), with ".0" added
// to an integral value so that it reads as a double (20.0, 7.25, 0.1,
// -0.0, 100000.0), else with an exponent (1e+16, 1e+21, 1e-05, 5e-324). NaN and the infinities have no JSON number; they are
// written as the protobuf JSON mapping writes them, "NaN", "Infinity" and
// "-Infinity" (JSON strings for kJson, bare words for kHuman).
std::string FormatDouble(double d, DoubleStyle style);


// For people: a top-level string as is, everything else as JSON except
// that handles read <demo.Entry handle 1f3a9c0e…> and doubles are written
// as FormatDouble(kHuman) writes them. With a `namer`, a handle reads by its
// name instead of its id: $1 = <demo.Entry handle> (a class handle:
// $1 = <demo.Entry class handle>).
std::string ToHuman(const Value& value, const HandleNamer& namer = nullptr);

}  // namespace orb::orbctl

#endif  // ORB_CLIENT_ORBCTL_JSON_H_
