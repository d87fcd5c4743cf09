#include "broker/core_counters.h"

namespace orb::broker {

AuthnKind AuthnKindOf(absl::string_view method) {
  // policy::Identity::method's spellings (also the audit log's `authn`).
  if (method == "anonymous") return AuthnKind::kAnonymous;
  if (method == "bearer") return AuthnKind::kBearer;
  if (method == "ticket") return AuthnKind::kTicket;
  if (method == "mtls") return AuthnKind::kMtls;
  return AuthnKind::kNone;
}

ReloadTrigger ReloadTriggerOf(absl::string_view trigger) {
  if (trigger == "SIGHUP") return ReloadTrigger::kSighup;
  if (trigger == "admin_rpc") return ReloadTrigger::kAdminRpc;
  return ReloadTrigger::kOther;
}

}  // namespace orb::broker
