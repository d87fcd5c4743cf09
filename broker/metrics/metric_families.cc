// The table of orbd's metric families (BrokerCollector), one row each, and
// the functions that read their samples. docs/operations.md documents
// every row: keep the two in step.
//
// Label values come from fixed tables (broker/core_counters.h,
// broker/service/rpc_stats.h), never from a request: no id, token, userid
// or member name can become a label, and the number of series is fixed.
#include <cmath>
#include <initializer_list>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "broker/core_counters.h"
#include "broker/metrics/broker_collector.h"
#include "broker/policy_reloader.h"
#include "broker/service/rpc_stats.h"
#include "orb/broker/audit.h"
#include "orb/broker/broker_core.h"
#include "orb/broker/server.h"
#include "prometheus/client_metric.h"
#include "prometheus/metric_type.h"

namespace orb::broker {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricType;
using Samples = std::vector<ClientMetric>;
using Label = std::pair<const char*, std::string>;

ClientMetric Labeled(std::initializer_list<Label> labels) {
  ClientMetric m;
  for (const Label& l : labels) m.label.push_back({l.first, l.second});
  return m;
}
ClientMetric Counter(double value, std::initializer_list<Label> labels = {}) {
  ClientMetric m = Labeled(labels);
  m.counter.value = value;
  return m;
}
ClientMetric Gauge(double value, std::initializer_list<Label> labels = {}) {
  ClientMetric m = Labeled(labels);
  m.gauge.value = value;
  return m;
}

// --- the readers, one per family ---

void RpcsTotal(const MetricsSources& in, Samples* out) {
  if (in.rpc_stats == nullptr) return;
  for (int series = 0; series < RpcStats::kSeries; ++series) {
    const RpcStats::Labels& l = RpcStats::Describe(series);
    for (int code = 0; code < RpcStats::kCodes; ++code) {
      out->push_back(Counter(static_cast<double>(in.rpc_stats->count(series, code)),
                             {{"service", l.service},
                              {"method", l.method},
                              {"transport", l.transport},
                              {"code", absl::StatusCodeToString(
                                           static_cast<absl::StatusCode>(code))}}));
    }
  }
}

void RpcDuration(const MetricsSources& in, Samples* out) {
  if (in.rpc_stats == nullptr) return;
  for (int series = 0; series < RpcStats::kSeries; ++series) {
    const RpcStats::Labels& l = RpcStats::Describe(series);
    if (!l.timed) continue;
    const RpcStats::Latency latency = in.rpc_stats->latency(series);
    ClientMetric m = Labeled(
        {{"service", l.service}, {"method", l.method}, {"transport", l.transport}});
    m.histogram.sample_count = latency.count;
    m.histogram.sample_sum = latency.sum_seconds;
    uint64_t cumulative = 0;
    for (int i = 0; i <= RpcStats::kBounds; ++i) {
      cumulative += latency.buckets[i];
      m.histogram.bucket.push_back(
          {cumulative, i < RpcStats::kBounds ? RpcStats::kBucketSeconds[i]
                                             : std::numeric_limits<double>::infinity()});
    }
    out->push_back(std::move(m));
  }
}

void GateDecisions(const MetricsSources& in, Samples* out) {
  const CoreCounters& c = in.core->counters();
  for (int i = 0; i < kGateDecisions; ++i) {
    const GateDecisionLabels& l = kGateDecisionLabels[i];
    out->push_back(Counter(static_cast<double>(c.decisions(static_cast<GateDecision>(i))),
                           {{"gate", l.gate}, {"result", l.result}, {"reason", l.reason}}));
  }
}

void IdentityRefusals(const MetricsSources& in, Samples* out) {
  const CoreCounters& c = in.core->counters();
  for (int k = 0; k < kAuthnKinds; ++k) {
    for (int r = 0; r < kRefusalCauses; ++r) {
      const auto kind = static_cast<AuthnKind>(k);
      const auto cause = static_cast<RefusalCause>(r);
      if (!RefusalPairExists(kind, cause)) continue;
      out->push_back(Counter(static_cast<double>(c.refusals(kind, cause)),
                             {{"authn", kAuthnKindNames[k]}, {"cause", kRefusalCauseNames[r]}}));
    }
  }
}

void Sessions(const MetricsSources& in, Samples* out) {
  out->push_back(Gauge(static_cast<double>(in.core->session_count())));
}

void Handles(const MetricsSources& in, Samples* out) {
  out->push_back(Gauge(static_cast<double>(in.core->handle_count())));
}

Server::MemberThreadLoad ThreadLoad(const MetricsSources& in) {
  return in.server != nullptr ? in.server->member_thread_load() : Server::MemberThreadLoad();
}
void MemberThreads(const MetricsSources& in, Samples* out) {
  out->push_back(Gauge(static_cast<double>(ThreadLoad(in).threads)));
}
void MemberThreadsBusy(const MetricsSources& in, Samples* out) {
  out->push_back(Gauge(static_cast<double>(ThreadLoad(in).busy)));
}
void MemberCallsQueued(const MetricsSources& in, Samples* out) {
  out->push_back(Gauge(static_cast<double>(ThreadLoad(in).queued)));
}

void PolicyRevision(const MetricsSources& in, Samples* out) {
  policy::PolicyPtr policy = in.core->policy();
  out->push_back(Gauge(policy != nullptr ? static_cast<double>(policy->revision()) : 0));
}

void PolicyReloads(const MetricsSources& in, Samples* out) {
  const CoreCounters& c = in.core->counters();
  for (int t = 0; t < kReloadTriggers; ++t) {
    for (int r = 0; r < kReloadResults; ++r) {
      out->push_back(Counter(
          static_cast<double>(c.reloads(static_cast<ReloadTrigger>(t), /*ok=*/r == 0)),
          {{"trigger", kReloadTriggerNames[t]}, {"result", kReloadResultNames[r]}}));
    }
  }
}

void LastReloadRefused(const MetricsSources& in, Samples* out) {
  // PolicyInfo keeps the last failure only while no success came after it.
  const bool refused =
      in.reloader != nullptr && in.reloader->info().last_error_at != absl::Time();
  out->push_back(Gauge(refused ? 1 : 0));
}

void AuditWriteFailures(const MetricsSources& in, Samples* out) {
  out->push_back(Counter(
      in.audit_log != nullptr ? static_cast<double>(in.audit_log->write_failures()) : 0));
}

void ShadowDisagreements(const MetricsSources& in, Samples* out) {
  using Outcome = BrokerCore::GateOutcome;
  const BrokerCore::ShadowTally t = in.core->shadow_tally();
  for (int live = 0; live < BrokerCore::kGateOutcomes; ++live) {
    for (int shadow = 0; shadow < BrokerCore::kGateOutcomes; ++shadow) {
      if (live == shadow) continue;
      out->push_back(Counter(static_cast<double>(t.counts[live][shadow]),
                             {{"live", BrokerCore::GateOutcomeName(static_cast<Outcome>(live))},
                              {"shadow", BrokerCore::GateOutcomeName(static_cast<Outcome>(shadow))}}));
    }
  }
}

void ShadowDecisions(const MetricsSources& in, Samples* out) {
  const BrokerCore::ShadowTally t = in.core->shadow_tally();
  uint64_t total = 0;
  for (const auto& row : t.counts) {
    for (uint64_t c : row) total += c;
  }
  out->push_back(Counter(static_cast<double>(total)));
}

// --- the table ---

struct Family {
  const char* name;
  MetricType type;
  const char* help;
  void (*read)(const MetricsSources&, Samples*);
};

const Family kFamilies[] = {
    {"orb_rpcs_total", MetricType::Counter,
     "RPCs and Stream operations answered, by service, method, transport and gRPC status code.",
     RpcsTotal},
    {"orb_rpc_duration_seconds", MetricType::Histogram,
     "Time from a call's arrival to its answer, by service, method and transport.",
     RpcDuration},
    {"orb_gate_decisions_total", MetricType::Counter,
     "Decisions of the gates (authn, olp, acl, admin), by gate, result and reason.",
     GateDecisions},
    {"orb_identity_refusals_total", MetricType::Counter,
     "Calls refused, by how the caller authenticated (authn) and what refused them (cause).",
     IdentityRefusals},
    {"orb_sessions", MetricType::Gauge, "Live sessions.", Sessions},
    {"orb_handles", MetricType::Gauge, "Live handles, over every session.", Handles},
    {"orb_member_threads", MetricType::Gauge,
     "Member threads started (they stay for reuse, up to --member-threads).", MemberThreads},
    {"orb_member_threads_busy", MetricType::Gauge, "Member threads running a bound member.",
     MemberThreadsBusy},
    {"orb_member_calls_queued", MetricType::Gauge,
     "Calls waiting for a member thread (at most 4096; beyond, BROKER_BUSY).",
     MemberCallsQueued},
    {"orb_policy_revision", MetricType::Gauge, "Revision of the policy that runs.",
     PolicyRevision},
    {"orb_policy_reloads_total", MetricType::Counter,
     "Policy reload attempts, by what asked (trigger) and result.", PolicyReloads},
    {"orb_policy_last_reload_refused", MetricType::Gauge,
     "1 when the last reload attempt was refused (the previous policy still runs), else 0.",
     LastReloadRefused},
    {"orb_audit_write_failures_total", MetricType::Counter,
     "Audit records that could not be written whole to --audit-log.", AuditWriteFailures},
    {"orb_shadow_decisions_total", MetricType::Counter,
     "Gated operations also decided under the shadow policy (--shadow-policy).", ShadowDecisions},
    {"orb_shadow_disagreements_total", MetricType::Counter,
     "Gated operations the shadow policy decided otherwise, by live and shadow outcome.",
     ShadowDisagreements},
};

}  // namespace

std::vector<prometheus::MetricFamily> BrokerCollector::Collect() const {
  std::vector<prometheus::MetricFamily> families;
  families.reserve(sizeof(kFamilies) / sizeof(kFamilies[0]));
  for (const Family& f : kFamilies) {
    prometheus::MetricFamily family;
    family.name = f.name;
    family.help = f.help;
    family.type = f.type;
    f.read(sources_, &family.metric);
    families.push_back(std::move(family));
  }
  return families;
}

}  // namespace orb::broker
