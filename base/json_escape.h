// The one JSON string escaper of the project (audit records, orbctl output,
// orb-bench results).
#ifndef ORB_BASE_JSON_ESCAPE_H_
#define ORB_BASE_JSON_ESCAPE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace orb::base {

// Returns `s` escaped for the inside of a JSON string (no quotes added):
// `"` and `\` escaped, \n \r \t as such, other control characters and DEL as
// \u00XX. Input that is not valid UTF-8 is first C-hex-escaped as a whole
// (bytes >= 0x80 become \xNN, then escaped again for JSON), so the result is
// always valid JSON and shows the bytes that were sent.
std::string JsonEscape(absl::string_view s);

// JsonEscape(s) between double quotes.
std::string JsonQuote(absl::string_view s);

}  // namespace orb::base

#endif  // ORB_BASE_JSON_ESCAPE_H_
