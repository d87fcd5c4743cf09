// BrokerCollector: orbd's metrics, read from the broker each time /metrics
// is scraped. Nothing on the call path touches a Prometheus type: the core
// counts in CoreCounters, the adapter in RpcStats, and the gauges
// (sessions, handles, member threads, policy revision) are read as they
// are at the scrape. docs/operations.md lists every series.
//
// The families are one table (metric_families.cc): a name, a type, a help
// text and the function that reads its samples. Adding a family is adding
// a row and that function there.
//
// Thread-safety: Collect() may run on any thread, concurrently with calls;
// it only reads what the sources synchronize themselves.
#ifndef ORB_BROKER_METRICS_BROKER_COLLECTOR_H_
#define ORB_BROKER_METRICS_BROKER_COLLECTOR_H_

#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace orb::broker {

class AuditLog;
class BrokerCore;
class PolicyReloader;
class RpcStats;
class Server;

// What the metrics are read from; none owned, each must outlive the
// collector (and any scrape in progress).
struct MetricsSources {
  const BrokerCore* core = nullptr;  // required
  // Null: the RPC families have no samples.
  const RpcStats* rpc_stats = nullptr;
  // Null: the member-thread gauges read 0 (e.g. before the server starts).
  const Server* server = nullptr;
  // Null: no reload is counted as refused last (orb_policy_last_reload_refused 0).
  const PolicyReloader* reloader = nullptr;
  // Null (no --audit-log): no audit write can fail; the counter reads 0.
  const AuditLog* audit_log = nullptr;
};

class BrokerCollector final : public prometheus::Collectable {
 public:
  // REQUIRES: sources.core is set.
  explicit BrokerCollector(MetricsSources sources) : sources_(sources) {}

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const MetricsSources sources_;
};

}  // namespace orb::broker

#endif  // ORB_BROKER_METRICS_BROKER_COLLECTOR_H_
