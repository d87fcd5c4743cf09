#include "broker/service/status_convert.h"

#include <string>

#include "broker/broker_core.h"
#include "orb/v1/error_details.pb.h"

namespace orb::service {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  auto code = static_cast<grpc::StatusCode>(status.code());
  std::string message(status.message());
  absl::optional<absl::Cord> info = status.GetPayload(kErrorInfoTypeUrl);
  if (!info.has_value()) return grpc::Status(code, message);

  v1::Status details;
  details.set_code(static_cast<int>(code));
  details.set_message(message);
  google::protobuf::Any* any = details.add_details();
  any->set_type_url(kErrorInfoTypeUrl);
  any->set_value(std::string(*info));
  return grpc::Status(code, message, details.SerializeAsString());
}

}  // namespace orb::service
