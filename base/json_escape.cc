#include "base/json_escape.h"

#include "absl/strings/escaping.h"
#include "base/utf8.h"

namespace orb::base {

std::string JsonEscape(absl::string_view in) {
  std::string escaped_bytes;
  if (!IsValidUtf8(in)) {
    escaped_bytes = absl::CHexEscape(in);
    in = escaped_bytes;
  }
  std::string out;
  out.reserve(in.size() + 8);
  for (char c : in) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[u >> 4];
          out += kHex[u & 0xf];
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string JsonQuote(absl::string_view s) {
  std::string out = "\"";
  out += JsonEscape(s);
  out += '"';
  return out;
}

}  // namespace orb::base
