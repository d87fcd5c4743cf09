// The shadow policy: every gated operation is decided under it too, the
// answer never changes, each decision is tallied by live and shadow outcome
// and each disagreement is audited with both decisions. Reloaded with the
// main policy: both compile or neither is swapped in.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "broker/policy_reloader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/broker_fixture.h"

namespace orb::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using Outcome = BrokerCore::GateOutcome;

// Only authenticated callers may view the blog (anonymous may today).
const std::string kAuthenticatedOnly = kBasePolicy + R"pb(
  revision: 7
  type {
    name: "demo.Blog"
    acl {
      ace { action: ALLOW principal: "system.Authenticated" permissions: [ "view", "add" ] }
      ace { deny_all: true }
    }
  }
)pb";
// The blog exposes only entry_count for reading.
const std::string kOnlyEntryCount = kBasePolicy + R"pb(
  type {
    name: "demo.Blog"
    olp { instance { getattr { name: "entry_count" permission: "view" } } }
  }
)pb";

uint64_t Count(const BrokerCore::ShadowTally& t, Outcome live, Outcome shadow) {
  return t.counts[static_cast<int>(live)][static_cast<int>(shadow)];
}

uint64_t Total(const BrokerCore::ShadowTally& t) {
  uint64_t n = 0;
  for (const auto& row : t.counts) {
    for (uint64_t c : row) n += c;
  }
  return n;
}

class ShadowPolicyTest : public ::testing::Test {
 protected:
  ShadowPolicyTest() {
    auto registry = std::make_shared<TypeRegistry>();
    EXPECT_TRUE(demo::RegisterBlogTypes(*registry).ok());
    BrokerCore::Options options;
    options.audit = [this](const broker::AuditRecord& r) {
      orb::MutexHold lock(&mu_);
      records_.push_back(broker::AuditRecordToJson(r));
    };
    core_ = std::make_unique<BrokerCore>(registry, demo::MakeBlog("Pyramid blog"),
                                         CompilePolicy(kBasePolicy), std::move(options));
  }

  // The audit records of event "shadow".
  std::vector<std::string> ShadowRecords() {
    orb::MutexHold lock(&mu_);
    std::vector<std::string> out;
    for (const std::string& r : records_) {
      if (r.find(R"("event":"shadow")") != std::string::npos) out.push_back(r);
    }
    return out;
  }

  absl::StatusOr<v1::Value> GetTitle(const policy::Identity& who) {
    v1::OpenSessionResponse opened;
    RequestContext ctx;
    ctx.identity = who;
    absl::Status s = core_->OpenSession(ctx, v1::OpenSessionRequest(), &opened);
    if (!s.ok()) return s;
    v1::GetAttrRequest req;
    req.set_session(opened.session());
    req.set_handle(opened.root().id());
    req.set_name("title");
    v1::GetAttrResponse resp;
    s = core_->GetAttr(ctx, req, &resp);
    if (!s.ok()) return s;
    return resp.value();
  }

  absl::Mutex mu_;
  std::vector<std::string> records_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<BrokerCore> core_;
};

TEST_F(ShadowPolicyTest, WithoutAShadowNothingIsTalliedOrAudited) {
  ASSERT_THAT(GetTitle(Anonymous()), IsOk());
  EXPECT_EQ(Total(core_->shadow_tally()), 0u);
  EXPECT_THAT(ShadowRecords(), IsEmpty());
  EXPECT_EQ(core_->shadow_policy(), nullptr);
}

TEST_F(ShadowPolicyTest, AnAclDisagreementKeepsTheLiveAnswerAndIsAuditedWithBoth) {
  core_->SetShadowPolicy(CompilePolicy(kAuthenticatedOnly));
  // Anonymous: allowed live, denied by the shadow; the answer is the live one.
  absl::StatusOr<v1::Value> title = GetTitle(Anonymous());
  ASSERT_THAT(title, IsOk());
  EXPECT_EQ(title->string_value(), "Pyramid blog");
  // Bob: allowed by both.
  ASSERT_THAT(GetTitle(Bob()), IsOk());

  const BrokerCore::ShadowTally tally = core_->shadow_tally();
  EXPECT_EQ(Count(tally, Outcome::kAllowed, Outcome::kDenied), 1u);
  EXPECT_EQ(Count(tally, Outcome::kAllowed, Outcome::kAllowed), 1u);
  EXPECT_EQ(Total(tally), 2u);

  const std::vector<std::string> records = ShadowRecords();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_THAT(records[0],
              AllOf(HasSubstr(R"("user":null,"authn":"anonymous")"),
                    HasSubstr(R"("type":"demo.Blog","view":"instance","op":"getattr","name":"title")"),
                    HasSubstr(R"("decision":"allowed","permission":"view")"),
                    HasSubstr(R"("shadow_decision":"denied","shadow_permission":"view","shadow_policy_revision":7)"),
                    HasSubstr("ACLDenied")));
}

TEST_F(ShadowPolicyTest, AnOlpDisagreementIsNotExposedInTheShadow) {
  core_->SetShadowPolicy(CompilePolicy(kOnlyEntryCount));
  ASSERT_THAT(GetTitle(Bob()), IsOk());
  EXPECT_EQ(Count(core_->shadow_tally(), Outcome::kAllowed, Outcome::kNotExposed), 1u);
  const std::vector<std::string> records = ShadowRecords();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_THAT(records[0], HasSubstr(R"("shadow_decision":"not_exposed")"));
}

TEST_F(ShadowPolicyTest, ADeniedLiveCallStaysDeniedWhenTheShadowWouldAllowIt) {
  // Live: the shadow of the shadow test above; the shadow: the base policy.
  core_->SetPolicies(CompilePolicy(kAuthenticatedOnly), CompilePolicy(kBasePolicy));
  EXPECT_THAT(GetTitle(Anonymous()), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(Count(core_->shadow_tally(), Outcome::kDenied, Outcome::kAllowed), 1u);
  const std::vector<std::string> records = ShadowRecords();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_THAT(records[0], AllOf(HasSubstr(R"("decision":"denied")"),
                                HasSubstr(R"("shadow_decision":"allowed")"),
                                HasSubstr(R"("policy_revision":7)")));
}

TEST_F(ShadowPolicyTest, RemovingTheShadowStopsTheSecondDecision) {
  core_->SetShadowPolicy(CompilePolicy(kAuthenticatedOnly));
  ASSERT_THAT(GetTitle(Anonymous()), IsOk());
  core_->SetShadowPolicy(nullptr);
  ASSERT_THAT(GetTitle(Anonymous()), IsOk());
  EXPECT_EQ(Total(core_->shadow_tally()), 1u);
  EXPECT_EQ(ShadowRecords().size(), 1u);
}

// The reloader reloads both files, or neither.
class ShadowReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    live_ = dir_ + "/policy.textproto";
    shadow_ = dir_ + "/shadow.textproto";
    WriteWholeFile(live_, kBasePolicy);
    WriteWholeFile(shadow_, kAuthenticatedOnly);
    auto registry = std::make_shared<TypeRegistry>();
    ASSERT_TRUE(demo::RegisterBlogTypes(*registry).ok());
    core_ = std::make_unique<BrokerCore>(registry, demo::MakeBlog(), CompilePolicy(kBasePolicy),
                                         BrokerCore::Options());
    core_->SetShadowPolicy(CompilePolicy(kAuthenticatedOnly));
    broker::PolicyReloader::Options options;
    options.shadow_path = shadow_;
    reloader_ = std::make_unique<broker::PolicyReloader>(core_.get(), live_, options);
  }
  void TearDown() override { RunCommand("rm -rf '" + dir_ + "'"); }

  std::string dir_, live_, shadow_;
  std::unique_ptr<BrokerCore> core_;
  std::unique_ptr<broker::PolicyReloader> reloader_;
};

TEST_F(ShadowReloadTest, ReportsTheShadowItRuns) {
  const broker::PolicyInfo info = reloader_->info();
  EXPECT_EQ(info.shadow_file, shadow_);
  EXPECT_EQ(info.shadow_revision, 7u);
  EXPECT_EQ(info.shadow_sha256, core_->shadow_policy()->text_sha256());
}

TEST_F(ShadowReloadTest, AShadowThatDoesNotCompileRefusesTheWholeReload) {
  const policy::PolicyPtr live_before = core_->policy();
  const policy::PolicyPtr shadow_before = core_->shadow_policy();
  WriteWholeFile(live_, kBasePolicy + "revision: 2\n");
  WriteWholeFile(shadow_, "type { name: \"demo.Blog\" acl { ace { action: MAYBE } } }\n");
  absl::StatusOr<broker::PolicyReloader::Result> result = reloader_->Reload("test");
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kInvalidArgument,
                               AllOf(HasSubstr("shadow policy: "), HasSubstr(shadow_ + ":1"))));
  EXPECT_EQ(core_->policy(), live_before);
  EXPECT_EQ(core_->shadow_policy(), shadow_before);
  EXPECT_THAT(reloader_->info().last_error, HasSubstr("shadow policy"));
}

TEST_F(ShadowReloadTest, AGoodReloadSwapsBoth) {
  WriteWholeFile(live_, kBasePolicy + "revision: 2\n");
  WriteWholeFile(shadow_, kOnlyEntryCount + "revision: 3\n");
  absl::StatusOr<broker::PolicyReloader::Result> result = reloader_->Reload("test");
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(core_->policy()->revision(), 2u);
  EXPECT_EQ(core_->shadow_policy()->revision(), 3u);
  EXPECT_EQ(result->info.shadow_revision, 3u);
}

TEST_F(ShadowReloadTest, AMissingShadowFileRefusesTheReload) {
  const policy::PolicyPtr shadow_before = core_->shadow_policy();
  RunCommand("rm '" + shadow_ + "'");
  EXPECT_THAT(reloader_->Reload("test"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("shadow policy: ")));
  EXPECT_EQ(core_->shadow_policy(), shadow_before);
}

}  // namespace
}  // namespace orb::testing
