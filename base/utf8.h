// The one strict UTF-8 decoder of the project: no overlong forms, no
// surrogates, nothing above U+10FFFF (what protobuf, Python and JSON accept).
#ifndef ORB_BASE_UTF8_H_
#define ORB_BASE_UTF8_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace orb::base {

// Decodes the sequence that starts at s[i] (REQUIRES: i < s.size()).
// Returns its length in bytes (1..4) and stores the code point in *cp, or
// returns 0 when no valid sequence starts there (*cp is then unspecified).
size_t DecodeUtf8(absl::string_view s, size_t i, uint32_t* cp);

// True when the whole of `s` is valid UTF-8.
bool IsValidUtf8(absl::string_view s);

}  // namespace orb::base

#endif  // ORB_BASE_UTF8_H_
