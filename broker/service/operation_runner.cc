#include "broker/service/operation_runner.h"

#include <string>
#include <utility>

#include "absl/time/clock.h"
#include "orb/broker/audit.h"
#include "orb/v1/error_details.pb.h"

namespace orb::broker {

absl::StatusOr<policy::Identity> OperationRunner::Authenticate(
    const policy::CompiledPolicy& policy, const policy::CallCredentials& credentials,
    absl::string_view peer, absl::string_view rpc) const {
  absl::StatusOr<policy::Identity> identity =
      policy.authenticator().Authenticate(credentials, absl::Now());
  CoreCounters& counters = core_->counters();
  if (identity.ok()) {
    counters.Count(GateDecision::kAuthnAllowed);
    return identity;
  }
  counters.Count(GateDecision::kAuthnRefused);
  counters.CountRefusal(AuthnKind::kNone, RefusalCause::kUnauthenticated);
  if (core_->auditing()) {
    AuditRecord record;
    record.event = "authenticate";
    record.peer = std::string(peer);
    record.op = AuditOpName(rpc);
    record.decision = "unauthenticated";
    record.code = "UNAUTHENTICATED";
    // The authenticator's messages never contain the credential.
    record.reason = std::string(identity.status().message());
    record.policy_revision = policy.revision();
    core_->Audit(std::move(record));
  }
  return WithErrorInfo(identity.status(), v1::UNAUTHENTICATED, v1::GATE_AUTHN);
}

absl::Status OperationRunner::Busy() {
  return WithErrorInfo(
      absl::ResourceExhaustedError(
          "the broker is busy: every method thread is running and the queue is full; retry "
          "later"),
      v1::BROKER_BUSY, v1::GATE_QUOTA);
}

}  // namespace orb::broker
