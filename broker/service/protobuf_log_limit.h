// A rate limit on the log line protobuf writes for every message with a
// string field that is not UTF-8.
//
// protobuf logs an ERROR ("String field 'orb.v1.GetAttrRequest.name'
// contains invalid UTF-8 data when parsing a protocol buffer. Use the
// 'bytes' type if you intend to send raw bytes.") each time it parses, or
// serializes, such a message. orb refuses such a request itself
// (INVALID_ARGUMENT), so the line only tells the operator that some peer
// sends them; left alone, a peer could write one line to the server's log
// per request it sends.
//
// InstallProtobufLogLimit() puts a protobuf log handler in front of the one
// installed before it (protobuf's default writes to stderr). Every other
// protobuf message passes through unchanged. Of the UTF-8 lines, at most one
// a minute passes, with a note saying so and, from the second on, how many
// were held back since the previous one passed (a count is therefore
// reported when the next line passes, not when a flood ends). The lines are
// protobuf's own: they name a field of orb's schema, never any content of
// the request. If the handler before was "discard" (SetLogHandler(nullptr)),
// nothing is written.
//
// Thread safety: InstallProtobufLogLimit() may be called any number of
// times from any threads; the first call installs the handler, the others
// do nothing. protobuf's SetLogHandler is a plain store, so the first call
// should come before other threads log through protobuf: OrbServer::Start
// calls it before its server starts (a program embedding orb may call it
// earlier, first thing in main). A handler installed after it replaces it.
// The installed handler may run on many threads at once.
#ifndef ORB_BROKER_SERVICE_PROTOBUF_LOG_LIMIT_H_
#define ORB_BROKER_SERVICE_PROTOBUF_LOG_LIMIT_H_

#include <cstdint>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace orb::service {

void InstallProtobufLogLimit();

// The limit itself: at most one line per `period`. Thread-safe.
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

}  // namespace orb::service

#endif  // ORB_BROKER_SERVICE_PROTOBUF_LOG_LIMIT_H_
