// The address orbd's /metrics listens on, from --metrics-listen.
//
// Loopback unless told: "PORT" and ":PORT" mean 127.0.0.1:PORT; another
// address is bound only when it is written out ("0.0.0.0:9464",
// "10.0.0.5:9464"). The metrics say how busy the broker is and how often
// whom it refused; they carry no secret, but they are the operator's, so
// they are not offered to the network by default. Port 0 picks a free port.
#ifndef ORB_BROKER_METRICS_METRICS_ADDRESS_H_
#define ORB_BROKER_METRICS_METRICS_ADDRESS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace orb::broker {

struct MetricsAddress {
  std::string host;  // an IPv4 address, e.g. "127.0.0.1"
  int port = 0;      // 0: any free port
  bool loopback = true;  // host is in 127.0.0.0/8

  std::string HostPort() const;  // "127.0.0.1:9464"
};

// Parses --metrics-listen's value: PORT, :PORT, IPV4:PORT or
// localhost:PORT. Errors: INVALID_ARGUMENT saying what is accepted
// (host names other than localhost and IPv6 are not).
absl::StatusOr<MetricsAddress> ParseMetricsAddress(absl::string_view flag);

}  // namespace orb::broker

#endif  // ORB_BROKER_METRICS_METRICS_ADDRESS_H_
