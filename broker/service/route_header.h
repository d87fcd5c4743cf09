// The `orb-route` metadata: the broker id a client meant its call for
// (docs/scale-out.md). A proxy in front of several brokers routes on it;
// the broker checks it against its own id (BrokerCore, RequestContext::route).
#ifndef ORB_BROKER_SERVICE_ROUTE_HEADER_H_
#define ORB_BROKER_SERVICE_ROUTE_HEADER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/server_context.h"

namespace orb::broker {

inline constexpr absl::string_view kRouteHeader = "orb-route";

// The value of the call's one `orb-route` entry; "" when it has none.
// Errors: INVALID_ARGUMENT (MALFORMED_REQUEST) for more than one entry
// (a proxy and the broker could each read another one), including one
// spelled in another case. Never logs anything.
absl::StatusOr<std::string> ReadRouteHeader(const grpc::ServerContextBase& context);

}  // namespace orb::broker

#endif  // ORB_BROKER_SERVICE_ROUTE_HEADER_H_
