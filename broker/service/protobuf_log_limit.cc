#include "broker/service/protobuf_log_limit.h"

#include <atomic>
#include <string>

#include "absl/base/call_once.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/stubs/logging.h"
#include "policy/sync.h"

namespace orb::service {
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

std::optional<uint64_t> LogRateLimit::Admit(absl::Time now) {
  orb::MutexLock lock(&mu_);
  if (now - last_written_ < period_) {
    ++held_back_;
    return std::nullopt;
  }
  last_written_ = now;
  const uint64_t held_back = held_back_;
  held_back_ = 0;
  return held_back;
}

void InstallProtobufLogLimit() {
  static absl::once_flag once;
  absl::call_once(once, [] {
    // SetLogHandler returns the handler it replaces. (A message logged on
    // another thread in the instant between the two is dropped.)
    g_next.store(google::protobuf::SetLogHandler(&LimitingHandler), std::memory_order_release);
  });
}

}  // namespace orb::service
