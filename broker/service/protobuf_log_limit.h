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
// should come before other threads log through protobuf: Server::Start
// calls it before its server starts (a program embedding orb may call it
// earlier, first thing in main). A handler installed after it replaces it.
// The installed handler may run on many threads at once.
#ifndef ORB_BROKER_SERVICE_PROTOBUF_LOG_LIMIT_H_
#define ORB_BROKER_SERVICE_PROTOBUF_LOG_LIMIT_H_

#include "broker/service/log_rate_limit.h"

namespace orb::broker {

void InstallProtobufLogLimit();

}  // namespace orb::broker

#endif  // ORB_BROKER_SERVICE_PROTOBUF_LOG_LIMIT_H_
