#include "broker/service/rpc_stats.h"

#include <cmath>

namespace orb::broker {
namespace {

constexpr int kUnknownCode = 2;

// Describe()'s table, in series order.
struct Table {
  std::array<RpcStats::Labels, RpcStats::kSeries> labels;
  constexpr Table() : labels() {
    int i = 0;
#define ORB_RPC_STATS_UNARY(Name, field, threads) labels[i++] = {"ObjectBroker", #Name, "unary", true};
    ORB_BROKER_OPERATIONS(ORB_RPC_STATS_UNARY)
#undef ORB_RPC_STATS_UNARY
#define ORB_RPC_STATS_STREAM(Name, field, threads) labels[i++] = {"ObjectBroker", #Name, "stream", true};
    ORB_BROKER_OPERATIONS(ORB_RPC_STATS_STREAM)
#undef ORB_RPC_STATS_STREAM
    labels[i++] = {"ObjectBroker", "Stream", "stream", false};
    labels[i++] = {"ObjectBroker", "Watch", "stream", false};
#define ORB_RPC_STATS_ADMIN(Name) labels[i++] = {"BrokerAdmin", #Name, "unary", true};
    ORB_ADMIN_RPCS(ORB_RPC_STATS_ADMIN)
#undef ORB_RPC_STATS_ADMIN
  }
};
constexpr Table kTable;

}  // namespace

const RpcStats::Labels& RpcStats::Describe(int series) { return kTable.labels[series]; }

RpcStats::RpcStats() {
  for (int i = 0; i < kBounds; ++i) {
    bounds_ns_[i] = static_cast<int64_t>(std::llround(kBucketSeconds[i] * 1e9));
  }
}

void RpcStats::Record(int series, int code, Clock::duration elapsed) {
  if (code < 0 || code >= kCodes) code = kUnknownCode;
  counts_[series * kCodes + code].fetch_add(1, std::memory_order_relaxed);
  if (!kTable.labels[series].timed) return;
  const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count();
  int bucket = 0;
  while (bucket < kBounds && ns > bounds_ns_[bucket]) ++bucket;  // le: upper bounds included
  Histogram& h = latency_[series];
  h.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  h.sum_ns.fetch_add(static_cast<uint64_t>(ns > 0 ? ns : 0), std::memory_order_relaxed);
}

RpcStats::Latency RpcStats::latency(int series) const {
  Latency out;
  const Histogram& h = latency_[series];
  for (int i = 0; i <= kBounds; ++i) {
    out.buckets[i] = h.buckets[i].load(std::memory_order_relaxed);
    out.count += out.buckets[i];
  }
  out.sum_seconds = static_cast<double>(h.sum_ns.load(std::memory_order_relaxed)) / 1e9;
  return out;
}

}  // namespace orb::broker
