// CoreCounters: what the broker counts for its operators (gate decisions,
// refusals by kind of identity, policy reloads), as relaxed atomics in
// fixed arrays indexed by small enums. Counting costs one uncontended-ish
// atomic add and never allocates or looks anything up by string, so it
// runs on every call; the counts are read only when someone asks (orbd's
// /metrics, broker/metrics/). No gRPC and no Prometheus here: the core
// counts, an exporter outside it decides how counts are shown.
//
// Every label value an exporter may show is in the tables below; none is
// taken from a request, so the number of series is fixed.
//
// Thread-safety: every method may be called concurrently. Reads are
// relaxed: a reader sees each count at some recent value, not a snapshot
// of all counts at one instant.
#ifndef ORB_BROKER_CORE_COUNTERS_H_
#define ORB_BROKER_CORE_COUNTERS_H_

#include <array>
#include <atomic>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace orb::broker {

// How one decision at one gate ended. Each decision increments exactly one
// of these. `gate` is where it was made (authn: authentication; olp: the
// Object Lock Profile; acl: the ACL over the lineage; admin: the admin ACL).
enum class GateDecision : int {
  kAuthnAllowed = 0,
  kAuthnRefused,
  kOlpNoSuchMember,     // the type has no member of that name
  kOlpNotExposed,       // the OLP does not expose the name for this operation
  kOlpWrongMemberKind,  // exposed and permitted, but the member cannot do it
  kAclDetachedLineage,  // an ancestor is gone: not decided on a shorter lineage
  kAclDenied,
  kAclAllowed,  // through both gates: the member may run
  kAdminAllowed,
  kAdminDenied,
  kCount,
};
inline constexpr int kGateDecisions = static_cast<int>(GateDecision::kCount);

struct GateDecisionLabels {
  const char* gate;
  const char* result;  // "allowed" or "refused"
  const char* reason;
};
// Indexed by GateDecision.
inline constexpr std::array<GateDecisionLabels, kGateDecisions> kGateDecisionLabels = {{
    {"authn", "allowed", "authenticated"},
    {"authn", "refused", "unauthenticated"},
    {"olp", "refused", "no_such_member"},
    {"olp", "refused", "not_exposed"},
    {"olp", "refused", "wrong_member_kind"},
    {"acl", "refused", "detached_lineage"},
    {"acl", "refused", "denied"},
    {"acl", "allowed", "granted"},
    {"admin", "allowed", "granted"},
    {"admin", "refused", "denied"},
}};

// How the refused caller authenticated: policy::Identity::method, or kNone
// for a call that authentication itself refused. Userids are never
// counted: their number is unbounded and they are personal data.
enum class AuthnKind : int { kAnonymous = 0, kBearer, kTicket, kMtls, kNone, kCount };
inline constexpr int kAuthnKinds = static_cast<int>(AuthnKind::kCount);
inline constexpr std::array<const char*, kAuthnKinds> kAuthnKindNames = {
    "anonymous", "bearer", "ticket", "mtls", "none"};
// `method` as policy::Identity spells it; an unknown spelling is kNone.
AuthnKind AuthnKindOf(absl::string_view method);

// Why a caller was refused: a gate (OLP, ACL or admin ACL), its
// per-identity member-call cap (IDENTITY_BUSY), or authentication.
enum class RefusalCause : int { kGate = 0, kIdentityBusy, kUnauthenticated, kCount };
inline constexpr int kRefusalCauses = static_cast<int>(RefusalCause::kCount);
inline constexpr std::array<const char*, kRefusalCauses> kRefusalCauseNames = {
    "gate", "identity_busy", "unauthenticated"};
// The pairs that can happen: kNone goes with kUnauthenticated and only
// with it.
constexpr bool RefusalPairExists(AuthnKind kind, RefusalCause cause) {
  return (kind == AuthnKind::kNone) == (cause == RefusalCause::kUnauthenticated);
}

// What asked for a policy reload (PolicyReloader::Reload's trigger).
enum class ReloadTrigger : int { kSighup = 0, kAdminRpc, kOther, kCount };
inline constexpr int kReloadTriggers = static_cast<int>(ReloadTrigger::kCount);
inline constexpr std::array<const char*, kReloadTriggers> kReloadTriggerNames = {
    "sighup", "admin_rpc", "other"};
// "SIGHUP" and "admin_rpc" as the reloader is told them; anything else kOther.
ReloadTrigger ReloadTriggerOf(absl::string_view trigger);
inline constexpr int kReloadResults = 2;
inline constexpr std::array<const char*, kReloadResults> kReloadResultNames = {"ok", "refused"};

class CoreCounters {
 public:
  void Count(GateDecision decision) {
    Add(&decisions_[static_cast<int>(decision)]);
  }
  void CountRefusal(AuthnKind kind, RefusalCause cause) {
    Add(&refusals_[static_cast<int>(kind) * kRefusalCauses + static_cast<int>(cause)]);
  }
  // A gate refused a caller who authenticated as `method`: the decision
  // and the refusal, in one call.
  void CountGateRefusal(GateDecision decision, absl::string_view method) {
    Count(decision);
    CountRefusal(AuthnKindOf(method), RefusalCause::kGate);
  }
  void CountReload(ReloadTrigger trigger, bool ok) {
    Add(&reloads_[static_cast<int>(trigger) * kReloadResults + (ok ? 0 : 1)]);
  }

  uint64_t decisions(GateDecision decision) const {
    return decisions_[static_cast<int>(decision)].load(std::memory_order_relaxed);
  }
  uint64_t refusals(AuthnKind kind, RefusalCause cause) const {
    return refusals_[static_cast<int>(kind) * kRefusalCauses + static_cast<int>(cause)].load(
        std::memory_order_relaxed);
  }
  uint64_t reloads(ReloadTrigger trigger, bool ok) const {
    return reloads_[static_cast<int>(trigger) * kReloadResults + (ok ? 0 : 1)].load(
        std::memory_order_relaxed);
  }

 private:
  static void Add(std::atomic<uint64_t>* counter) {
    counter->fetch_add(1, std::memory_order_relaxed);
  }

  std::array<std::atomic<uint64_t>, kGateDecisions> decisions_{};
  std::array<std::atomic<uint64_t>, kAuthnKinds * kRefusalCauses> refusals_{};
  std::array<std::atomic<uint64_t>, kReloadTriggers * kReloadResults> reloads_{};
};

}  // namespace orb::broker

#endif  // ORB_BROKER_CORE_COUNTERS_H_
