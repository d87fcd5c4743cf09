// The one orbd launcher of the C++ tests: orbd (or a test build of it) as a
// child process on an ephemeral loopback port, its stderr in a log the test
// reads, killed by PID (SIGKILL) if the test did not stop it.
#ifndef ORB_TESTS_TESTING_ORBD_PROCESS_H_
#define ORB_TESTS_TESTING_ORBD_PROCESS_H_

#include <string>
#include <utility>
#include <vector>

#include "tests/testing/child_process.h"

namespace orb::testing {

class OrbdProcess : public ChildProcess {
 public:
  // The built orbd and the blog demo's policy.
  static std::string Binary() { return std::string(ORB_BINARY_DIR) + "/bin/orbd"; }
  static std::string BlogPolicyPath() {
    return std::string(ORB_SOURCE_DIR) + "/examples/blog/policy.textproto";
  }
  // The arguments that serve the blog demo on 127.0.0.1:0, then `more`.
  static std::vector<std::string> BlogArgs(std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"--listen=127.0.0.1:0", "--service=blog",
                                      "--policy=" + BlogPolicyPath()};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }

  // orbd serving the blog demo; waits until it serves (see address()).
  OrbdProcess() : OrbdProcess(BlogArgs()) { WaitForAddress(); }
  // `binary` with `args`; call WaitForAddress() before using it.
  explicit OrbdProcess(std::vector<std::string> args, const std::string& binary = Binary(),
                       const Options& options = Options())
      : ChildProcess(binary, std::move(args), options) {}

  // Waits for the "serving ... on HOST:PORT" line; returns HOST:PORT, or ""
  // when the daemon exited or did not serve in time (see log()).
  const std::string& WaitForAddress() {
    if (address_.empty()) address_ = WaitForLog(R"(serving (?:'[^']*' )?on ([0-9.]+:[0-9]+))");
    return address_;
  }
  // HOST:PORT once WaitForAddress() found it, else "".
  const std::string& address() const { return address_; }

 private:
  std::string address_;
};

}  // namespace orb::testing

#endif  // ORB_TESTS_TESTING_ORBD_PROCESS_H_
