#include "broker/service/route_header.h"

#include "absl/strings/match.h"
#include "orb/broker/errors.h"

namespace orb::broker {

absl::StatusOr<std::string> ReadRouteHeader(const grpc::ServerContextBase& context) {
  std::string route;
  int entries = 0;
  for (const auto& [key, value] : context.client_metadata()) {
    if (!absl::EqualsIgnoreCase(absl::string_view(key.data(), key.size()), kRouteHeader)) {
      continue;
    }
    if (++entries > 1) {
      return OrbError(absl::StatusCode::kInvalidArgument,
                      "the call carries more than one orb-route header; send exactly one, the "
                      "broker id of the session (OpenSessionResponse.route)",
                      v1::MALFORMED_REQUEST, v1::GATE_SESSION);
    }
    route.assign(value.data(), value.size());
  }
  return route;
}

}  // namespace orb::broker
