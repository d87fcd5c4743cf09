// The shadow policy: every gated operation decided a second time under
// another policy, to try a change on real traffic before it bites. The
// answer is always the live policy's; the shadow's outcome is tallied and a
// disagreement audited (event "shadow", both decisions).

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/sync.h"
#include "broker/audit_records.h"
#include "broker/core_impl.h"
#include "broker/lineage.h"

namespace orb::broker {

static_assert(static_cast<int>(policy::GateOutcome::kNotExposed) ==
                  static_cast<int>(BrokerCore::GateOutcome::kNotExposed) &&
              static_cast<int>(policy::GateOutcome::kDenied) ==
                  static_cast<int>(BrokerCore::GateOutcome::kDenied) &&
              static_cast<int>(policy::GateOutcome::kAllowed) ==
                  static_cast<int>(BrokerCore::GateOutcome::kAllowed),
              "BrokerCore::GateOutcome mirrors policy::GateOutcome");

const char* BrokerCore::GateOutcomeName(GateOutcome outcome) {
  switch (outcome) {
    case GateOutcome::kNotExposed:
      return "not_exposed";
    case GateOutcome::kDenied:
      return "denied";
    case GateOutcome::kAllowed:
      return "allowed";
  }
  return "";
}

void BrokerCore::SetShadowPolicy(policy::PolicyPtr shadow) {
  policy::PolicyPtr old;
  {
    orb::MutexHold lock(&impl_->policy_mu);
    old = std::move(impl_->shadow_policy);
    impl_->shadow_policy = std::move(shadow);
    impl_->has_shadow.store(impl_->shadow_policy != nullptr, std::memory_order_relaxed);
  }
  // `old` is released here, outside the lock.
}

void BrokerCore::SetPolicies(policy::PolicyPtr policy, policy::PolicyPtr shadow) {
  policy::PolicyPtr old_policy, old_shadow;
  {
    orb::MutexHold lock(&impl_->policy_mu);
    old_policy = std::move(impl_->policy);
    old_shadow = std::move(impl_->shadow_policy);
    impl_->policy = std::move(policy);
    impl_->shadow_policy = std::move(shadow);
    impl_->has_shadow.store(impl_->shadow_policy != nullptr, std::memory_order_relaxed);
  }
}

policy::PolicyPtr BrokerCore::shadow_policy() const { return impl_->CurrentShadowPolicy(); }

BrokerCore::ShadowTally BrokerCore::shadow_tally() const {
  ShadowTally tally;
  for (int live = 0; live < kGateOutcomes; ++live) {
    for (int shadow = 0; shadow < kGateOutcomes; ++shadow) {
      tally.counts[live][shadow] =
          impl_->shadow_counts[live * kGateOutcomes + shadow].load(std::memory_order_relaxed);
    }
  }
  return tally;
}

policy::PolicyPtr BrokerCore::Impl::CurrentShadowPolicy() const {
  // A relaxed load first: without a shadow, calls never take the lock.
  if (!has_shadow.load(std::memory_order_relaxed)) return nullptr;
  orb::ReaderMutexHold lock(&policy_mu);
  return shadow_policy;
}

void BrokerCore::Impl::ShadowGate(const RequestContext& ctx, const Op& op, policy::Op kind,
                                  absl::string_view name, bool supports,
                                  BrokerCore::GateOutcome live,
                                  absl::string_view live_permission) const {
  policy::PolicyPtr shadow = CurrentShadowPolicy();
  if (shadow == nullptr) return;
  // The same facts, gathered again under the shadow: it may want lineage
  // paths (path ACLs) where the live policy does not.
  Op shadow_op = op;
  shadow_op.policy = shadow;
  policy::OlpPtr object_olp;
  policy::Authorizer authz(shadow.get(), TargetFactsOf(shadow_op, &object_olp));
  BrokerCore::GateOutcome outcome = BrokerCore::GateOutcome::kNotExposed;
  std::string permission, explain;
  // As Gate: a name the member cannot serve exists only where exposed.
  if (supports || authz.Exposes(kind, name)) {
    LineageFacts lineage;
    if (!WalkLineage(shadow_op, *registry, root, &lineage).ok()) return;  // detached: no decision
    authz.SetLineage(lineage.nodes, &lineage);
    const policy::Decision decision = authz.Decide(SubjectOf(shadow_op), kind, name);
    outcome = static_cast<BrokerCore::GateOutcome>(static_cast<int>(decision.outcome()));
    permission = std::string(decision.permission());
    if (outcome != live && auditing()) explain = decision.Explain();
  } else if (outcome != live && auditing()) {
    explain = "the shadow policy's OLP does not expose the name for this operation";
  }
  shadow_counts[static_cast<int>(live) * BrokerCore::kGateOutcomes + static_cast<int>(outcome)]
      .fetch_add(1, std::memory_order_relaxed);
  if (outcome == live || !auditing()) return;
  GateFacts facts;
  facts.kind = kind;
  facts.type = op.target.type;
  facts.view = op.view;
  facts.session_id = op.session->id();
  facts.handle_id = op.handle_id;
  facts.name = name;
  facts.decision = BrokerCore::GateOutcomeName(live);
  facts.policy_revision = op.policy != nullptr ? op.policy->revision() : 0;
  AuditRecord r =
      GateRecord(ctx, facts, std::string(live_permission), absl::OkStatus(), std::move(explain));
  r.event = "shadow";
  r.shadow_decision = BrokerCore::GateOutcomeName(outcome);
  r.shadow_permission = std::move(permission);
  r.shadow_policy_revision = shadow->revision();
  RedactIdsInRecord(&r);
  options.audit(r);
}

}  // namespace orb::broker
