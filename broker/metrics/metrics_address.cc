#include "broker/metrics/metrics_address.h"

#include <arpa/inet.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace orb::broker {
namespace {

absl::Status Invalid(absl::string_view flag, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "--metrics-listen='", flag, "': ", why,
      "; give PORT or :PORT (127.0.0.1), or IPV4:PORT to listen elsewhere, e.g. 9464 or "
      "0.0.0.0:9464"));
}

}  // namespace

std::string MetricsAddress::HostPort() const { return absl::StrCat(host, ":", port); }

absl::StatusOr<MetricsAddress> ParseMetricsAddress(absl::string_view flag) {
  const size_t colon = flag.rfind(':');
  absl::string_view host = colon == absl::string_view::npos ? "" : flag.substr(0, colon);
  absl::string_view port = colon == absl::string_view::npos ? flag : flag.substr(colon + 1);
  MetricsAddress address;
  if (!absl::SimpleAtoi(port, &address.port) || address.port < 0 || address.port > 65535) {
    return Invalid(flag, "the port is not a number from 0 to 65535");
  }
  if (host.empty() || host == "localhost") host = "127.0.0.1";
  in_addr ipv4;
  const std::string host_text(host);
  if (inet_pton(AF_INET, host_text.c_str(), &ipv4) != 1) {
    return Invalid(flag, absl::StrCat("'", host, "' is not an IPv4 address"));
  }
  address.host = host_text;
  address.loopback = (ntohl(ipv4.s_addr) >> 24) == 127;
  return address;
}

}  // namespace orb::broker
