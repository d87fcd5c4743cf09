#include "broker/policy_reloader.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "broker/core_counters.h"
#include "orb/broker/errors.h"
#include "policy/authorizer.h"
#include "base/sync.h"

namespace orb::broker {

PolicyReloader::PolicyReloader(BrokerCore* core, std::string path, Options options)
    : core_(core), path_(std::move(path)), options_(std::move(options)) {
  orb::MutexHold lock(&mu_);
  info_.file = path_;
  NoteRunning(core_->policy(), core_->shadow_policy());
  info_.loaded_at = options_.now();
  info_.reloads = 1;
}

void PolicyReloader::NoteRunning(const policy::PolicyPtr& policy,
                                 const policy::PolicyPtr& shadow) {
  info_.revision = policy != nullptr ? policy->revision() : 0;
  info_.sha256 = policy != nullptr ? policy->text_sha256() : std::string();
  info_.shadow_file = shadow != nullptr ? options_.shadow_path : std::string();
  info_.shadow_revision = shadow != nullptr ? shadow->revision() : 0;
  info_.shadow_sha256 = shadow != nullptr ? shadow->text_sha256() : std::string();
}

absl::StatusOr<policy::PolicyPtr> PolicyReloader::LoadShadow() const {
  if (options_.shadow_path.empty()) return policy::PolicyPtr();
  absl::StatusOr<policy::PolicyPtr> shadow = policy::LoadPolicyFile(options_.shadow_path);
  absl::Status status = shadow.status();
  if (status.ok() && options_.check) status = options_.check(*shadow);
  if (!status.ok()) {
    return absl::Status(status.code(), absl::StrCat("shadow policy: ", status.message()));
  }
  return shadow;
}

void PolicyReloader::Log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

absl::StatusOr<PolicyReloader::Result> PolicyReloader::Reload(absl::string_view trigger,
                                                              const policy::Identity* actor) {
  // Compiled before the lock: a slow file system delays no other reload's
  // bookkeeping, and the revision is checked against what runs at swap time.
  absl::StatusOr<policy::PolicyPtr> loaded = policy::LoadPolicyFile(path_);
  absl::StatusOr<policy::PolicyPtr> shadow = LoadShadow();
  orb::MutexHold lock(&mu_);
  const absl::Time now = options_.now();
  policy::PolicyPtr running = core_->policy();
  const uint64_t running_revision = running != nullptr ? running->revision() : 0;
  absl::Status status;
  if (!loaded.ok()) {
    status = loaded.status();
  } else if ((*loaded)->revision() < running_revision) {
    status = absl::FailedPreconditionError(absl::StrCat(
        path_, ": revision ", (*loaded)->revision(), " is lower than the running revision ",
        running_revision, "; a broker never goes back to an older policy"));
  } else if (running != nullptr && running_revision != 0 &&
             (*loaded)->revision() == running_revision &&
             (*loaded)->text_sha256() != running->text_sha256()) {
    status = absl::FailedPreconditionError(absl::StrCat(
        path_, ": the text changed but the revision is still ", running_revision,
        "; raise revision for every change"));
  } else if (options_.check) {
    status = options_.check(*loaded);
  }
  if (status.ok()) status = shadow.status();

  AuditRecord record;
  record.event = "admin";
  record.op = "reload_policy";
  record.name = std::string(trigger);
  if (actor != nullptr) {
    record.userid = actor->userid;
    record.authn = actor->method;
  }
  if (!status.ok()) {
    Log(absl::StrCat("policy reload (", trigger, ") refused; still running revision ",
                     running_revision, ":"));
    for (absl::string_view line : absl::StrSplit(status.message(), '\n')) {
      Log(absl::StrCat("  ", line));
    }
    info_.last_error_at = now;
    info_.last_error = std::string(status.message());
    record.decision = "rejected";
    record.code = absl::StatusCodeToString(status.code());
    record.reason = info_.last_error;
    core_->Audit(std::move(record));
    core_->counters().CountReload(ReloadTriggerOf(trigger), /*ok=*/false);
    return status;
  }

  const policy::PolicyPtr& next = *loaded;
  Result result;
  result.previous_revision = running_revision;
  result.text_changed = running == nullptr || next->text_sha256() != running->text_sha256();
  if (options_.shadow_path.empty()) {
    core_->SetPolicy(next);
  } else {
    core_->SetPolicies(next, *shadow);
  }
  NoteRunning(next, *shadow);
  info_.loaded_at = now;
  ++info_.reloads;
  info_.last_error_at = absl::Time();
  info_.last_error.clear();
  result.info = info_;
  Log(absl::StrCat("policy reloaded (", trigger, ") from ", path_, ": revision ",
                   next->revision(), " (was ", running_revision, "), sha256 ",
                   next->text_sha256().substr(0, 16),
                   result.text_changed ? "" : ", text unchanged"));
  if (*shadow != nullptr) {
    Log(absl::StrCat("  shadow policy from ", options_.shadow_path, ": revision ",
                     (*shadow)->revision(), ", sha256 ", (*shadow)->text_sha256().substr(0, 16)));
  }
  if (running != nullptr &&
      next->limits().max_message_bytes != running->limits().max_message_bytes) {
    Log("  limits.max_message_bytes changed: the server applies it at the next start");
  }
  record.decision = "allowed";
  record.policy_revision = next->revision();
  core_->Audit(std::move(record));
  core_->counters().CountReload(ReloadTriggerOf(trigger), /*ok=*/true);
  return result;
}

PolicyInfo PolicyReloader::info() const {
  orb::MutexHold lock(&mu_);
  return info_;
}

absl::Status CheckAdminPermission(const policy::CompiledPolicy& policy,
                                  const policy::Identity& identity, absl::string_view rpc,
                                  absl::string_view permission, std::string* explanation) {
  const policy::AdminDecision decision = policy::AuthorizeAdmin(policy, identity, permission);
  if (explanation != nullptr) *explanation = decision.explanation;
  if (!decision.has_admin_acl) {
    return OrbError(absl::StatusCode::kPermissionDenied,
                    absl::StrCat(rpc, " is refused: this broker's policy has no admin section "
                                      "(admin { acl { ... } }) granting '",
                                 permission, "'"),
                    v1::ACL_DENIED, v1::GATE_ADMIN);
  }
  if (decision.allowed) return absl::OkStatus();
  return OrbError(absl::StatusCode::kPermissionDenied,
                  absl::StrCat(rpc, " needs permission '", permission,
                               "' in the policy's admin ACL, which the caller does not hold"),
                  v1::ACL_DENIED, v1::GATE_ADMIN);
}

}  // namespace orb::broker
