// HAProxy in a process of its own, for orb-bench --via_proxy: the checked-in
// deploy/haproxy/haproxy.cfg, as an operator would run it, in front of the
// bench's broker.
//
// Thread safety: one HaproxyChild is used by one thread.
#ifndef ORB_BENCH_LOAD_HAPROXY_CHILD_H_
#define ORB_BENCH_LOAD_HAPROXY_CHILD_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace orb::bench {

class HaproxyChild {
 public:
  // Starts `haproxy -db -f config` (found on PATH or in /usr/sbin) with
  // ORB_PROXY_LISTEN set to a free loopback port and ORB_BROKER_A and
  // ORB_BROKER_B both set to `broker` (the config's brokers orbd-a and
  // orbd-b: the bench's one broker is orbd-a). Its output goes to
  // `log_path`. Does not wait for it to listen (the caller retries its
  // first call). Errors: NOT_FOUND when no haproxy is installed, INTERNAL
  // when it cannot be started.
  static absl::StatusOr<std::unique_ptr<HaproxyChild>> Start(const std::string& config,
                                                             const std::string& broker,
                                                             const std::string& log_path);
  // Stops it (SIGTERM, then SIGKILL after 5 s) and reaps it.
  ~HaproxyChild();
  HaproxyChild(const HaproxyChild&) = delete;
  HaproxyChild& operator=(const HaproxyChild&) = delete;

  // Where clients connect: "127.0.0.1:PORT".
  const std::string& address() const { return address_; }

 private:
  HaproxyChild() = default;
  pid_t pid_ = -1;
  std::string address_;
};

}  // namespace orb::bench

#endif  // ORB_BENCH_LOAD_HAPROXY_CHILD_H_
