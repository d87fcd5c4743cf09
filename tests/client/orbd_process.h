// A child `orbd` serving the blog demo on an ephemeral loopback port, for
// tests that run command-line tools and example programs against it.
#ifndef ORB_TESTS_CLIENT_ORBD_PROCESS_H_
#define ORB_TESTS_CLIENT_ORBD_PROCESS_H_

#include <string>

#include "tests/testing/child_process.h"

namespace orb::testing {

class OrbdProcess : public ChildProcess {
 public:
  OrbdProcess()
      : ChildProcess(std::string(ORB_BINARY_DIR) + "/bin/orbd",
                     {"--listen=127.0.0.1:0", "--service=blog",
                      "--policy=" + std::string(ORB_SOURCE_DIR) +
                          "/examples/blog/policy.textproto"}) {
    address_ = WaitForLog(R"(serving '[^']*' on ([0-9.]+:[0-9]+))");
  }

  // HOST:PORT, or "" when orbd did not start (see log()).
  const std::string& address() const { return address_; }

 private:
  std::string address_;
};

}  // namespace orb::testing

#endif  // ORB_TESTS_CLIENT_ORBD_PROCESS_H_
