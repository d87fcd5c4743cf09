// CoreCounters: each gate decision of the core increments exactly one
// (gate, result, reason) counter, and each refusal one (authn, cause)
// counter; label tables and name mappings are fixed.
#include "broker/core_counters.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/testing/broker_fixture.h"

namespace orb::testing {
namespace {

using broker::AuthnKind;
using broker::CoreCounters;
using broker::GateDecision;
using broker::RefusalCause;

// Every decision counter, in GateDecision order.
std::vector<uint64_t> Decisions(const CoreCounters& c) {
  std::vector<uint64_t> out;
  for (int i = 0; i < broker::kGateDecisions; ++i) {
    out.push_back(c.decisions(static_cast<GateDecision>(i)));
  }
  return out;
}

// `before` with one more at `decision`.
std::vector<uint64_t> PlusOne(std::vector<uint64_t> before, GateDecision decision) {
  ++before[static_cast<int>(decision)];
  return before;
}

TEST(CoreCounters, EachGatedOperationCountsOneDecision) {
  Harness h;
  Client bob(h, Bob());
  bob.Open();
  Client anonymous(h, Anonymous());
  anonymous.Open();
  const CoreCounters& c = h.core().counters();

  std::vector<uint64_t> before = Decisions(c);
  ASSERT_TRUE(bob.Get(bob.root(), "title").ok());
  EXPECT_EQ(Decisions(c), PlusOne(before, GateDecision::kAclAllowed));

  before = Decisions(c);
  EXPECT_FALSE(bob.Get(bob.root(), "_secret").ok());
  EXPECT_EQ(Decisions(c), PlusOne(before, GateDecision::kOlpNotExposed));

  before = Decisions(c);
  EXPECT_FALSE(bob.Get(bob.root(), "no_such_name").ok());
  EXPECT_EQ(Decisions(c), PlusOne(before, GateDecision::kOlpNoSuchMember));

  before = Decisions(c);
  EXPECT_FALSE(anonymous.Set(anonymous.root(), "title", Str("x")).ok());
  EXPECT_EQ(Decisions(c), PlusOne(before, GateDecision::kAclDenied));

  // Refused before any gate (an unknown handle): no decision.
  before = Decisions(c);
  v1::HandleRef unknown;
  unknown.set_id(std::string(32, 'a'));
  EXPECT_FALSE(bob.Get(unknown, "title").ok());
  EXPECT_EQ(Decisions(c), before);

  EXPECT_EQ(c.refusals(AuthnKind::kBearer, RefusalCause::kGate), 2u);
  EXPECT_EQ(c.refusals(AuthnKind::kAnonymous, RefusalCause::kGate), 1u);
  EXPECT_EQ(c.refusals(AuthnKind::kNone, RefusalCause::kUnauthenticated), 0u);
}

TEST(CoreCounters, NamesMapToFixedKinds) {
  EXPECT_EQ(broker::AuthnKindOf("anonymous"), AuthnKind::kAnonymous);
  EXPECT_EQ(broker::AuthnKindOf("bearer"), AuthnKind::kBearer);
  EXPECT_EQ(broker::AuthnKindOf("ticket"), AuthnKind::kTicket);
  EXPECT_EQ(broker::AuthnKindOf("mtls"), AuthnKind::kMtls);
  EXPECT_EQ(broker::AuthnKindOf("alice"), AuthnKind::kNone);
  EXPECT_EQ(broker::ReloadTriggerOf("SIGHUP"), broker::ReloadTrigger::kSighup);
  EXPECT_EQ(broker::ReloadTriggerOf("admin_rpc"), broker::ReloadTrigger::kAdminRpc);
  EXPECT_EQ(broker::ReloadTriggerOf("test"), broker::ReloadTrigger::kOther);
}

TEST(CoreCounters, RefusalPairsAreTheNineThatHappen) {
  int pairs = 0;
  for (int k = 0; k < broker::kAuthnKinds; ++k) {
    for (int r = 0; r < broker::kRefusalCauses; ++r) {
      pairs += broker::RefusalPairExists(static_cast<AuthnKind>(k), static_cast<RefusalCause>(r));
    }
  }
  EXPECT_EQ(pairs, 9);  // 4 kinds x (gate, identity_busy) + (none, unauthenticated)
}

}  // namespace
}  // namespace orb::testing
