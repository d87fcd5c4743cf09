// Parsing request bytes into orb.v1 messages, with the broker's own
// recursion limit and an error a user can act on.
#ifndef ORB_BROKER_SERVICE_REQUEST_PARSER_H_
#define ORB_BROKER_SERVICE_REQUEST_PARSER_H_

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/byte_buffer.h"

namespace orb::broker {

// Nested messages the request parser accepts. A Value level costs two
// message levels (Value, then ValueList/ValueMap entry), so this admits
// values far deeper than the broker's own limit (64), which then reports the
// limit by name.
inline constexpr int kRequestParseRecursionLimit = 1024;

// Parses `bytes` into `request`. gRPC's default parser stops at protobuf's
// limit of 100 and answers INTERNAL with no message; this one answers
// INVALID_ARGUMENT (MALFORMED_REQUEST) naming `request`'s type and the
// likely causes (malformed protobuf, a string field that is not UTF-8, too
// deep nesting). `bytes` is only read.
absl::Status ParseRequest(const grpc::ByteBuffer& bytes, google::protobuf::Message* request);

// The same refusal ParseRequest gives for a message of type `full_name`,
// for a caller that found the bytes malformed itself.
absl::Status MalformedRequest(absl::string_view full_name);

}  // namespace orb::broker

#endif  // ORB_BROKER_SERVICE_REQUEST_PARSER_H_
