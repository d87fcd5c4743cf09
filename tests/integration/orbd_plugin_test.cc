// Plugins (orb/broker/plugin.h): orbd --plugin=PATH serves a plugin's types
// with all of orbd's behaviour (here TLS, the audit log, SIGHUP reload and
// the strict policy check), and every way a plugin can go wrong refuses the
// start with a message naming the plugin, before anything is served.
//
// ORB_PLUGIN_TEST_ORBD and ORB_PLUGIN_TEST_THERMOSTAT, when set, name the
// orbd and the thermostat plugin to test (install_package_test points them
// at an installed orbd and a plugin built against the installed package);
// otherwise both come from this build.
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "orb/v1/broker.grpc.pb.h"
#include "tests/integration/root_calls.h"
#include "tests/testing/certificates.h"
#include "tests/testing/orbd_process.h"
#include "tests/testing/test_support.h"

namespace orb::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string FromEnvironmentOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}
std::string Orbd() {
  return FromEnvironmentOr("ORB_PLUGIN_TEST_ORBD", std::string(ORB_BINARY_DIR) + "/bin/orbd");
}
std::string ThermostatPlugin() {
  return FromEnvironmentOr("ORB_PLUGIN_TEST_THERMOSTAT",
                           std::string(ORB_BINARY_DIR) + "/lib/thermostat_plugin.so");
}
std::string TestPlugin(const std::string& name) {
  return std::string(ORB_BINARY_DIR) + "/tests/plugins/" + name + ".so";
}
std::string BlogPolicy() { return OrbdProcess::BlogPolicyPath(); }

// The thermostat's policy (examples/embed/policy.textproto) with anonymous
// callers allowed or not, at `revision`.
std::string ThermostatPolicy(bool allow_anonymous, int revision) {
  std::string text = ReadSourceFile("examples/embed/policy.textproto");
  const std::string anonymous = "allow_anonymous: true";
  const size_t at = text.find(anonymous);
  EXPECT_NE(at, std::string::npos);
  if (at != std::string::npos && !allow_anonymous) {
    text.replace(at, anonymous.size(), "allow_anonymous: false");
  }
  return absl::StrCat("revision: ", revision, "\n", text);
}

class ThermostatPluginTest : public CertificatesTest {
 protected:
  void TearDown() override { RunCommand("rm -rf '" + dir_ + "'"); }

  std::string dir_ = MakeTempDir();
};

TEST_F(ThermostatPluginTest, ServedByOrbdWithTlsAuditAndReload) {
  const std::string policy = dir_ + "/policy.textproto";
  WriteWholeFile(policy, ThermostatPolicy(/*allow_anonymous=*/true, 1));
  OrbdProcess orbd({"--listen=127.0.0.1:0", "--plugin=" + ThermostatPlugin(),
                    "--service=thermostat", "--policy=" + policy, "--strict-policy",
                    "--tls-cert=" + certs_->Path("server.pem"),
                    "--tls-key=" + certs_->Path("server.key"),
                    "--audit-log=" + dir_ + "/audit.jsonl"},
                   Orbd());
  const std::string address = orbd.WaitForAddress();
  ASSERT_FALSE(address.empty()) << orbd.log();
  EXPECT_THAT(orbd.log(), HasSubstr("serving 'thermostat' on"));
  EXPECT_THAT(orbd.log(), HasSubstr("(TLS)"));
  EXPECT_THAT(orbd.log(), Not(HasSubstr("warning")));

  // Plaintext is not served; TLS is.
  auto plaintext = v1::ObjectBroker::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  EXPECT_EQ(OpenRoot(*plaintext, "").status.error_code(), grpc::StatusCode::UNAVAILABLE);
  grpc::ChannelArguments arguments;
  arguments.SetSslTargetNameOverride("localhost");
  auto stub = v1::ObjectBroker::NewStub(
      grpc::CreateCustomChannel(address, certs_->Client(""), arguments));

  OpenedRoot anonymous = OpenRoot(*stub, "");
  ASSERT_TRUE(anonymous.status.ok()) << anonymous.status.error_message() << orbd.log();
  EXPECT_EQ(anonymous.type, "lab.Thermostat");
  v1::Value setpoint;
  ASSERT_TRUE(GetRootAttr(*stub, "", anonymous, "setpoint", &setpoint).ok());
  EXPECT_DOUBLE_EQ(setpoint.double_value(), 20.0);
  EXPECT_EQ(SetRootAttr(*stub, "", anonymous, "setpoint", 22.0).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  OpenedRoot ada = OpenRoot(*stub, "lab-token");
  ASSERT_TRUE(ada.status.ok());
  ASSERT_TRUE(SetRootAttr(*stub, "lab-token", ada, "setpoint", 22.0).ok());
  EXPECT_EQ(GetRootAttr(*stub, "lab-token", ada, "_service_code", nullptr).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // SIGHUP: the new policy (no anonymous callers) applies from then on.
  WriteWholeFile(policy, ThermostatPolicy(/*allow_anonymous=*/false, 2));
  orbd.Signal(SIGHUP);
  ASSERT_FALSE(orbd.WaitForLog("policy reloaded \\(SIGHUP\\).*(revision 2)").empty())
      << orbd.log();
  EXPECT_EQ(OpenRoot(*stub, "").status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_TRUE(GetRootAttr(*stub, "lab-token", ada, "setpoint", &setpoint).ok());
  EXPECT_DOUBLE_EQ(setpoint.double_value(), 22.0);

  orbd.Signal(SIGTERM);
  EXPECT_EQ(orbd.WaitForExit(), 0) << orbd.log();
  const std::string audit = ReadWholeFile(dir_ + "/audit.jsonl");
  EXPECT_THAT(audit, HasSubstr("\"lab.Thermostat\""));
  EXPECT_THAT(audit, HasSubstr("\"setpoint\""));
  EXPECT_THAT(audit, HasSubstr("reload_policy"));
}

// Plugin services join orbd's own: the blog stays the default, --service
// picks, --dump-types and --help see the plugin's.
TEST(OrbdPlugin, ServicesJoinOrbdsOwn) {
  OrbdProcess blog({"--listen=127.0.0.1:0", "--plugin=" + ThermostatPlugin(),
                    "--policy=" + BlogPolicy()},
                   Orbd());
  ASSERT_FALSE(blog.WaitForAddress().empty()) << blog.log();
  EXPECT_THAT(blog.log(), HasSubstr("serving 'blog' on"));
  EXPECT_THAT(blog.log(), HasSubstr("loading plugin " + ThermostatPlugin()));

  CommandResult help = RunCommand(Orbd() + " --plugin " + ThermostatPlugin() + " --help");
  EXPECT_EQ(help.exit_code, 0) << help.output;
  EXPECT_THAT(help.output, HasSubstr("Services: blog, thermostat"));
  EXPECT_THAT(help.output, HasSubstr("--plugin=PATH"));

  CommandResult types =
      RunCommand(Orbd() + " --plugin=" + ThermostatPlugin() + " --service=thermostat --dump-types=-");
  EXPECT_EQ(types.exit_code, 0) << types.output;
  EXPECT_THAT(types.output, HasSubstr("\"lab.Thermostat\""));
  EXPECT_THAT(types.output, Not(HasSubstr("demo.Blog")));

  CommandResult unknown = RunCommand(Orbd() + " --plugin=" + ThermostatPlugin() +
                                     " --service=thermostats --policy=" + BlogPolicy());
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.output,
              HasSubstr("unknown service 'thermostats'; known services: blog, thermostat"));
}

// orbd with `args` must refuse to start: exit 1, a message containing
// `expected`, and no "serving" line.
void ExpectRefused(const std::vector<std::string>& args, const std::string& expected,
                   const std::string& mischief = "") {
  ChildProcess::Options options;
  if (!mischief.empty()) {
    for (char** e = environ; *e != nullptr; ++e) options.env.push_back(*e);
    options.env.push_back("ORB_TEST_PLUGIN_MISCHIEF=" + mischief);
  }
  std::vector<std::string> all = {"--listen=127.0.0.1:0", "--policy=" + BlogPolicy()};
  all.insert(all.end(), args.begin(), args.end());
  OrbdProcess orbd(all, Orbd(), options);
  EXPECT_EQ(orbd.WaitForExit(), 1) << mischief << "\n" << orbd.log();
  EXPECT_THAT(orbd.log(), HasSubstr(expected)) << mischief;
  EXPECT_THAT(orbd.log(), Not(HasSubstr("serving"))) << mischief;
}

TEST(OrbdPlugin, NotASharedLibraryIsRefused) {
  const std::string dir = MakeTempDir();
  WriteWholeFile(dir + "/notes.so", "these are notes, not a shared library\n");
  ExpectRefused({"--plugin=" + dir + "/notes.so"},
                "orbd: plugin " + dir + "/notes.so: cannot load it: ");
  ExpectRefused({"--plugin=" + dir + "/missing.so"}, "cannot open shared object file");
  RunCommand("rm -rf '" + dir + "'");
}

TEST(OrbdPlugin, LibraryWithoutEntryPointIsRefused) {
  ExpectRefused({"--plugin=" + TestPlugin("not_a_plugin")},
                "not an orb plugin: it has no orb_plugin_abi symbol (a plugin names its entry "
                "point with ORB_PLUGIN from orb/broker/plugin.h)");
}

TEST(OrbdPlugin, PluginOfAnotherOrbIsRefusedBeforeItsEntryPointRuns) {
  // Its entry point would abort: exit 1 with the message proves it never ran.
  ExpectRefused({"--plugin=" + TestPlugin("foreign_abi_plugin")},
                "built for another orb: it records \"orb 0.0.1; plugin abi 1;");
  ExpectRefused({"--plugin=" + TestPlugin("foreign_abi_plugin")},
                "rebuild the plugin against this orb's package (orb_add_plugin)");
}

TEST(OrbdPlugin, EntryPointErrorsAndExceptionsAreRefused) {
  const std::string plugin = "--plugin=" + TestPlugin("misbehaving_plugin");
  ExpectRefused({plugin}, "its entry point failed: the lab is closed", "entry-error");
  ExpectRefused({plugin}, "its entry point failed: the entry point threw: entry point blew up",
                "entry-throw");
  ExpectRefused({plugin}, "offers no service (its entry point added none)", "no-service");
}

TEST(OrbdPlugin, RegistrationErrorsAndExceptionsAreRefusedEvenForAServiceNotServed) {
  const std::string plugin = "--plugin=" + TestPlugin("misbehaving_plugin");
  ExpectRefused({plugin}, "service 'gizmo': the gizmo is not ready", "register-error");
  ExpectRefused({plugin}, "service 'gizmo': registering its types threw: gizmo registration blew up",
                "register-throw");
  ExpectRefused({plugin}, "service 'gizmo': type 'test.Gizmo' is already registered", "type-twice");
  ExpectRefused({plugin, "--service=gizmo"},
                "service 'gizmo': making its root object threw: no gizmo today", "root-throw");
}

TEST(OrbdPlugin, NameClashesWithTheBlogOrAnotherPluginAreRefused) {
  const std::string plugin = TestPlugin("misbehaving_plugin");
  ExpectRefused({"--plugin=" + plugin},
                "plugin " + plugin + ": service 'blog' is already offered by this program",
                "blog-service");
  ExpectRefused({"--plugin=" + plugin},
                "service 'gizmo' registers type 'demo.Blog', which service 'blog' of this "
                "program registers too",
                "blog-type");
  ExpectRefused({"--plugin=" + ThermostatPlugin(), "--plugin=" + ThermostatPlugin()},
                "service 'thermostat' is already offered by plugin " + ThermostatPlugin());
}

TEST(OrbdPlugin, PluginFlagWithoutPathIsRefused) {
  ExpectRefused({"--plugin"}, "--plugin needs the path of a plugin (--plugin=PATH)");
  ExpectRefused({"--plugin="}, "--plugin needs the path of a plugin (--plugin=PATH)");
}

// A plugin's static initializers run while it loads: one that crashes takes
// orbd down before it serves, and the log names the plugin that did.
TEST(OrbdPlugin, CrashInAStaticInitializerStopsOrbdBeforeItServes) {
  ChildProcess::Options options;
  for (char** e = environ; *e != nullptr; ++e) options.env.push_back(*e);
  options.env.push_back("ORB_TEST_PLUGIN_MISCHIEF=static-abort");
  const std::string plugin = TestPlugin("misbehaving_plugin");
  OrbdProcess orbd({"--listen=127.0.0.1:0", "--policy=" + BlogPolicy(), "--plugin=" + plugin},
                   Orbd(), options);
  EXPECT_EQ(orbd.WaitForExit(), 128 + SIGABRT) << orbd.log();
  EXPECT_THAT(orbd.log(), HasSubstr("orbd: loading plugin " + plugin));
  EXPECT_THAT(orbd.log(), Not(HasSubstr("serving")));
}

// A well-behaved test plugin is served and its members gated as any type.
TEST(OrbdPlugin, WellBehavedPluginIsServed) {
  const std::string dir = MakeTempDir();
  WriteWholeFile(dir + "/policy.textproto", "authentication { allow_anonymous: true }\n");
  OrbdProcess orbd({"--listen=127.0.0.1:0", "--policy=" + dir + "/policy.textproto",
                    "--plugin=" + TestPlugin("misbehaving_plugin"), "--service=gizmo"},
                   Orbd());
  ASSERT_FALSE(orbd.WaitForAddress().empty()) << orbd.log();
  auto stub = v1::ObjectBroker::NewStub(
      grpc::CreateChannel(orbd.address(), grpc::InsecureChannelCredentials()));
  OpenedRoot opened = OpenRoot(*stub, "");
  ASSERT_TRUE(opened.status.ok()) << opened.status.error_message();
  EXPECT_EQ(opened.type, "test.Gizmo");
  v1::Value size;
  ASSERT_TRUE(GetRootAttr(*stub, "", opened, "size", &size).ok());
  EXPECT_EQ(size.int_value(), 3);
  RunCommand("rm -rf '" + dir + "'");
}

}  // namespace
}  // namespace orb::testing
