// MetricsServer: the HTTP endpoint of orbd's metrics (GET /metrics in
// Prometheus' text format), prometheus-cpp's Exposer behind an interface
// that reports failures as statuses.
//
// Started in two steps so that a daemon can refuse to start before it
// serves anything: Bind() takes the port (the port in use is an error
// then), Serve() hands it the collector once the broker runs. Until
// Serve(), /metrics answers with no samples.
//
// Thread-safety: Serve() and address() may be called from any thread;
// scrapes are answered on the server's own threads.
// Lifetime: destroying the server stops it and waits for a scrape in
// progress, so it must be destroyed before what the collector reads.
#ifndef ORB_BROKER_METRICS_METRICS_SERVER_H_
#define ORB_BROKER_METRICS_METRICS_SERVER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "broker/metrics/metrics_address.h"
#include "prometheus/collectable.h"

namespace prometheus {
class Exposer;
}

namespace orb::broker {

class MetricsServer {
 public:
  // Listens on `address`. Errors: UNAVAILABLE naming the address when it
  // cannot be bound (in use, or not an address of this machine).
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Bind(const MetricsAddress& address);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Answers /metrics from `collector` from now on (the server keeps it).
  void Serve(std::shared_ptr<prometheus::Collectable> collector);

  // The bound address, with the port chosen when 0 was asked.
  const MetricsAddress& address() const { return address_; }

 private:
  MetricsServer(std::unique_ptr<prometheus::Exposer> exposer, MetricsAddress address);

  std::unique_ptr<prometheus::Exposer> exposer_;
  const MetricsAddress address_;
  std::shared_ptr<prometheus::Collectable> collector_;
};

}  // namespace orb::broker

#endif  // ORB_BROKER_METRICS_METRICS_SERVER_H_
