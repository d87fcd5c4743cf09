// Policy hot reload: a new policy is compiled first and swapped atomically,
// an invalid file or a revision going backwards is refused with the old
// policy still serving, calls in flight finish under the policy they
// started with, and BrokerAdmin needs the policy's admin permissions.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "broker/policy_reloader.h"
#include "base/sync.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/gadget.h"
#include "tests/integration/ops_fixture.h"
#include "tests/testing/joining_thread.h"

namespace orb::testing {

using orb::broker::AuditRecord;
using orb::broker::AuditRecordToJson;
using orb::broker::BrokerCore;
using orb::broker::PolicyInfo;
using orb::broker::PolicyReloader;
using orb::broker::TypeRegistry;
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kAliceToken[] = "alice-demo-token";
constexpr char kBobToken[] = "bob-demo-token";
constexpr char kEveryoneRuns[] =
    R"(ace { action: ALLOW principal: "system.Everyone" permission: "run" })";
constexpr char kOnlyAliceRuns[] = R"(ace { action: ALLOW principal: "alice" permission: "run" })";
// alice may reload and view; bob may only view.
constexpr char kAdmin[] = R"(
admin {
  acl {
    ace { action: ALLOW principal: "alice" all_permissions: true }
    ace { action: ALLOW principal: "bob" permission: "policy.view" }
  }
}
)";

std::string Policy(const std::string& run_acl, uint64_t revision, const std::string& more = "") {
  return GadgetPolicy(run_acl, absl::StrCat("revision: ", revision, "\n", kAdmin, more));
}

class ReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    path_ = dir_ + "/policy.textproto";
    WriteWholeFile(path_, Policy(kEveryoneRuns, 1));
    auto loaded = policy::LoadPolicyFile(path_);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    auto registry = std::make_shared<TypeRegistry>();
    ASSERT_TRUE(RegisterGadget(*registry).ok());
    board_ = std::make_shared<Switchboard>();
    // Core, then the reloader over it, then the server serving both (as
    // orbd wires them).
    BrokerCore::Options core_options;
    core_options.audit = [this](const AuditRecord& r) {
      orb::MutexHold lock(&audit_mu_);
      audit_.push_back(AuditRecordToJson(r));
    };
    core_ = std::make_unique<BrokerCore>(registry, std::make_shared<Gadget>(board_), *loaded,
                                         core_options);
    PolicyReloader::Options reload_options;
    reload_options.log = [this](const std::string& line) {
      orb::MutexHold lock(&audit_mu_);
      log_.push_back(line);
    };
    reloader_ = std::make_unique<PolicyReloader>(core_.get(), path_, reload_options);
    broker::ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.policy_reloader = reloader_.get();
    auto started = broker::Server::Start(core_.get(), options);
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = *std::move(started);
  }
  void TearDown() override {
    board_->Release();
    if (server_ != nullptr) server_->Shutdown(absl::Seconds(2));
    server_.reset();
    RunCommand("rm -rf '" + dir_ + "'");
  }

  std::shared_ptr<grpc::Channel> Channel() {
    return grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
  }

  // A session's root handle, for `token`.
  struct Session {
    std::unique_ptr<v1::ObjectBroker::Stub> stub;
    std::string token, id, root;
  };
  Session Open(const std::string& token) {
    Session s;
    s.stub = v1::ObjectBroker::NewStub(Channel());
    s.token = token;
    v1::OpenSessionResponse response;
    EXPECT_TRUE(OpenSession(*s.stub, token, &response).ok());
    s.id = response.session();
    s.root = response.root().id();
    return s;
  }
  static grpc::Status Call(Session& s, const std::string& method, v1::Value* out = nullptr) {
    v1::CallRequest request;
    request.set_session(s.id);
    request.set_handle(s.root);
    request.set_name(method);
    v1::CallResponse response;
    grpc::Status status = s.stub->Call(Context(s.token).get(), request, &response);
    if (out != nullptr) *out = response.result();
    return status;
  }

  grpc::Status AdminReload(const std::string& token, v1::ReloadPolicyResponse* response) {
    auto admin = v1::BrokerAdmin::NewStub(Channel());
    v1::ReloadPolicyRequest request;
    return admin->ReloadPolicy(Context(token).get(), request, response);
  }
  grpc::Status AdminInfo(const std::string& token, v1::PolicyInfo* info) {
    auto admin = v1::BrokerAdmin::NewStub(Channel());
    v1::GetPolicyInfoRequest request;
    return admin->GetPolicyInfo(Context(token).get(), request, info);
  }

  std::string Logs() {
    orb::MutexHold lock(&audit_mu_);
    std::string all;
    for (const auto& l : log_) absl::StrAppend(&all, l, "\n");
    for (const auto& l : audit_) absl::StrAppend(&all, l, "\n");
    return all;
  }

  std::string dir_, path_;
  std::shared_ptr<Switchboard> board_;
  std::unique_ptr<BrokerCore> core_;
  std::unique_ptr<PolicyReloader> reloader_;
  std::unique_ptr<broker::Server> server_;
  absl::Mutex audit_mu_;
  std::vector<std::string> audit_ ABSL_GUARDED_BY(audit_mu_);
  std::vector<std::string> log_ ABSL_GUARDED_BY(audit_mu_);
};

TEST_F(ReloadTest, AReloadChangesDecisionsAtOnce) {
  Session bob = Open(kBobToken);
  EXPECT_TRUE(Call(bob, "ping").ok());
  WriteWholeFile(path_, Policy(kOnlyAliceRuns, 2));
  auto result = reloader_->Reload("test");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->previous_revision, 1u);
  EXPECT_EQ(result->info.revision, 2u);
  EXPECT_TRUE(result->text_changed);
  EXPECT_EQ(core_->policy()->revision(), 2u);
  EXPECT_EQ(Call(bob, "ping").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  Session alice = Open(kAliceToken);
  EXPECT_TRUE(Call(alice, "ping").ok());
}

TEST_F(ReloadTest, AnInvalidFileIsRefusedWithItsErrorsAndTheOldPolicyKeepsServing) {
  Session bob = Open(kBobToken);
  const std::string running_sha = core_->policy()->text_sha256();
  WriteWholeFile(path_, Policy(kOnlyAliceRuns, 2, "no_such_field: 1\n"));
  auto result = reloader_->Reload("test");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("policy.textproto:"));
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("no_such_field"));
  EXPECT_THAT(Logs(), HasSubstr("refused; still running revision 1"));
  EXPECT_THAT(Logs(), HasSubstr(path_ + ":"));  // file:line in the log
  EXPECT_EQ(core_->policy()->text_sha256(), running_sha);
  EXPECT_TRUE(Call(bob, "ping").ok());
  PolicyInfo info = reloader_->info();
  EXPECT_EQ(info.revision, 1u);
  EXPECT_THAT(info.last_error, HasSubstr("no_such_field"));
  // A missing file too.
  RunCommand("rm -f '" + path_ + "'");
  result = reloader_->Reload("test");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(Call(bob, "ping").ok());
}

TEST_F(ReloadTest, ARevisionNeverGoesBackwards) {
  WriteWholeFile(path_, Policy(kEveryoneRuns, 5));
  ASSERT_TRUE(reloader_->Reload("test").ok());
  WriteWholeFile(path_, Policy(kOnlyAliceRuns, 4));
  auto result = reloader_->Reload("test");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("lower than the running revision 5"));
  // Same revision, different text: refused too.
  WriteWholeFile(path_, Policy(kOnlyAliceRuns, 5));
  result = reloader_->Reload("test");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("raise revision"));
  // Unversioned after versioned: lower, refused.
  WriteWholeFile(path_, GadgetPolicy(kOnlyAliceRuns));
  EXPECT_FALSE(reloader_->Reload("test").ok());
  EXPECT_EQ(core_->policy()->revision(), 5u);
  Session bob = Open(kBobToken);
  EXPECT_TRUE(Call(bob, "ping").ok());
  // The same text again is fine (e.g. to pick up a rotated ticket key file).
  WriteWholeFile(path_, Policy(kEveryoneRuns, 5));
  auto same = reloader_->Reload("test");
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_FALSE(same->text_changed);
}

TEST_F(ReloadTest, ACallInFlightFinishesUnderThePolicyItStartedWith) {
  Session bob = Open(kBobToken);
  grpc::Status in_flight;
  v1::Value result;
  // A test that returns early releases the switchboard, so the thread joins
  // at once.
  JoiningThread call([&] { in_flight = Call(bob, "wait", &result); },
                     [board = board_] { board->Release(); });
  ASSERT_TRUE(board_->AwaitStarted(1));
  // bob loses "run" while his wait() is running.
  WriteWholeFile(path_, Policy(kOnlyAliceRuns, 2));
  ASSERT_TRUE(reloader_->Reload("test").ok());
  EXPECT_EQ(Call(bob, "ping").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  board_->Release();
  call.Join();
  EXPECT_TRUE(in_flight.ok()) << in_flight.error_message();
  EXPECT_EQ(result.string_value(), "released");
}

TEST_F(ReloadTest, ReloadsUnderLoadFailNoCallButThePermissionChanges) {
  // alice may always run; bob only under even revisions. Threads hammer
  // while reloads flip the policy; every failure must be bob's
  // PERMISSION_DENIED, nothing else.
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, denied{0}, unexpected{0};
  const auto hammer = [&](int t) {
    Session s = Open(t % 2 == 0 ? kAliceToken : kBobToken);
    while (!stop.load()) {
      grpc::Status status = Call(s, "ping");
      if (status.ok()) {
        ok.fetch_add(1);
      } else if (t % 2 == 1 && status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
        denied.fetch_add(1);
      } else {
        unexpected.fetch_add(1);
        ADD_FAILURE() << "thread " << t << ": " << status.error_code() << " "
                      << status.error_message();
      }
    }
  };
  // A test that returns early stops the threads before joining them.
  std::vector<JoiningThread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&hammer, t] { hammer(t); }, [&stop] { stop = true; });
  }
  for (uint64_t revision = 2; revision <= 41; ++revision) {
    WriteWholeFile(path_, Policy(revision % 2 == 0 ? kEveryoneRuns : kOnlyAliceRuns, revision));
    auto result = reloader_->Reload("test");
    ASSERT_TRUE(result.ok()) << result.status();
    absl::SleepFor(absl::Milliseconds(10));
  }
  stop = true;
  for (auto& t : threads) t.Join();
  EXPECT_EQ(unexpected.load(), 0);
  EXPECT_GT(ok.load(), 0);
  EXPECT_EQ(core_->policy()->revision(), 41u);
}

TEST_F(ReloadTest, TheAdminRpcReloadsOnlyWithThePermission) {
  WriteWholeFile(path_, Policy(kOnlyAliceRuns, 2));
  v1::ReloadPolicyResponse response;
  grpc::Status status = AdminReload("", &response);  // anonymous
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  status = AdminReload(kBobToken, &response);  // bob may only view
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("policy.reload"));
  status = AdminReload("wrong-token", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(core_->policy()->revision(), 1u);

  status = AdminReload(kAliceToken, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.previous_revision(), 1u);
  EXPECT_EQ(response.info().revision(), 2u);
  EXPECT_EQ(core_->policy()->revision(), 2u);

  v1::PolicyInfo info;
  status = AdminInfo(kBobToken, &info);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(info.file(), path_);
  EXPECT_EQ(info.revision(), 2u);
  EXPECT_EQ(info.sha256(), core_->policy()->text_sha256());
  EXPECT_EQ(info.sha256().size(), 64u);
  EXPECT_FALSE(info.loaded_at().empty());
  EXPECT_EQ(info.reloads(), 2u);
  EXPECT_EQ(AdminInfo("", &info).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // An invalid file through the RPC: INVALID_ARGUMENT with file:line.
  WriteWholeFile(path_, Policy(kOnlyAliceRuns, 3, "bogus: true\n"));
  status = AdminReload(kAliceToken, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("policy.textproto:"));
  ASSERT_TRUE(AdminInfo(kAliceToken, &info).ok());
  EXPECT_EQ(info.revision(), 2u);
  EXPECT_THAT(info.last_error(), HasSubstr("bogus"));
  // Every record of a reload spells the op one way and names its actor.
  const std::string logs = Logs();
  EXPECT_THAT(logs, Not(HasSubstr("\"op\":\"ReloadPolicy\"")));
  EXPECT_THAT(logs, HasSubstr("\"user\":\"alice\",\"authn\":\"bearer\",\"op\":"
                              "\"reload_policy\",\"name\":\"admin_rpc\",\"decision\":\"allowed\""));
  EXPECT_THAT(logs, HasSubstr("\"user\":\"alice\",\"authn\":\"bearer\",\"op\":"
                              "\"reload_policy\",\"name\":\"admin_rpc\",\"decision\":\"rejected\""));
  EXPECT_THAT(logs, HasSubstr("\"op\":\"get_policy_info\""));
  EXPECT_THAT(logs, Not(HasSubstr("admin RPC by")));
}

TEST_F(ReloadTest, APolicyWithoutAdminRefusesEveryAdminCall) {
  WriteWholeFile(path_, GadgetPolicy(kEveryoneRuns, "revision: 2\n"));
  ASSERT_TRUE(reloader_->Reload("test").ok());
  v1::ReloadPolicyResponse response;
  grpc::Status status = AdminReload(kAliceToken, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("no admin section"));
  v1::PolicyInfo info;
  EXPECT_EQ(AdminInfo(kAliceToken, &info).error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST(AdminPolicy, AnAdminSectionWithoutAclIsALoadError) {
  policy::LoadResult result =
      policy::CompilePolicyText("admin {}\n", "admin.textproto");
  ASSERT_FALSE(result.errors.empty());
  EXPECT_THAT(result.errors.front().ToString(), HasSubstr("admin.textproto:1: admin has no acl"));
}

}  // namespace
}  // namespace orb::testing
