#include "broker/service/protobuf_log_limit.h"

#include <atomic>
#include <string>

#include "absl/base/call_once.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/stubs/logging.h"

namespace orb::broker {
namespace {

// What protobuf writes for each message with a non-UTF-8 string field,
// parsed or serialized (wire_format_lite.cc).
constexpr absl::string_view kInvalidUtf8 = "contains invalid UTF-8 data when";

// The handler installed before LimitingHandler (null: discard).
std::atomic<google::protobuf::LogHandler*> g_next{nullptr};

LogRateLimit& Utf8Limit() {
  static LogRateLimit* const limit = new LogRateLimit(absl::Minutes(1));
  return *limit;
}

void LimitingHandler(google::protobuf::LogLevel level, const char* filename, int line,
                     const std::string& message) {
  google::protobuf::LogHandler* const next = g_next.load(std::memory_order_acquire);
  if (next == nullptr) return;
  if (!absl::StrContains(message, kInvalidUtf8)) {
    next(level, filename, line, message);
    return;
  }
  const std::optional<uint64_t> held_back = Utf8Limit().Admit(absl::Now());
  if (!held_back.has_value()) return;
  std::string note = " (orb logs at most one such line a minute";
  if (*held_back > 0) absl::StrAppend(&note, "; ", *held_back, " held back since the last one");
  next(level, filename, line, absl::StrCat(absl::StripTrailingAsciiWhitespace(message), note, ")"));
}

}  // namespace

void InstallProtobufLogLimit() {
  static absl::once_flag once;
  absl::call_once(once, [] {
    // SetLogHandler returns the handler it replaces. (A message logged on
    // another thread in the instant between the two is dropped.)
    g_next.store(google::protobuf::SetLogHandler(&LimitingHandler), std::memory_order_release);
  });
}

}  // namespace orb::broker
