// The orbd daemon as an operator runs it: SIGHUP reloads, SIGTERM drains
// calls in flight (idle connections and waiting streams do not hold it)
// and exits 0, and no log line (audit log, stderr with
// --debug-authorization) ever holds a credential or a whole session or
// handle id.
#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "orb/policy/authn.h"
#include "tests/integration/gadget.h"
#include "tests/integration/ops_fixture.h"
#include "tests/testing/joining_thread.h"

namespace orb::testing {

using orb::broker::RedactId;
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kAliceToken[] = "alice-demo-token";
constexpr char kBobToken[] = "bob-demo-token";
constexpr char kAliceHash[] = "bba775a1794a2ccaa524798e32cea98187c9a32d80433d760a92d449bfddff66";
constexpr char kBobHash[] = "84c60dc436211b8b0816c38aa8bd40567b75d7fc47fdecab65f40885348c6bbd";
constexpr char kTicketKeyHex[] =
    "cb8fcf26d7252f1dddf030f1adbf20aedc24bfc59bdf0947c29b6b1a52686e1e";

std::string OrbdGadget() { return std::string(ORB_BINARY_DIR) + "/tests/orbd_gadget"; }
std::string DemoPolicyText() { return ReadSourceFile("examples/blog/policy.textproto"); }

std::unique_ptr<grpc::ClientContext> TicketContext(const std::string& ticket) {
  auto context = Context();
  context->AddMetadata("authorization", "Ticket " + ticket);
  return context;
}

// orbd_gadget serving a gadget every caller may run, and an anonymous
// session on it.
class OrbdDrain : public ::testing::Test {
 protected:
  ~OrbdDrain() override { RunCommand("rm -rf '" + dir_ + "'"); }

  // Starts orbd_gadget with `grace_seconds` and opens the session.
  void StartGadget(const std::string& grace_seconds) {
    const std::string policy = dir_ + "/gadget.textproto";
    WriteWholeFile(policy, GadgetPolicy(
                               R"(ace { action: ALLOW principal: "system.Everyone" permission: "run" })"));
    orbd_ = std::make_unique<OrbdProcess>(
        std::vector<std::string>{"--listen=127.0.0.1:0", "--service=gadget", "--policy=" + policy,
                                 "--shutdown-grace-seconds=" + grace_seconds},
        OrbdGadget());
    const std::string address = orbd_->WaitForAddress();
    ASSERT_FALSE(address.empty()) << orbd_->log();
    stub_ = v1::ObjectBroker::NewStub(
        grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
    ASSERT_TRUE(OpenSession(*stub_, "", &session_).ok());
  }

  // Calls the gadget's `name` on a thread of its own; the answer goes to
  // *status and *response. The call has 30 s; a test that returns early
  // cancels it, so the thread joins at once.
  JoiningThread CallInBackground(const std::string& name, std::vector<v1::Value> args,
                                 grpc::Status* status, v1::CallResponse* response) {
    v1::CallRequest request;
    request.set_session(session_.session());
    request.set_handle(session_.root().id());
    request.set_name(name);
    for (v1::Value& arg : args) *request.add_args() = std::move(arg);
    std::shared_ptr<grpc::ClientContext> context = Context("", std::chrono::seconds(30));
    return JoiningThread(
        [this, request, status, response, context] {
          *status = stub_->Call(context.get(), request, response);
        },
        [context] { context->TryCancel(); });
  }

  // Waits for the gadget's word (on orbd's stderr) that a call's member
  // has started; a test starts one such call at a time.
  bool AwaitCallStarted() { return orbd_->WaitForText("gadget: a blocking call started"); }

  OrbdProcess& orbd() { return *orbd_; }

 private:
  const std::string dir_ = MakeTempDir();
  std::unique_ptr<OrbdProcess> orbd_;
  std::unique_ptr<v1::ObjectBroker::Stub> stub_;
  v1::OpenSessionResponse session_;
};

TEST_F(OrbdDrain, SigtermDrainsACallInFlightThenExitsZero) {
  ASSERT_NO_FATAL_FAILURE(StartGadget("10"));
  grpc::Status status;
  v1::CallResponse response;
  v1::Value ms;
  ms.set_int_value(1500);
  JoiningThread call = CallInBackground("nap", {ms}, &status, &response);
  ASSERT_TRUE(AwaitCallStarted()) << orbd().log();
  orbd().Signal(SIGTERM);
  ASSERT_TRUE(orbd().WaitForText("draining calls in flight")) << orbd().log();
  call.Join();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.result().string_value(), "slept");
  EXPECT_EQ(orbd().WaitForExit(), 0) << orbd().log();
  EXPECT_THAT(orbd().log(), HasSubstr("orbd_gadget: stopped"));
}

// A grpc.health.v1.Health/Watch stream for service "", open until
// destroyed; the constructor returns once the first answer has arrived.
class HealthWatch {
 public:
  explicit HealthWatch(const std::shared_ptr<grpc::Channel>& channel) : stub_(channel) {
    call_ = stub_.PrepareCall(&context_, "/grpc.health.v1.Health/Watch", &queue_);
    call_->StartCall(this);
    grpc::Slice empty("");  // HealthCheckRequest{service: ""} has no bytes
    grpc::ByteBuffer request(&empty, 1);
    answered_ = Step() && (call_->Write(request, this), Step()) &&
                (call_->WritesDone(this), Step()) && (call_->Read(&answer_, this), Step());
  }
  ~HealthWatch() {
    context_.TryCancel();
    grpc::Status status;
    call_->Finish(&status, this);
    Step();
    queue_.Shutdown();
    void* tag;
    bool ok;
    while (queue_.Next(&tag, &ok)) {
    }
  }
  bool answered() const { return answered_; }

 private:
  bool Step() {
    void* tag;
    bool ok = false;
    return queue_.Next(&tag, &ok) && ok;
  }

  grpc::GenericStub stub_;
  grpc::ClientContext context_;
  grpc::CompletionQueue queue_;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call_;
  grpc::ByteBuffer answer_;
  bool answered_ = false;
};

// Sends SIGTERM; returns orbd's exit code and sets *took to the time it
// took to exit.
int StopAndTime(OrbdProcess& orbd, absl::Duration* took) {
  const absl::Time signalled = absl::Now();
  orbd.Signal(SIGTERM);
  const int code = orbd.WaitForExit();
  *took = absl::Now() - signalled;
  return code;
}

// orbd's arguments for the demo blog on a free port, then `more`.
std::vector<std::string> DemoArgs(const std::vector<std::string>& more) {
  std::vector<std::string> args = {
      "--listen=127.0.0.1:0",
      "--policy=" + OrbdProcess::BlogPolicyPath()};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// The grace in the two tests below is an hour, and WaitForExit gives up
// after 20 s: orbd exiting at all shows that what the client holds open did
// not hold the drain, and the test measures no time on a machine that may
// be loaded.
constexpr char kHourOfGrace[] = "--shutdown-grace-seconds=3600";

TEST(OrbdOps, SigtermWithAnIdleConnectionExitsAtOnce) {
  OrbdProcess orbd(DemoArgs({kHourOfGrace}));
  const std::string address = orbd.WaitForAddress();
  ASSERT_FALSE(address.empty()) << orbd.log();
  // One call, then the channel stays open and connected, with nothing in
  // flight: the client does not read from it until it makes another call.
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto stub = v1::ObjectBroker::NewStub(channel);
  v1::OpenSessionResponse session;
  ASSERT_TRUE(OpenSession(*stub, kBobToken, &session).ok());
  ASSERT_EQ(channel->GetState(false), GRPC_CHANNEL_READY);

  absl::Duration took;
  EXPECT_EQ(StopAndTime(orbd, &took), 0) << "after " << took << "\n" << orbd.log();
  EXPECT_THAT(orbd.log(), HasSubstr("orbd: stopped"));
}

TEST(OrbdOps, SigtermWithAHealthWatchOpenExitsAtOnce) {
  OrbdProcess orbd(DemoArgs({kHourOfGrace}));
  const std::string address = orbd.WaitForAddress();
  ASSERT_FALSE(address.empty()) << orbd.log();
  // A load balancer's watch: a stream that never ends by itself.
  HealthWatch watch(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  ASSERT_TRUE(watch.answered());

  absl::Duration took;
  EXPECT_EQ(StopAndTime(orbd, &took), 0) << "after " << took << "\n" << orbd.log();
}

TEST_F(OrbdDrain, SigtermCancelsACallStillRunningWhenTheGraceEnds) {
  ASSERT_NO_FATAL_FAILURE(StartGadget("1"));
  grpc::Status status;
  v1::CallResponse response;
  // wait() runs until released, which nobody does.
  JoiningThread call = CallInBackground("wait", {}, &status, &response);
  ASSERT_TRUE(AwaitCallStarted()) << orbd().log();
  absl::Duration took;
  EXPECT_EQ(StopAndTime(orbd(), &took), 0) << "after " << took << "\n" << orbd().log();
  call.Join();
  EXPECT_FALSE(status.ok());
  // Ended by orbd when the grace ended: on its own, wait() gives up only
  // after 20 s (gadget.h), with this message.
  EXPECT_THAT(status.error_message(), Not(HasSubstr("gave up"))) << "after " << took;
  EXPECT_GE(took, absl::Milliseconds(900)) << "the call was cancelled before the grace ended";
  EXPECT_THAT(orbd().log(), HasSubstr("orbd_gadget: stopped"));
}

TEST(OrbdOps, SighupReloadsAndAnInvalidFileKeepsTheOldPolicy) {
  std::string dir = MakeTempDir();
  const std::string policy = dir + "/policy.textproto";
  const std::string base = DemoPolicyText();
  WriteWholeFile(policy, base + "\nrevision: 1\n");
  OrbdProcess orbd({"--listen=127.0.0.1:0", "--policy=" + policy});
  const std::string address = orbd.WaitForAddress();
  ASSERT_FALSE(address.empty()) << orbd.log();
  EXPECT_THAT(orbd.log(), HasSubstr("revision 1"));

  WriteWholeFile(policy, base + "\nrevision: 2\n");
  orbd.Signal(SIGHUP);
  EXPECT_TRUE(orbd.WaitForText("policy reloaded (SIGHUP)")) << orbd.log();
  EXPECT_THAT(orbd.log(), HasSubstr("revision 2 (was 1)"));

  // A broken file: refused with file:line, the old policy serves on.
  WriteWholeFile(policy, base + "\nrevision: 3\nuser { userid: \"\" }\n");
  orbd.Signal(SIGHUP);
  EXPECT_TRUE(orbd.WaitForText("refused; still running revision 2")) << orbd.log();
  EXPECT_THAT(orbd.log(), HasSubstr(policy + ":"));
  // Going backwards: refused.
  WriteWholeFile(policy, base + "\nrevision: 1\n");
  orbd.Signal(SIGHUP);
  EXPECT_TRUE(orbd.WaitForText("lower than the running revision 2")) << orbd.log();

  auto stub = v1::ObjectBroker::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  v1::OpenSessionResponse session;
  ASSERT_TRUE(OpenSession(*stub, kBobToken, &session).ok());
  EXPECT_EQ(session.userid(), "bob");
  EXPECT_FALSE(orbd.HasExited());
  orbd.Signal(SIGTERM);
  EXPECT_EQ(orbd.WaitForExit(), 0) << orbd.log();
  RunCommand("rm -rf '" + dir + "'");
}

TEST(OrbdOps, NoLogHoldsACredentialOrAWholeId) {
  std::string dir = MakeTempDir();
  const std::string policy = dir + "/policy.textproto";
  const std::string audit = dir + "/audit.jsonl";
  // The demo policy's admin section lets alice view and reload the policy,
  // list sessions and close them.
  ASSERT_THAT(DemoPolicyText(),
              HasSubstr(R"(principal: "alice" permissions: [ "policy.view", "policy.reload", )"
                        R"("sessions.view", "sessions.close" ])"));
  WriteWholeFile(policy, DemoPolicyText());
  OrbdProcess orbd({"--listen=127.0.0.1:0", "--policy=" + policy,
                          "--debug-authorization", "--audit-log=" + audit});
  const std::string address = orbd.WaitForAddress();
  ASSERT_FALSE(address.empty()) << orbd.log();
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto stub = v1::ObjectBroker::NewStub(channel);
  std::string key;
  ASSERT_TRUE(policy::DecodeLowerHex(kTicketKeyHex, &key));
  const std::string ticket = policy::MintTicket(key, "carol", absl::Now() + absl::Minutes(5));

  std::vector<std::string> secret_ids;
  const auto exercise = [&](const std::string& token, const std::string& new_title) {
    v1::OpenSessionResponse session;
    grpc::Status status = OpenSession(*stub, token, &session);
    ASSERT_TRUE(status.ok()) << status.error_message();
    secret_ids.push_back(session.session());
    secret_ids.push_back(session.root().id());
    v1::GetAttrRequest get;
    get.set_session(session.session());
    get.set_handle(session.root().id());
    get.set_name("title");
    v1::GetAttrResponse got;
    EXPECT_TRUE(stub->GetAttr(Context(token).get(), get, &got).ok());
    get.set_name("_secret");  // never exposed
    EXPECT_EQ(stub->GetAttr(Context(token).get(), get, &got).error_code(),
              grpc::StatusCode::NOT_FOUND);
    v1::SetAttrRequest set;
    set.set_session(session.session());
    set.set_handle(session.root().id());
    set.set_name("title");
    *set.mutable_value() = Str(new_title);
    v1::SetAttrResponse ignored;
    (void)stub->SetAttr(Context(token).get(), set, &ignored);
    v1::CallRequest call;
    call.set_session(session.session());
    call.set_handle(session.root().id());
    call.set_name("add_entry");
    *call.add_args() = Str("an entry");
    *call.add_args() = Str("its body");
    v1::CallResponse entry;
    if (stub->Call(Context(token).get(), call, &entry).ok()) {
      secret_ids.push_back(entry.result().handle().id());
    }
    // Someone else's session id: rejected, and still not logged whole.
    get.set_session(session.session());
    get.set_handle(session.root().id());
    get.set_name("title");
    (void)stub->GetAttr(Context("").get(), get, &got);
    v1::CloseSessionRequest close;
    close.set_session(session.session());
    v1::CloseSessionResponse closed;
    EXPECT_TRUE(stub->CloseSession(Context(token).get(), close, &closed).ok());
  };
  exercise(kAliceToken, "alice's title");  // allowed
  exercise(kBobToken, "bob's title");      // denied
  {
    v1::OpenSessionResponse session;
    v1::OpenSessionRequest request;
    grpc::Status status = stub->OpenSession(TicketContext(ticket).get(), request, &session);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(session.userid(), "carol");
    secret_ids.push_back(session.session());
  }
  v1::OpenSessionResponse refused;
  EXPECT_EQ(OpenSession(*stub, "not-a-demo-token", &refused).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  auto admin = v1::BrokerAdmin::NewStub(channel);
  v1::PolicyInfo info;
  EXPECT_TRUE(admin->GetPolicyInfo(Context(kAliceToken).get(), {}, &info).ok());
  EXPECT_EQ(admin->GetPolicyInfo(Context(kBobToken).get(), {}, &info).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Session admin: carol's session is listed by reference and closed; a
  // whole id given as a reference is refused and not written anywhere.
  v1::ListSessionsResponse live;
  ASSERT_TRUE(admin->ListSessions(Context(kAliceToken).get(), {}, &live).ok());
  ASSERT_EQ(live.sessions_size(), 1);
  EXPECT_EQ(live.sessions(0).userid(), "carol");
  EXPECT_EQ(live.sessions(0).ref(), RedactId(secret_ids.back()));
  v1::AdminCloseSessionRequest close_by_id;
  close_by_id.set_ref(secret_ids.back());
  v1::AdminCloseSessionResponse revoked;
  EXPECT_EQ(admin->CloseSession(Context(kAliceToken).get(), close_by_id, &revoked).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::AdminCloseSessionRequest close_by_ref;
  close_by_ref.set_ref(live.sessions(0).ref());
  EXPECT_TRUE(admin->CloseSession(Context(kAliceToken).get(), close_by_ref, &revoked).ok());

  orbd.Signal(SIGTERM);
  ASSERT_EQ(orbd.WaitForExit(), 0) << orbd.log();
  const std::string stderr_text = orbd.log();
  const std::string audit_text = ReadWholeFile(audit);
  ASSERT_THAT(stderr_text, HasSubstr("orbd: authz:"));  // debug lines were written

  std::vector<std::string> secrets = {kAliceToken, kBobToken, "not-a-demo-token", ticket,
                                      kTicketKeyHex, kAliceHash, kBobHash};
  // A hash of a token, in any other form: the raw bytes' hex is covered
  // above; also the SHA-256 of the ticket.
  secrets.push_back(policy::Sha256Hex(ticket));
  for (const std::string& id : secret_ids) {
    ASSERT_FALSE(id.empty());
    secrets.push_back(id);
  }
  for (const std::string& secret : secrets) {
    EXPECT_THAT(audit_text, Not(HasSubstr(secret))) << "audit log holds " << secret;
    EXPECT_THAT(stderr_text, Not(HasSubstr(secret))) << "stderr holds " << secret;
  }

  // The audit log: one JSON object per line, with the decisions expected.
  std::vector<std::string> lines = absl::StrSplit(audit_text, '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 10u);
  for (const std::string& line : lines) {
    EXPECT_EQ(line.front(), '{') << line;
    EXPECT_EQ(line.back(), '}') << line;
  }
  const std::string first_session = RedactId(secret_ids[0]);
  EXPECT_THAT(audit_text, HasSubstr(absl::StrCat("\"session\":\"", first_session, "\"")));
  EXPECT_THAT(audit_text, HasSubstr(R"("user":"alice","authn":"bearer")"));
  EXPECT_THAT(audit_text, HasSubstr(R"("op":"setattr","name":"title","decision":"allowed","permission":"edit")"));
  EXPECT_THAT(audit_text, HasSubstr(R"("op":"setattr","name":"title","decision":"denied","permission":"edit")"));
  EXPECT_THAT(audit_text, HasSubstr(R"("name":"_secret","decision":"not_exposed")"));
  EXPECT_THAT(audit_text, HasSubstr(R"("event":"open_session")"));
  EXPECT_THAT(audit_text, HasSubstr(R"("user":"carol","authn":"ticket")"));
  EXPECT_THAT(audit_text, HasSubstr(R"("op":"close_session","decision":"allowed","permission":"sessions.close")"));
  EXPECT_THAT(audit_text, HasSubstr(R"("decision":"unauthenticated")"));
  EXPECT_THAT(audit_text, HasSubstr(R"("op":"get_policy_info","decision":"denied")"));
  EXPECT_THAT(audit_text, HasSubstr(R"("event":"authenticate")"));
  EXPECT_THAT(audit_text, HasSubstr(R"("op":"open_session","decision":"unauthenticated")"));
  EXPECT_THAT(audit_text, Not(HasSubstr(R"("op":"OpenSession")")));
  // The anonymous call on alice's session id: not found, user null.
  EXPECT_THAT(audit_text, HasSubstr(R"("user":null,"authn":"anonymous","session":")"));
  EXPECT_THAT(audit_text, HasSubstr(R"("decision":"rejected","code":"NOT_FOUND")"));
  RunCommand("rm -rf '" + dir + "'");
}

TEST(OrbdOps, AnAuditLogThatCannotBeOpenedIsAStartupError) {
  OrbdProcess orbd({"--listen=127.0.0.1:0",
                          "--policy=" + OrbdProcess::BlogPolicyPath(),
                          "--audit-log=/nonexistent-dir/audit.jsonl"});
  EXPECT_EQ(orbd.WaitForExit(), 1);
  EXPECT_THAT(orbd.log(), HasSubstr("cannot open audit log '/nonexistent-dir/audit.jsonl'"));
}

}  // namespace
}  // namespace orb::testing
