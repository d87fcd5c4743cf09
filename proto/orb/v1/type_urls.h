// The Any type URLs of orb.v1's messages that travel inside other messages:
// one definition for the broker, which writes them, and the clients, which
// read them.
#ifndef ORB_V1_TYPE_URLS_H_
#define ORB_V1_TYPE_URLS_H_

namespace orb::v1 {

// An orb.v1.ErrorInfo in the details of the google.rpc.Status-compatible
// orb.v1.Status that errors carry in `grpc-status-details-bin`, and the
// payload key of an absl::Status that carries one.
inline constexpr char kErrorInfoTypeUrl[] = "type.googleapis.com/orb.v1.ErrorInfo";

}  // namespace orb::v1

#endif  // ORB_V1_TYPE_URLS_H_
