// orbd under systemd: deploy/systemd/orbd.service passes
// `systemd-analyze verify` and is hardened, and orbd speaks the sd_notify
// protocol its Type=notify needs (READY=1 once serving, RELOADING=1 then
// READY=1 around a SIGHUP reload, STOPPING=1 when draining), checked on a
// notification socket the test binds as systemd would.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/orbd_process.h"
#include "tests/testing/test_support.h"

namespace orb::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(OrbdSystemdUnit, VerifiesAndIsHardened) {
  const std::string unit = ReadSourceFile("deploy/systemd/orbd.service");
  for (const char* line :
       {"Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "DynamicUser=yes",
        "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
        "CapabilityBoundingSet=\n", "SystemCallFilter=@system-service",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "EnvironmentFile=/etc/orb/orbd.env"}) {
    EXPECT_THAT(unit, HasSubstr(line));
  }
  // systemd-analyze also checks that ExecStart's program exists: the copy it
  // verifies runs this build's orbd instead of /usr/local/bin/orbd.
  const std::string dir = MakeTempDir();
  std::string copy = unit;
  const std::string installed = "/usr/local/bin/orbd";
  ASSERT_NE(copy.find(installed), std::string::npos);
  copy.replace(copy.find(installed), installed.size(), OrbdProcess::Binary());
  WriteWholeFile(dir + "/orbd.service", copy);
  CommandResult verify = RunCommand("systemd-analyze verify " + dir + "/orbd.service");
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  // Warnings about the unit (an unknown key, a bad value) leave the exit
  // code 0; none may name it. (Debian's own units may add noise.)
  EXPECT_THAT(verify.output, Not(HasSubstr("orbd.service"))) << verify.output;
  RunCommand("rm -rf '" + dir + "'");

  // The environment file sets every variable ExecStart uses.
  const std::string env = ReadSourceFile("deploy/systemd/orbd.env");
  for (const char* name : {"ORBD_LISTEN=", "ORBD_SERVICE=", "ORBD_FLAGS="}) {
    EXPECT_THAT(env, HasSubstr(std::string("\n") + name));
  }
}

// A datagram socket bound where $NOTIFY_SOCKET points, as systemd's.
class NotifySocket {
 public:
  NotifySocket() : dir_(MakeTempDir()), path_(dir_ + "/notify") {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof(address.sun_path) - 1);
    bound_ = fd_ >= 0 &&
             bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~NotifySocket() {
    if (fd_ >= 0) close(fd_);
    RunCommand("rm -rf '" + dir_ + "'");
  }
  bool bound() const { return bound_; }
  const std::string& path() const { return path_; }

  // The next notification, or "" after 20 s without one.
  std::string Next() {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 20000) != 1) return "";
    char buffer[4096];
    const ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
    return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "";
  }

 private:
  std::string dir_, path_;
  int fd_ = -1;
  bool bound_ = false;
};

TEST(OrbdSystemdNotify, TellsReadyReloadingAndStopping) {
  NotifySocket notify;
  ASSERT_TRUE(notify.bound());
  ChildProcess::Options options;
  for (char** e = environ; *e != nullptr; ++e) options.env.push_back(*e);
  options.env.push_back("NOTIFY_SOCKET=" + notify.path());
  OrbdProcess orbd(OrbdProcess::BlogArgs(), OrbdProcess::Binary(), options);
  const std::string address = orbd.WaitForAddress();
  ASSERT_FALSE(address.empty()) << orbd.log();

  const std::string ready = notify.Next();
  EXPECT_THAT(ready, HasSubstr("READY=1"));
  EXPECT_THAT(ready, HasSubstr("STATUS=serving 'blog' on " + address));

  orbd.Signal(SIGHUP);
  EXPECT_THAT(notify.Next(), HasSubstr("RELOADING=1"));
  EXPECT_THAT(notify.Next(), HasSubstr("READY=1"));

  orbd.Signal(SIGTERM);
  EXPECT_THAT(notify.Next(), HasSubstr("STOPPING=1"));
  EXPECT_EQ(orbd.WaitForExit(), 0) << orbd.log();
}

// Started by anything but systemd (no $NOTIFY_SOCKET), orbd serves as ever.
TEST(OrbdSystemdNotify, WithoutNotifySocketServesAsEver) {
  ChildProcess::Options options;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "NOTIFY_SOCKET=", 14) != 0) options.env.push_back(*e);
  }
  OrbdProcess orbd(OrbdProcess::BlogArgs(), OrbdProcess::Binary(), options);
  ASSERT_FALSE(orbd.WaitForAddress().empty()) << orbd.log();
  orbd.Signal(SIGHUP);
  EXPECT_FALSE(orbd.WaitForLog("policy reloaded \\((SIGHUP)\\)").empty()) << orbd.log();
  orbd.Signal(SIGTERM);
  EXPECT_EQ(orbd.WaitForExit(), 0) << orbd.log();
}

}  // namespace
}  // namespace orb::testing
