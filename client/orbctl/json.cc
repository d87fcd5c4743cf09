#include "client/orbctl/json.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "orb/client/client.h"
#include "base/json_escape.h"

namespace orb::orbctl {

using orb::client::Ref;
using orb::client::Value;
namespace {

class Parser {
 public:
  explicit Parser(absl::string_view text) : text_(text) {}

  absl::StatusOr<Value> Document() {
    absl::StatusOr<Value> v = ParseValue(0);
    if (!v.ok()) return v;
    SkipSpace();
    if (pos_ != text_.size()) return Error("unexpected text after the value");
    return v;
  }

 private:
  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("JSON: ", what, " at offset ", pos_));
  }
  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool Consume(absl::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  absl::StatusOr<Value> ParseValue(int depth) {
    if (depth > 64) return Error("nesting deeper than 64");
    SkipSpace();
    if (pos_ >= text_.size()) return Error("unexpected end");
    char c = text_[pos_];
    if (c == '{') return ParseObject(depth);
    if (c == '[') return ParseArray(depth);
    if (c == '"') {
      absl::StatusOr<std::string> s = ParseString();
      if (!s.ok()) return s.status();
      return Value(*std::move(s));
    }
    if (Consume("null")) return Value();
    if (Consume("true")) return Value(true);
    if (Consume("false")) return Value(false);
    if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber();
    return Error("unexpected character");
  }

  absl::StatusOr<Value> ParseNumber() {
    size_t start = pos_;
    bool integral = true;
    if (text_[pos_] == '-') ++pos_;
    if (pos_ >= text_.size() || !(text_[pos_] >= '0' && text_[pos_] <= '9')) {
      return Error("bad number");
    }
    if (text_[pos_] == '0' && pos_ + 1 < text_.size() && text_[pos_ + 1] >= '0' &&
        text_[pos_ + 1] <= '9') {
      return Error("leading zero");
    }
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c >= '0' && c <= '9') {
        ++pos_;
      } else if (c == '.' || c == 'e' || c == 'E' || c == '+' || (c == '-' && pos_ > start)) {
        integral = false;
        ++pos_;
      } else {
        break;
      }
    }
    std::string number(text_.substr(start, pos_ - start));
    if (integral) {
      int64_t i = 0;
      if (absl::SimpleAtoi(number, &i)) return Value(i);
    }
    double d = 0;
    if (!absl::SimpleAtod(number, &d) || number.back() == '.' || number.back() == 'e' ||
        number.back() == 'E') {
      return Error("bad number");
    }
    return Value(d);
  }

  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  absl::StatusOr<uint32_t> Hex4() {
    if (pos_ + 4 > text_.size()) return Error("short \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= c - '0';
      } else if (c >= 'a' && c <= 'f') {
        v |= c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        v |= c - 'A' + 10;
      } else {
        return Error("bad \\u escape");
      }
    }
    return v;
  }

  absl::StatusOr<std::string> ParseString() {
    ++pos_;  // the opening quote
    std::string out;
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) return Error("control character in string");
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) break;
      char e = text_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out.push_back(e);
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          absl::StatusOr<uint32_t> cp = Hex4();
          if (!cp.ok()) return cp.status();
          uint32_t code = *cp;
          if (code >= 0xD800 && code <= 0xDBFF && Consume("\\u")) {
            absl::StatusOr<uint32_t> low = Hex4();
            if (!low.ok()) return low.status();
            if (*low < 0xDC00 || *low > 0xDFFF) return Error("bad surrogate pair");
            code = 0x10000 + ((code - 0xD800) << 10) + (*low - 0xDC00);
          } else if (code >= 0xD800 && code <= 0xDFFF) {
            return Error("lone surrogate");
          }
          AppendUtf8(code, &out);
          break;
        }
        default:
          return Error("bad escape");
      }
    }
    return Error("unterminated string");
  }

  absl::StatusOr<Value> ParseArray(int depth) {
    ++pos_;
    Value::List list;
    SkipSpace();
    if (Consume("]")) return Value(std::move(list));
    for (;;) {
      absl::StatusOr<Value> item = ParseValue(depth + 1);
      if (!item.ok()) return item;
      list.push_back(*std::move(item));
      SkipSpace();
      if (Consume("]")) return Value(std::move(list));
      if (!Consume(",")) return Error("expected ',' or ']'");
    }
  }

  absl::StatusOr<Value> ParseObject(int depth) {
    ++pos_;
    Value::Map map;
    SkipSpace();
    if (Consume("}")) return Value(std::move(map));
    for (;;) {
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != '"') return Error("expected a string key");
      absl::StatusOr<std::string> key = ParseString();
      if (!key.ok()) return key.status();
      SkipSpace();
      if (!Consume(":")) return Error("expected ':'");
      absl::StatusOr<Value> item = ParseValue(depth + 1);
      if (!item.ok()) return item;
      map.insert_or_assign(*std::move(key), *std::move(item));
      SkipSpace();
      if (Consume("}")) return Value(std::move(map));
      if (!Consume(",")) return Error("expected ',' or '}'");
    }
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

std::string FormatDouble(double d, DoubleStyle style) {
  if (std::isnan(d) || std::isinf(d)) {
    // The protobuf JSON mapping's names for the values JSON has no number for.
    const char* name = std::isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
    return style == DoubleStyle::kJson ? absl::StrCat("\"", name, "\"") : name;
  }
  // std::to_chars with a format and no precision writes the shortest
  // digits that read back to the same double. As Python's repr() does, the
  // number is written positionally when its decimal exponent is in
  // [-4, 16) (20.0, 100000.0, 0.0001) and with an exponent otherwise
  // (1e+16, 1e-05, 5e-324).
  char buffer[64];
  std::to_chars_result written =
      std::to_chars(buffer, buffer + sizeof(buffer), d, std::chars_format::scientific);
  std::string s(buffer, written.ptr);
  const int exponent = std::atoi(s.c_str() + s.find('e') + 1);
  if (exponent < -4 || exponent >= 16) return s;
  written = std::to_chars(buffer, buffer + sizeof(buffer), d, std::chars_format::fixed);
  s.assign(buffer, written.ptr);
  // An integral value keeps a ".0", so that it reads as a double, not an
  // int (orbctl's own JSON parser makes 20 an int and 20.0 a double).
  if (s.find('.') == std::string::npos) s += ".0";
  return s;
}

namespace {

std::string Short(const std::string& id) {
  return id.size() > 8 ? id.substr(0, 8) + "\xE2\x80\xA6" : id;  // U+2026 ellipsis
}

std::string Render(const Value& value, bool human, const HandleNamer& namer) {
  switch (value.kind()) {
    case Value::Kind::kNull:
      return "null";
    case Value::Kind::kBool:
      return *value.AsBool() ? "true" : "false";
    case Value::Kind::kInt:
      return absl::StrCat(*value.AsInt());
    case Value::Kind::kDouble:
      return FormatDouble(*value.AsDouble(), human ? DoubleStyle::kHuman : DoubleStyle::kJson);
    case Value::Kind::kString:
      return base::JsonQuote(*value.string_if());
    case Value::Kind::kBytes:
      return absl::StrCat("{\"bytes\":", base::JsonQuote(absl::Base64Escape(*value.AsBytes())), "}");
    case Value::Kind::kList: {
      std::string out = "[";
      const char* sep = "";
      for (const Value& v : *value.list_if()) {
        absl::StrAppend(&out, sep, Render(v, human, namer));
        sep = human ? ", " : ",";
      }
      return out + "]";
    }
    case Value::Kind::kMap: {
      std::string out = "{";
      const char* sep = "";
      for (const auto& [k, v] : *value.map_if()) {
        absl::StrAppend(&out, sep, base::JsonQuote(k), human ? ": " : ":", Render(v, human, namer));
        sep = human ? ", " : ",";
      }
      return out + "}";
    }
    case Value::Kind::kRef: {
      const Ref& ref = *value.ref_if();
      const std::string name = namer ? namer(ref) : "";
      if (human) {
        if (!name.empty()) {
          return absl::StrCat(name, " = <", ref.type_name(), ref.is_class() ? " class" : "",
                              " handle>");
        }
        return absl::StrCat("<", ref.type_name(), ref.is_class() ? " class" : "", " handle ",
                            Short(ref.id()), ">");
      }
      return absl::StrCat("{\"handle\":{\"id\":", base::JsonQuote(ref.id()),
                          ",\"type_name\":", base::JsonQuote(ref.type_name()),
                          ref.is_class() ? ",\"is_class\":true" : "",
                          name.empty() ? "" : absl::StrCat(",\"name\":", base::JsonQuote(name)),
                          "}}");
    }
  }
  return "null";
}

}  // namespace

absl::StatusOr<Value> ParseJson(absl::string_view text) { return Parser(text).Document(); }

Value ParseArgument(absl::string_view text) {
  absl::StatusOr<Value> parsed = ParseJson(text);
  if (parsed.ok()) return *std::move(parsed);
  return Value(std::string(text));
}

std::string ToJson(const Value& value, const HandleNamer& namer) {
  return Render(value, false, namer);
}

std::string ToHuman(const Value& value, const HandleNamer& namer) {
  if (const std::string* s = value.string_if()) return *s;
  return Render(value, true, namer);
}

}  // namespace orb::orbctl
