// examples/embed: a program that registers its own type and serves it works
// as its comments say, over real gRPC: thermostat-broker (its own main and
// server) and thermostat-daemon (RunDaemon: orbd's flags and behaviour).
#include <signal.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "orb/v1/broker.grpc.pb.h"
#include "tests/integration/root_calls.h"
#include "tests/testing/orbd_process.h"
#include "tests/testing/test_support.h"

namespace orb::testing {
namespace {

std::string Binary(bool daemon) {
  return std::string(ORB_BINARY_DIR) + (daemon ? "/bin/thermostat-daemon" : "/bin/thermostat-broker");
}

std::vector<std::string> Args(bool daemon, const std::string& audit_log) {
  if (!daemon) return {"--listen=127.0.0.1:0"};
  return {"--listen=127.0.0.1:0",
          "--policy=" + std::string(ORB_SOURCE_DIR) + "/examples/embed/policy.textproto",
          "--strict-policy", "--audit-log=" + audit_log};
}

// Each test runs against both programs (the parameter: the daemon).
class EmbedExample : public ::testing::TestWithParam<bool> {
 protected:
  EmbedExample()
      : dir_(MakeTempDir()), child_(Args(GetParam(), dir_ + "/audit.jsonl"), Binary(GetParam())) {
    address_ = child_.WaitForAddress();
    stub_ = v1::ObjectBroker::NewStub(
        grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  }
  ~EmbedExample() override {
    child_.Signal(SIGTERM);
    child_.WaitForExit();
    RunCommand("rm -rf " + dir_);
  }

  // Opens a session (token "" = anonymous) on the thermostat.
  OpenedRoot Open(const std::string& token) {
    OpenedRoot opened = OpenRoot(*stub_, token);
    EXPECT_TRUE(opened.status.ok()) << opened.status.error_message();
    EXPECT_EQ(opened.type, "lab.Thermostat");
    return opened;
  }
  grpc::Status Get(const std::string& token, const OpenedRoot& s, const std::string& name,
                   v1::Value* out) {
    return GetRootAttr(*stub_, token, s, name, out);
  }
  grpc::Status Set(const std::string& token, const OpenedRoot& s, const std::string& name,
                   double value) {
    return SetRootAttr(*stub_, token, s, name, value);
  }

  std::string dir_;
  OrbdProcess child_;
  std::string address_;
  std::unique_ptr<v1::ObjectBroker::Stub> stub_;
};

TEST_P(EmbedExample, AnyoneReadsOnlyTheLabAdjusts) {
  ASSERT_FALSE(address_.empty()) << child_.log();
  auto anonymous = Open("");
  v1::Value setpoint;
  ASSERT_TRUE(Get("", anonymous, "setpoint", &setpoint).ok());
  EXPECT_DOUBLE_EQ(setpoint.double_value(), 20.0);
  EXPECT_EQ(Set("", anonymous, "setpoint", 22.0).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  auto ada = Open("lab-token");
  ASSERT_TRUE(Set("lab-token", ada, "setpoint", 22.0).ok());
  ASSERT_TRUE(Get("lab-token", ada, "setpoint", &setpoint).ok());
  EXPECT_DOUBLE_EQ(setpoint.double_value(), 22.0);
  // The method's own validation comes back as its own error.
  EXPECT_EQ(Set("lab-token", ada, "setpoint", 99.0).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_P(EmbedExample, PrivateMemberIsUnreachable) {
  ASSERT_FALSE(address_.empty()) << child_.log();
  auto ada = Open("lab-token");
  grpc::Status secret = Get("lab-token", ada, "_service_code", nullptr);
  EXPECT_EQ(secret.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(secret.error_message(), ::testing::Not(::testing::HasSubstr("never leaves")));
}

// The thermostat announces its temperature: a watch gets the first value,
// then the new one after calibrate (the control loop's 0.1 °C steps may
// come too: every event carries the latest value). Then SetAttr's own
// announcement of the setpoint, and the watch's end when its session closes.
TEST_P(EmbedExample, WatchSeesTemperatureChange) {
  ASSERT_FALSE(address_.empty()) << child_.log();
  auto ada = Open("lab-token");
  auto context = BearerContext("lab-token");
  v1::WatchRequest request;
  request.set_session(ada.session);
  request.set_handle(ada.root);
  request.add_names("temperature");
  request.add_names("setpoint");
  request.add_names("_service_code");  // not readable: left out
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> watch = stub_->Watch(context.get(), request);
  v1::WatchEvent event;
  ASSERT_TRUE(watch->Read(&event)) << watch->Finish().error_message();
  ASSERT_TRUE(event.initial());
  EXPECT_THAT(event.values(), ::testing::SizeIs(2));
  EXPECT_FALSE(event.values().contains("_service_code"));
  const double first = event.values().at("temperature").double_value();

  v1::CallRequest calibrate;
  calibrate.set_session(ada.session);
  calibrate.set_handle(ada.root);
  calibrate.set_name("calibrate");
  calibrate.add_args()->set_double_value(10.0);
  v1::CallResponse called;
  ASSERT_TRUE(stub_->Call(BearerContext("lab-token").get(), calibrate, &called).ok());
  // The loop moves at most 0.1 °C a second: within 10 s the offset shows.
  double latest = first;
  while (latest < first + 9 && watch->Read(&event)) {
    EXPECT_FALSE(event.initial());
    if (event.values().contains("temperature")) {
      latest = event.values().at("temperature").double_value();
    }
  }
  EXPECT_GE(latest, first + 9) << "no event carried the calibrated temperature";

  ASSERT_TRUE(Set("lab-token", ada, "setpoint", 25.0).ok());
  bool setpoint_seen = false;
  while (!setpoint_seen && watch->Read(&event)) {
    auto it = event.values().find("setpoint");
    if (it != event.values().end()) {
      EXPECT_DOUBLE_EQ(it->second.double_value(), 25.0);
      setpoint_seen = true;
    }
  }
  EXPECT_TRUE(setpoint_seen) << watch->Finish().error_message();

  v1::CloseSessionRequest close;
  close.set_session(ada.session);
  v1::CloseSessionResponse closed;
  ASSERT_TRUE(stub_->CloseSession(BearerContext("lab-token").get(), close, &closed).ok());
  while (watch->Read(&event)) {
  }
  grpc::Status end = watch->Finish();
  EXPECT_EQ(end.error_code(), grpc::StatusCode::NOT_FOUND) << end.error_message();
}

// The daemon behaves as orbd: its policy fits the served type (it started
// under --strict-policy), SIGHUP reloads it, decisions go to the audit log,
// and its log lines carry its own name.
class EmbedDaemon : public EmbedExample {};

TEST_P(EmbedDaemon, HasOrbdsReloadAndAuditLog) {
  ASSERT_FALSE(address_.empty()) << child_.log();
  EXPECT_THAT(child_.log(), ::testing::HasSubstr("thermostat-daemon: serving 'thermostat' on"));
  auto anonymous = Open("");
  ASSERT_TRUE(Get("", anonymous, "setpoint", nullptr).ok());
  child_.Signal(SIGHUP);
  child_.WaitForLog("thermostat-daemon: policy reloaded \\(SIGHUP\\)");
  ASSERT_TRUE(Get("", anonymous, "temperature", nullptr).ok());
  child_.Signal(SIGTERM);
  EXPECT_EQ(child_.WaitForExit(), 0) << child_.log();
  const std::string audit = ReadWholeFile(dir_ + "/audit.jsonl");
  EXPECT_THAT(audit, ::testing::HasSubstr("\"setpoint\""));
  EXPECT_THAT(audit, ::testing::HasSubstr("reload_policy"));
}

INSTANTIATE_TEST_SUITE_P(Programs, EmbedExample, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Daemon" : "OwnServer";
                         });
INSTANTIATE_TEST_SUITE_P(Programs, EmbedDaemon, ::testing::Values(true));

}  // namespace
}  // namespace orb::testing
