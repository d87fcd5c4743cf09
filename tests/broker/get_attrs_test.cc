// BrokerCore::GetAttrs: several attributes in one call, each name gated as
// its GetAttr; names the caller may not read are left out.
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "orb/broker/binding.h"
#include "orb/policy/olp.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/broker_fixture.h"

namespace orb::testing {

using orb::broker::Concurrency;
using orb::broker::Object;
using orb::broker::TypeBuilder;
using orb::broker::TypeRegistry;
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

absl::StatusOr<v1::GetAttrsResponse> Snapshot(Harness& h, Client& c, const std::string& handle,
                                              std::vector<std::string> names) {
  v1::GetAttrsRequest req;
  req.set_session(c.session());
  req.set_handle(handle);
  for (std::string& n : names) req.add_names(std::move(n));
  v1::GetAttrsResponse resp;
  absl::Status s = h.core().GetAttrs(c.ctx(), req, &resp);
  if (!s.ok()) return s;
  return resp;
}

std::vector<std::string> Names(const v1::GetAttrsResponse& resp) {
  std::vector<std::string> names;
  for (const auto& [name, value] : resp.values()) names.push_back(name);
  return names;
}

TEST(GetAttrs, ReturnsEveryNamedAttributeInOneCall) {
  Harness h;
  Client bob(h, Bob());
  bob.Open();
  auto resp = Snapshot(h, bob, bob.root().id(), {"title", "entry_count"});
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_THAT(Names(*resp), UnorderedElementsAre("title", "entry_count"));
  EXPECT_EQ(resp->values().at("title").string_value(), "Pyramid blog");
  EXPECT_EQ(resp->values().at("entry_count").int_value(), 0);
}

TEST(GetAttrs, ANameTheCallerMayNotReadIsLeftOutAsIfItDidNotExist) {
  Harness h;
  Client bob(h, Bob());
  bob.Open();
  // Hidden by the OLP, not there at all, and a method: all three absent.
  auto resp = Snapshot(h, bob, bob.root().id(), {"_secret", "title", "no_such", "add_entry"});
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_THAT(Names(*resp), ElementsAre("title"));
}

TEST(GetAttrs, WhenEveryNameIsRefusedTheFirstNamesErrorIsTheAnswer) {
  Harness h;
  Client bob(h, Bob());
  bob.Open();
  absl::Status unary = bob.Get(bob.root(), "_secret").status();
  auto resp = Snapshot(h, bob, bob.root().id(), {"_secret", "no_such"});
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status(), unary);
  EXPECT_EQ(Reason(resp.status()), "NAME_NOT_FOUND");
}

TEST(GetAttrs, AnEntrysOwnerTitleAndBodyComeTogether) {
  Harness h;
  Client bob(h, Bob());
  bob.Open();
  auto added = bob.Call(bob.root(), "add_entry", {Str("T"), Str("B")});
  ASSERT_TRUE(added.ok()) << added.status();
  auto resp = Snapshot(h, bob, added->handle().id(), {"owner", "title", "body", "owner"});
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_THAT(Names(*resp), UnorderedElementsAre("owner", "title", "body"));
  EXPECT_EQ(resp->values().at("owner").string_value(), "bob");
}

TEST(GetAttrs, ASessionOrHandleErrorFailsTheWholeCall) {
  Harness h;
  Client bob(h, Bob());
  bob.Open();
  Client alice(h, Alice());
  alice.Open();
  auto foreign = Snapshot(h, bob, alice.root().id(), {"title"});
  EXPECT_EQ(Reason(foreign.status()), "HANDLE_NOT_FOUND");
  bob.set_session(alice.session());
  auto stolen = Snapshot(h, bob, alice.root().id(), {"title"});
  EXPECT_EQ(Reason(stolen.status()), "SESSION_NOT_FOUND");
}

TEST(GetAttrs, NoNamesOrMoreThanTheLimitIsRefused) {
  Harness h;
  Client bob(h, Bob());
  bob.Open();
  auto none = Snapshot(h, bob, bob.root().id(), {});
  EXPECT_EQ(none.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(none.status().message(), HasSubstr("at least one"));
  auto many = Snapshot(h, bob, bob.root().id(), std::vector<std::string>(65, "title"));
  EXPECT_EQ(many.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(many.status().message(), HasSubstr("max_batch_operations"));
}

// A type with one member that may block (the default) and one that never
// does, every name readable by everyone.
class Probe final : public Object {
 public:
  int64_t Slow() const { return 1; }
  int64_t Fast() const { return 2; }
};

void RegisterProbe(TypeRegistry& registry) {
  policy::Olp::Builder olp;
  olp.Expose(policy::View::kInstance, policy::Op::kGetAttr, "*", policy::Lock::Permission("view"));
  TypeBuilder<Probe> probe("test.Probe");
  probe.Property("slow", &Probe::Slow)
      .Property("fast", &Probe::Fast)
      .Acl({policy::AceSpec::Allow(std::string(policy::kEveryone), "view")})
      .Olp(olp.Build())
      .Concurrency(Concurrency::kThreadSafe)
      .NonBlocking({"fast"});
  ASSERT_TRUE(registry.Register(std::move(probe)).ok());
}

TEST(GetAttrs, OnAThreadThatMustNotBlockAMemberThatMayBlockHandsTheWholeCallBack) {
  Harness h(kBasePolicy, RegisterProbe, std::make_shared<Probe>());
  Client bob(h, Bob());
  bob.Open();
  broker::DeferredCall deferred;
  bob.ctx().defer = &deferred;
  // Only members that never block: answered at once.
  auto fast = Snapshot(h, bob, bob.root().id(), {"fast", "nope"});
  ASSERT_TRUE(fast.ok()) << fast.status();
  EXPECT_FALSE(deferred.pending());
  EXPECT_THAT(Names(*fast), ElementsAre("fast"));
  // One that may block: handed back untouched, then run entire.
  auto first = Snapshot(h, bob, bob.root().id(), {"fast", "slow"});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(deferred.pending());
  EXPECT_TRUE(first->values().empty());
  auto second = Snapshot(h, bob, bob.root().id(), {"fast", "slow"});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(deferred.pending());
  EXPECT_THAT(Names(*second), UnorderedElementsAre("fast", "slow"));
  EXPECT_EQ(second->values().at("slow").int_value(), 1);
}

TEST(CallByValue, AReturnedObjectComesAsAMapOfWhatTheCallerMayReadAndNoHandleStays) {
  Harness h;
  Client bob(h, Bob());
  bob.Open();
  const size_t handles_before = h.core().handle_count();
  v1::CallRequest req;
  req.set_session(bob.session());
  req.set_handle(bob.root().id());
  req.set_name("add_entry");
  *req.add_args() = Str("T");
  *req.add_args() = Str("B");
  req.set_by_value(true);
  v1::CallResponse resp;
  absl::Status s = h.core().Call(bob.ctx(), req, &resp);
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_TRUE(resp.result().has_map_value()) << resp.DebugString();
  const auto& fields = resp.result().map_value().fields();
  EXPECT_EQ(fields.at("owner").string_value(), "bob");
  EXPECT_EQ(fields.at("title").string_value(), "T");
  EXPECT_EQ(fields.at("body").string_value(), "B");
  EXPECT_EQ(fields.count("delete"), 0u) << "a method is no attribute";
  EXPECT_EQ(h.core().handle_count(), handles_before);
  ASSERT_EQ(h.blog()->Entries().size(), 1u);
}

TEST(CallByValue, AResultThatIsNoObjectIsUnchanged) {
  Harness h;
  Client bob(h, Bob());
  bob.Open();
  v1::CallRequest req;
  req.set_session(bob.session());
  req.set_handle(bob.root().id());
  req.set_name("entries");
  req.set_by_value(true);
  v1::CallResponse resp;
  ASSERT_TRUE(h.core().Call(bob.ctx(), req, &resp).ok());
  EXPECT_TRUE(resp.result().has_list_value());
}

}  // namespace
}  // namespace orb::testing
