#include "broker/metrics/metrics_server.h"

#include <exception>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "prometheus/exposer.h"

namespace orb::broker {

MetricsServer::MetricsServer(std::unique_ptr<prometheus::Exposer> exposer,
                             MetricsAddress address)
    : exposer_(std::move(exposer)), address_(std::move(address)) {}

MetricsServer::~MetricsServer() {
  // Stops the HTTP threads (waiting for a scrape in progress) before the
  // collector goes.
  exposer_.reset();
}

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Bind(
    const MetricsAddress& address) {
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    // Two threads: a scrape at a time is the normal case, and a second
    // keeps one slow reader from holding the endpoint.
    exposer = std::make_unique<prometheus::Exposer>(address.HostPort(), 2);
  } catch (const std::exception&) {
    // civetweb's message ("null context ... Possible problem binding to
    // port") says less than this.
    return absl::UnavailableError(absl::StrCat(
        "cannot serve metrics on ", address.HostPort(),
        " (address in use, or not an address of this machine); choose another "
        "--metrics-listen"));
  }
  MetricsAddress bound = address;
  const std::vector<int> ports = exposer->GetListeningPorts();
  if (!ports.empty()) bound.port = ports.front();
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(exposer), std::move(bound)));
}

void MetricsServer::Serve(std::shared_ptr<prometheus::Collectable> collector) {
  collector_ = std::move(collector);
  exposer_->RegisterCollectable(collector_);
}

}  // namespace orb::broker
