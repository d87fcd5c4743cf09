#include "broker/service/request_parser.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "orb/broker/errors.h"
#include "orb/v1/error_details.pb.h"

namespace orb::broker {

absl::Status MalformedRequest(absl::string_view full_name) {
  // proto3 string fields must be UTF-8: protobuf refuses the whole message
  // otherwise, so the message lists that cause too.
  return WithErrorInfo(
      absl::InvalidArgumentError(absl::StrCat(
          "request is not a valid ", full_name,
          " message: malformed protobuf, a string field that is not UTF-8 (names, ids and "
          "string values must be UTF-8; send binary data as bytes_value), or nesting deeper "
          "than ", kRequestParseRecursionLimit, " messages (values may nest at most 64 levels)")),
      v1::MALFORMED_REQUEST, v1::GATE_LIMITS);
}

absl::Status ParseRequest(const grpc::ByteBuffer& bytes, google::protobuf::Message* request) {
  // The reader only reads, but takes a non-const buffer; gRPC's buffer is
  // not itself const (copying it would allocate on every call).
  grpc::ProtoBufferReader reader(const_cast<grpc::ByteBuffer*>(&bytes));
  google::protobuf::io::CodedInputStream input(&reader);
  input.SetRecursionLimit(kRequestParseRecursionLimit);
  if (!request->ParseFromCodedStream(&input) || !input.ConsumedEntireMessage()) {
    return MalformedRequest(request->GetDescriptor()->full_name());
  }
  return absl::OkStatus();
}

}  // namespace orb::broker
