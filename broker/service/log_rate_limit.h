// Rate limits for log lines a peer can cause at will: at most one line per
// period (LogRateLimit), or per period and key (KeyedLogRateLimit), with a
// count of the lines held back in between. Used for protobuf's UTF-8 line
// (protobuf_log_limit.h) and gRPC's failed-handshake lines
// (grpc_log_limit.h). Both classes are thread-safe and take the time as an
// argument, so tests drive them with any clock.
#ifndef ORB_BROKER_SERVICE_LOG_RATE_LIMIT_H_
#define ORB_BROKER_SERVICE_LOG_RATE_LIMIT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace orb::broker {

// At most one line per `period`.
class LogRateLimit {
 public:
  explicit LogRateLimit(absl::Duration period) : period_(period) {}

  // Whether a line due at `now` may be written: if so, how many lines were
  // held back since the last one written; if not, nullopt (and the line is
  // counted as held back).
  std::optional<uint64_t> Admit(absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  const absl::Duration period_;
  absl::Mutex mu_;
  absl::Time last_written_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  uint64_t held_back_ ABSL_GUARDED_BY(mu_) = 0;
};

// At most one line per `period` for each key (a peer address, a cause).
// Memory is bounded: it remembers at most `max_keys` keys; when a new key
// finds the table full, keys whose period has passed with nothing held back
// are forgotten first, and if none can be, the new key shares one overflow
// entry with every other key that found the table full (so a flood from
// many peers still writes at most one line a period for them together).
class KeyedLogRateLimit {
 public:
  KeyedLogRateLimit(absl::Duration period, size_t max_keys)
      : period_(period), max_keys_(max_keys) {}

  // As LogRateLimit::Admit, counted for `key` alone.
  std::optional<uint64_t> Admit(absl::string_view key, absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Entry {
    absl::Time last_written = absl::InfinitePast();
    uint64_t held_back = 0;
  };
  static std::optional<uint64_t> AdmitEntry(Entry& entry, absl::Duration period, absl::Time now);

  const absl::Duration period_;
  const size_t max_keys_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  Entry overflow_ ABSL_GUARDED_BY(mu_);
};

}  // namespace orb::broker

#endif  // ORB_BROKER_SERVICE_LOG_RATE_LIMIT_H_
