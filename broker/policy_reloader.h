// PolicyReloader: re-reads a broker's policy file and swaps it in, for
// orbd's SIGHUP and the BrokerAdmin.ReloadPolicy RPC. No gRPC here.
//
// A reload reads and compiles the whole file first (policy::LoadPolicyFile)
// and changes nothing unless it compiled and its revision does not go
// backwards; then BrokerCore::SetPolicy swaps it in atomically. Calls in
// flight keep the snapshot they started with. Reloads are serialized, so the
// revision check and the swap are one step. Every attempt is logged (one
// line per policy error, file:line: message) and, when the core audits,
// recorded as an "admin" event; its outcome is counted by trigger
// (BrokerCore::counters(), for metrics).
//
// Revision rule (ARCHITECTURE.md §9, docs/operations.md):
//   new revision <  running revision            refused (FAILED_PRECONDITION)
//   new revision == running revision != 0 and
//     the text differs                          refused: raise the revision
//   otherwise                                   accepted
//
// Thread safety: all methods may be called concurrently.
#ifndef ORB_BROKER_POLICY_RELOADER_H_
#define ORB_BROKER_POLICY_RELOADER_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "broker/admin_permissions.h"
#include "orb/broker/broker_core.h"
#include "orb/policy/identity.h"
#include "orb/policy/policy_loader.h"

namespace orb::broker {

// What a broker runs, and how its last reload went.
struct PolicyInfo {
  std::string file;
  uint64_t revision = 0;
  std::string sha256;  // of the running policy's text
  // The shadow policy (empty file: none).
  std::string shadow_file;
  uint64_t shadow_revision = 0;
  std::string shadow_sha256;
  absl::Time loaded_at;
  uint64_t reloads = 0;  // successful loads, the first included
  // The last failed attempt, when it came after the last success.
  absl::Time last_error_at;
  std::string last_error;
};

class PolicyReloader {
 public:
  struct Options {
    // One line per call, e.g. orbd's stderr. May be empty.
    std::function<void(const std::string&)> log;
    std::function<absl::Time()> now = [] { return absl::Now(); };
    // Run on every policy that compiled and passed the revision rule,
    // before it is swapped in (e.g. orbd's check against the served
    // types). An error refuses the reload like a compile error: logged
    // line by line, recorded, returned. May be empty.
    std::function<absl::Status(const policy::PolicyPtr&)> check;
    // The shadow policy's file (BrokerCore::SetShadowPolicy), reloaded with
    // the main one: both compile (and pass `check`) or neither is swapped
    // in, and then both at once. Its revision is its own (no rule). Empty:
    // no shadow policy.
    std::string shadow_path;
  };

  // REQUIRES: `core` outlives the reloader and runs the policy loaded from
  // `path` (its load time is taken as now), and the shadow policy loaded
  // from options.shadow_path when that is set.
  PolicyReloader(BrokerCore* core, std::string path, Options options);

  struct Result {
    PolicyInfo info;             // after the reload
    uint64_t previous_revision = 0;
    bool text_changed = false;
  };
  // Reloads the file. `trigger` says what asked, for the log and the audit
  // record's name ("SIGHUP", "admin_rpc"); `actor`, when not null, is the
  // identity that asked (its userid goes into the record's `user`).
  // Errors: NOT_FOUND (unreadable file),
  // INVALID_ARGUMENT (does not compile; the message lists each problem as
  // file:line: message), FAILED_PRECONDITION (revision). On error the
  // running policy is unchanged.
  absl::StatusOr<Result> Reload(absl::string_view trigger,
                                const policy::Identity* actor = nullptr)
      ABSL_LOCKS_EXCLUDED(mu_);

  PolicyInfo info() const ABSL_LOCKS_EXCLUDED(mu_);
  const std::string& path() const { return path_; }

 private:
  void Log(const std::string& line) const;
  // Loads and checks the shadow file; null without one. Errors name it.
  absl::StatusOr<policy::PolicyPtr> LoadShadow() const;
  void NoteRunning(const policy::PolicyPtr& policy, const policy::PolicyPtr& shadow)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  BrokerCore* const core_;
  const std::string path_;
  const Options options_;

  mutable absl::Mutex mu_;
  PolicyInfo info_ ABSL_GUARDED_BY(mu_);
};

// Whether `identity` holds `permission` under the policy's admin ACL,
// evaluated on one node, <Broker 'admin'>. OK when it does. Errors:
// PERMISSION_DENIED naming the RPC and the permission (and, when there is no
// admin section, saying so). `*explanation` (optional) receives Pyramid's
// message for the audit log.
absl::Status CheckAdminPermission(const policy::CompiledPolicy& policy,
                                  const policy::Identity& identity, absl::string_view rpc,
                                  absl::string_view permission, std::string* explanation);

}  // namespace orb::broker

#endif  // ORB_BROKER_POLICY_RELOADER_H_
