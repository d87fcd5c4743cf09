// RpcStats: each finished RPC and Stream operation counted by method and
// status code, with its latency in a histogram of fixed buckets. The
// adapter records where each call is answered; orbd's metrics read the
// counts when scraped (broker/metrics/). Recording is a few relaxed atomic
// adds into arrays sized at compile time: no lookup, no string, no lock.
//
// A server without RpcStats (ServerOptions::rpc_stats null, the default)
// records nothing and pays one null check per call (RpcTimer).
//
// Series: every method of orb.v1.ObjectBroker sent as a unary call, every
// operation sent on a Stream, the Stream and Watch calls themselves (counted
// when they end, untimed: they last as long as their client wants), and the
// methods of
// orb.v1.BrokerAdmin. The list is fixed here; Describe() gives each its
// labels.
//
// Thread-safety: Record() and the readers may run concurrently; reads are
// relaxed (each count at some recent value).
#ifndef ORB_BROKER_SERVICE_RPC_STATS_H_
#define ORB_BROKER_SERVICE_RPC_STATS_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

#include "broker/service/operation_runner.h"  // ORB_BROKER_OPERATIONS

namespace orb::broker {

// orb.v1.BrokerAdmin's methods: X(Name).
#define ORB_ADMIN_RPCS(X) \
  X(GetPolicyInfo)        \
  X(ReloadPolicy)         \
  X(ListSessions)         \
  X(CloseSession)

class RpcStats {
 public:
  using Clock = std::chrono::steady_clock;

  // The operations of orb.v1.ObjectBroker (ORB_BROKER_OPERATIONS' order).
  enum Operation : int {
#define ORB_RPC_STATS_OPERATION(Name, field, threads) k##Name,
    ORB_BROKER_OPERATIONS(ORB_RPC_STATS_OPERATION)
#undef ORB_RPC_STATS_OPERATION
        kOperations
  };
  enum AdminMethod : int {
#define ORB_RPC_STATS_ADMIN(Name) kAdmin##Name,
    ORB_ADMIN_RPCS(ORB_RPC_STATS_ADMIN)
#undef ORB_RPC_STATS_ADMIN
        kAdminMethods
  };

  // Series indexes: unary operations, then Stream operations, then the
  // Stream call, the Watch call, then the admin methods.
  static constexpr int Unary(Operation op) { return op; }
  static constexpr int OnStream(Operation op) { return kOperations + op; }
  static constexpr int kStreamCall = 2 * kOperations;
  static constexpr int kWatchCall = kStreamCall + 1;
  static constexpr int Admin(AdminMethod m) { return kWatchCall + 1 + m; }
  static constexpr int kSeries = kWatchCall + 1 + kAdminMethods;

  // gRPC's status codes, 0 (OK) to 16 (UNAUTHENTICATED).
  static constexpr int kCodes = 17;
  // Finite upper bounds of the latency buckets, in seconds; one more
  // bucket (+Inf) takes the rest.
  static constexpr int kBounds = 14;
  static constexpr std::array<double, kBounds> kBucketSeconds = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
      0.025,  0.05,    0.1,    0.25,  0.5,    1.0,   5.0};

  struct Labels {
    const char* service;    // "ObjectBroker", "BrokerAdmin"
    const char* method;     // the RPC or operation, e.g. "GetAttr"
    const char* transport;  // "unary" or "stream"
    bool timed;             // has a latency histogram
  };
  static const Labels& Describe(int series);

  RpcStats();
  RpcStats(const RpcStats&) = delete;
  RpcStats& operator=(const RpcStats&) = delete;

  // One answered call of `series` with gRPC status code `code` (out of
  // range: counted as UNKNOWN), `elapsed` after it arrived.
  void Record(int series, int code, Clock::duration elapsed);

  uint64_t count(int series, int code) const {
    return counts_[series * kCodes + code].load(std::memory_order_relaxed);
  }
  struct Latency {
    std::array<uint64_t, kBounds + 1> buckets{};  // not cumulative; last: +Inf
    uint64_t count = 0;                           // the buckets' sum
    double sum_seconds = 0;
  };
  Latency latency(int series) const;

 private:
  struct Histogram {
    std::array<std::atomic<uint64_t>, kBounds + 1> buckets{};
    std::atomic<uint64_t> sum_ns{0};
  };
  // kBucketSeconds in nanoseconds, for a comparison of integers per call.
  std::array<int64_t, kBounds> bounds_ns_;
  std::array<std::atomic<uint64_t>, kSeries * kCodes> counts_{};
  std::array<Histogram, kSeries> latency_{};
};

// Times one call of one series from its construction; Record() is called
// once with the call's status code. With null stats it does nothing (and
// reads no clock). Small and copyable, to travel with a call's answer.
class RpcTimer {
 public:
  RpcTimer(RpcStats* stats, int series)
      : stats_(stats),
        series_(series),
        start_(stats != nullptr ? RpcStats::Clock::now() : RpcStats::Clock::time_point()) {}

  void Record(int code) const {
    if (stats_ != nullptr) stats_->Record(series_, code, RpcStats::Clock::now() - start_);
  }

 private:
  RpcStats* stats_;
  int series_;
  RpcStats::Clock::time_point start_;
};

}  // namespace orb::broker

#endif  // ORB_BROKER_SERVICE_RPC_STATS_H_
