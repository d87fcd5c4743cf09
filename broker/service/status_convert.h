// absl::Status (inside) -> grpc::Status (at the edge).
#ifndef ORB_BROKER_SERVICE_STATUS_CONVERT_H_
#define ORB_BROKER_SERVICE_STATUS_CONVERT_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"
#include "orb/v1/broker.pb.h"

namespace orb::broker {

// Same code and message (the numeric codes of absl and gRPC are identical);
// a message longer than 2 KiB is cut there, with a note saying so.
// When `status` carries an orb.v1.ErrorInfo payload (kErrorInfoTypeUrl), it
// travels as a google.rpc.Status-compatible orb.v1.Status in the standard
// `grpc-status-details-bin` trailer.
grpc::Status ToGrpcStatus(const absl::Status& status);

// The same answer as ToGrpcStatus, as a Stream's error frame carries it:
// code, code name, the same (cut) message and the ErrorInfo.
// REQUIRES: !status.ok().
void ToOperationError(const absl::Status& status, v1::OperationError* out);

}  // namespace orb::broker

#endif  // ORB_BROKER_SERVICE_STATUS_CONVERT_H_
