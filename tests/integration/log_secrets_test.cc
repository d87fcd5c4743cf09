// No secret in any log line: orbd runs with --debug_authorization (every
// decision logged) and gRPC's own logging at DEBUG, is sent good and bad
// credentials of every kind, and a string field that is not UTF-8; then its
// whole output must contain none of the tokens, tickets, token hashes or
// the ticket key, while it does contain the decisions (so the test looks at
// a log that says something).
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "orb/v1/broker.grpc.pb.h"
#include "orb/policy/authn.h"
#include "tests/integration/caller.h"
#include "tests/testing/orbd_process.h"
#include "tests/testing/test_support.h"

namespace orb::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// orbd with stdout and stderr in one file, gRPC logging at DEBUG.
class LoggedOrbd : public OrbdProcess {
 public:
  explicit LoggedOrbd(std::vector<std::string> args)
      : OrbdProcess(std::move(args), Binary(), DebugLogging()) {}

  // SIGTERM, then the whole output once orbd has exited.
  std::string StopAndReadLog() {
    Signal(SIGTERM);
    WaitForExit();
    return log();
  }

 private:
  static Options DebugLogging() {
    Options options;
    options.stdout_to_log = true;
    options.env = {"GRPC_VERBOSITY=DEBUG", "PATH=/usr/bin:/bin"};
    for (const char* keep : {"ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS"}) {
      if (const char* value = std::getenv(keep)) options.env.push_back(std::string(keep) + "=" + value);
    }
    return options;
  }
};

grpc::Status OpenWith(const std::string& address, const std::string& authorization) {
  auto stub = v1::ObjectBroker::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata("authorization", authorization);
  v1::OpenSessionResponse opened;
  return stub->OpenSession(&context, v1::OpenSessionRequest(), &opened);
}

TEST(LogSecrets, NoCredentialOrKeyReachesAnyLogLine) {
  const std::string policy_path = std::string(ORB_SOURCE_DIR) + "/examples/blog/policy.textproto";
  LoggedOrbd orbd({"--listen=127.0.0.1:0", "--service=blog", "--policy=" + policy_path,
                   "--debug_authorization"});
  const std::string address = orbd.WaitForAddress();
  ASSERT_FALSE(address.empty()) << orbd.StopAndReadLog();

  const policy::PolicyPtr demo_policy = DemoPolicy();
  const v1::Policy& source = demo_policy->source();
  const std::string key_hex = source.authentication().tickets().hmac_key_hex();
  std::string key;
  ASSERT_TRUE(policy::DecodeLowerHex(key_hex, &key));
  const std::string good_ticket = policy::MintTicket(key, "carol", absl::Now() + absl::Minutes(5));
  const std::string expired_ticket = policy::MintTicket(key, "bob", absl::Now() - absl::Minutes(5));
  const std::string forged_ticket =
      policy::MintTicket(std::string(32, 'f'), "alice", absl::Now() + absl::Minutes(5));
  const std::string wrong_token = "wrong-token-7f3a9c";
  const std::string basic = "Ym9iOmh1bnRlcjI=";

  // Good credentials, then work that the debug log reports decision by
  // decision.
  for (const std::string& header :
       {std::string("Bearer ") + kAliceToken, std::string("Bearer ") + kBobToken,
        "Ticket " + good_ticket}) {
    ASSERT_TRUE(OpenWith(address, header).ok()) << header;
  }
  {
    auto stub = v1::ObjectBroker::NewStub(
        grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
    grpc::ClientContext open_context;
    open_context.AddMetadata("authorization", std::string("Bearer ") + kBobToken);
    v1::OpenSessionResponse opened;
    ASSERT_TRUE(stub->OpenSession(&open_context, v1::OpenSessionRequest(), &opened).ok());
    for (const char* name : {"title", "_secret", "add_entry"}) {
      grpc::ClientContext context;
      context.AddMetadata("authorization", std::string("Bearer ") + kBobToken);
      v1::GetAttrRequest request;
      request.set_session(opened.session());
      request.set_handle(opened.root().id());
      request.set_name(name);
      v1::GetAttrResponse response;
      stub->GetAttr(&context, request, &response).error_code();
    }
    grpc::ClientContext context;
    context.AddMetadata("authorization", std::string("Bearer ") + kBobToken);
    v1::SetAttrRequest set;
    set.set_session(opened.session());
    set.set_handle(opened.root().id());
    set.set_name("title");
    set.mutable_value()->set_string_value("denied");
    v1::SetAttrResponse set_response;
    EXPECT_EQ(stub->SetAttr(&context, set, &set_response).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  // Bad credentials of every kind.
  for (const std::string& header :
       {"Bearer " + wrong_token, "Ticket " + expired_ticket, "Ticket " + forged_ticket,
        "Basic " + basic, wrong_token, "Ticket orb1." + key_hex}) {
    EXPECT_EQ(OpenWith(address, header).error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << header;
  }
  // A request protobuf refuses to parse (it logs the field's name).
  std::string ignored;
  RawCall(address, "/orb.v1.ObjectBroker/OpenSession", "\x0a\x03\xff" + wrong_token.substr(0, 2),
          &ignored, {{"authorization", "Bearer " + wrong_token}});

  const std::string log = orbd.StopAndReadLog();
  EXPECT_THAT(log, HasSubstr("orbd: authz: "));  // the decisions are there
  EXPECT_THAT(log, HasSubstr("ACLDenied"));
  std::vector<std::string> secrets = {kAliceToken, kBobToken,   wrong_token,
                                      basic,       key_hex,     good_ticket,
                                      expired_ticket, forged_ticket};
  for (const auto& token : source.authentication().bearer_token()) secrets.push_back(token.sha256());
  // A ticket's signature alone is enough to recognise it.
  for (const std::string& ticket : {good_ticket, expired_ticket, forged_ticket}) {
    secrets.push_back(ticket.substr(ticket.rfind('.') + 1));
  }
  for (const std::string& secret : secrets) {
    EXPECT_THAT(log, Not(HasSubstr(secret))) << "the log contains a secret: " << secret;
  }
}

// A caller who learned another session's ids sends them back in every
// place a request can carry text: as its handle, its session, a member
// name, a handle argument, ids to release, padded with more hex digits.
// orbd's output and its audit log must then hold none of the ids the
// broker issued in the run, and say where they were redacted.
class IdCaller {
 public:
  IdCaller(const std::string& address, std::string token)
      : stub_(v1::ObjectBroker::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))),
        token_(std::move(token)) {}

  std::unique_ptr<grpc::ClientContext> Context() const {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata("authorization", "Bearer " + token_);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return context;
  }
  v1::OpenSessionResponse Open() {
    v1::OpenSessionResponse opened;
    EXPECT_TRUE(stub_->OpenSession(Context().get(), v1::OpenSessionRequest(), &opened).ok());
    return opened;
  }
  grpc::Status GetAttr(const std::string& session, const std::string& handle,
                       const std::string& name) {
    v1::GetAttrRequest request;
    request.set_session(session);
    request.set_handle(handle);
    request.set_name(name);
    v1::GetAttrResponse response;
    return stub_->GetAttr(Context().get(), request, &response);
  }
  grpc::Status Call(const std::string& session, const std::string& handle,
                    const std::string& name, const std::vector<v1::Value>& args,
                    v1::Value* result = nullptr) {
    v1::CallRequest request;
    request.set_session(session);
    request.set_handle(handle);
    request.set_name(name);
    for (const v1::Value& a : args) *request.add_args() = a;
    v1::CallResponse response;
    grpc::Status status = stub_->Call(Context().get(), request, &response);
    if (result != nullptr) *result = response.result();
    return status;
  }
  grpc::Status Release(const std::string& session, const std::vector<std::string>& ids) {
    v1::ReleaseRequest request;
    request.set_session(session);
    for (const std::string& id : ids) request.add_handles(id);
    v1::ReleaseResponse response;
    return stub_->Release(Context().get(), request, &response);
  }
  grpc::Status Close(const std::string& session) {
    v1::CloseSessionRequest request;
    request.set_session(session);
    v1::CloseSessionResponse response;
    return stub_->CloseSession(Context().get(), request, &response);
  }

 private:
  std::unique_ptr<v1::ObjectBroker::Stub> stub_;
  std::string token_;
};

TEST(LogSecrets, NoWholeSessionOrHandleIdReachesAnyLogLineOrAuditRecord) {
  const std::string policy_path = std::string(ORB_SOURCE_DIR) + "/examples/blog/policy.textproto";
  const std::string dir = MakeTempDir();
  const std::string audit_path = dir + "/audit.jsonl";
  std::string log;
  std::vector<std::string> issued;
  {
    LoggedOrbd orbd({"--listen=127.0.0.1:0", "--service=blog", "--policy=" + policy_path,
                     "--debug_authorization", "--audit-log=" + audit_path});
    const std::string address = orbd.WaitForAddress();
    ASSERT_FALSE(address.empty()) << orbd.StopAndReadLog();

    IdCaller alice(address, kAliceToken);
    IdCaller bob(address, kBobToken);
    const v1::OpenSessionResponse victim = alice.Open();
    v1::Value entry;
    v1::Value title, body;
    title.set_string_value("t");
    body.set_string_value("b");
    ASSERT_TRUE(alice.Call(victim.session(), victim.root().id(), "add_entry", {title, body}, &entry)
                    .ok());
    const std::string entry_id = entry.handle().id();
    const v1::OpenSessionResponse attacker = bob.Open();
    issued = {victim.session(), victim.root().id(), entry_id, attacker.session(),
              attacker.root().id()};
    for (const std::string& id : issued) {
      // Session ids carry a public routing prefix before the secret.
      ASSERT_THAT(id, ::testing::MatchesRegex("([A-Za-z0-9._-]+~[0-9a-f]{8}\\.)?[0-9a-f]{32}"));
    }

    for (const std::string& stolen : {victim.session(), victim.root().id(), entry_id}) {
      // Each is refused; the messages sent back may quote what bob sent.
      EXPECT_FALSE(bob.GetAttr(attacker.session(), stolen, "title").ok());
      EXPECT_FALSE(bob.GetAttr(attacker.session(), stolen + "00", "title").ok());
      EXPECT_FALSE(bob.GetAttr(attacker.session(), "x" + stolen + "y", "title").ok());
      EXPECT_FALSE(bob.GetAttr(stolen, attacker.root().id(), "title").ok());
      EXPECT_FALSE(bob.GetAttr(attacker.session(), attacker.root().id(), stolen).ok());
      EXPECT_FALSE(bob.Call(attacker.session(), attacker.root().id(), stolen, {}).ok());
      v1::Value ref;
      ref.mutable_handle()->set_id(stolen);
      EXPECT_FALSE(bob.Call(attacker.session(), attacker.root().id(), "entry", {ref}).ok());
      EXPECT_FALSE(bob.Release(attacker.session(), {stolen}).ok());
      EXPECT_FALSE(bob.Close(stolen).ok());
    }
    // The victim's own work goes on.
    EXPECT_TRUE(alice.GetAttr(victim.session(), entry_id, "title").ok());
    log = orbd.StopAndReadLog();
  }
  const std::string audit = ReadFile(audit_path);
  RunCommand("rm -rf " + dir);
  EXPECT_THAT(log, HasSubstr("orbd: authz: "));
  // The records are there, and say where an id was redacted.
  EXPECT_THAT(audit, HasSubstr("\"decision\":\"rejected\""));
  EXPECT_THAT(audit, HasSubstr("<id:"));
  ASSERT_EQ(issued.size(), 5u);
  for (const std::string& id : issued) {
    // The secret part: the whole of a handle id, a session id's after its
    // routing prefix (which is public and may be logged).
    const std::string secret = id.substr(id.size() - 32);
    EXPECT_THAT(log, Not(HasSubstr(secret))) << "orbd's output holds an id the broker issued";
    EXPECT_THAT(audit, Not(HasSubstr(secret))) << "the audit log holds an id the broker issued";
  }
}

}  // namespace
}  // namespace orb::testing
