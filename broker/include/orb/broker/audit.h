// The audit log: one JSON line per broker decision, for operators.
//
// Records are made by BrokerCore (every GetAttr/SetAttr/DelAttr/Call that
// reaches it, OpenSession, CloseSession), by the service adapter (calls
// refused by authentication) and by the admin service. docs/operations.md
// documents the format; in short, one object per line with the keys
//   ts, event, peer, user, authn, session, handle, type, view, op, name,
//   decision, permission, code, reason, policy_revision (and for event
//   "shadow": shadow_decision, shadow_permission, shadow_policy_revision)
// where empty fields are left out.
//
// What is never written: tokens, tickets, keys, hashes of tokens, or a whole
// session or handle id. Session and handle ids are capabilities (whoever
// holds one, together with the owning identity's credential, can use it), so
// records carry only RedactId(id): 12 hex digits of a SHA-256 of the id,
// enough to follow one session through the log, useless to reach it.
#ifndef ORB_BROKER_AUDIT_H_
#define ORB_BROKER_AUDIT_H_

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace orb::broker {

struct AuditRecord {
  absl::Time time;
  // "gate" (a gated operation), "open_session", "close_session",
  // "authenticate" (a call refused by authentication), "admin", "shadow"
  // (the shadow policy decided a gated operation otherwise).
  std::string event;
  std::string peer;     // e.g. "ipv4:127.0.0.1:41234"
  std::string userid;   // empty: anonymous (written as "user":null)
  std::string authn;    // how the identity was established: bearer, ticket, mtls, anonymous
  std::string session;  // RedactId of the session id
  std::string handle;   // RedactId of the handle id
  std::string type;     // the handle's type name
  std::string view;     // "instance" / "class"
  std::string op;       // getattr, setattr, delattr, call, or the admin RPC
  std::string name;     // the member name as the client sent it
  // allowed, denied, not_exposed (the OLP hides the name, or the type has no
  // such member: clients cannot tell them apart, the log says which in
  // `reason`), rejected (refused before the gate: unknown session or
  // handle, bad value, wrong member kind...), unauthenticated.
  std::string decision;
  std::string permission;  // the permission whose ACL result decided
  std::string code;        // the status code sent, for refusals: "NOT_FOUND"
  std::string reason;      // Pyramid's explanation, or the error message
  uint64_t policy_revision = 0;
  // Event "shadow" only (a shadow policy decided otherwise): its decision
  // (allowed, denied, not_exposed), the permission whose ACL result decided
  // there, and its revision. `decision`/`permission` are the live ones and
  // `reason` the shadow's explanation.
  std::string shadow_decision;
  std::string shadow_permission;
  uint64_t shadow_policy_revision = 0;
};

// Short, stable, non-reversible reference to a session or handle id:
// the first 12 hex digits of SHA-256("orb.id:" + secret), the secret being
// the id after a session id's routing prefix (`<broker>~<incarnation>.`),
// else the whole id. "" for "".
std::string RedactId(absl::string_view id);

// `text` with every run of 32 or more hex digits (the shape of a session
// or handle id, whatever surrounds it) replaced by "<id:" + RedactId(run) +
// ">": the same reference the records' session and handle fields carry.
// For free text that may quote what a caller sent (an error message naming
// the handle id it was given, a member name): a caller who learned a
// victim's id must not be able to have it written to the log. Returns
// `text` unchanged (one copy) when it holds no such run.
std::string RedactIdsInText(absl::string_view text);

// The one spelling of an RPC in a record's `op`: lower snake case
// ("OpenSession" -> "open_session", "ReloadPolicy" -> "reload_policy"),
// except the gated operations, which are spelled as the gate records spell
// them ("GetAttr" -> "getattr", "SetAttr", "DelAttr" likewise).
std::string AuditOpName(absl::string_view rpc);

// Applies RedactIdsInText to the record's free-text fields (name, reason).
// Every record goes through this before it is written anywhere.
void RedactIdsInRecord(AuditRecord* record);

// The record as one line of JSON (no trailing newline). Strings are JSON
// escaped; bytes that are not UTF-8 are written C-escaped, so every line is
// valid UTF-8 JSON with no raw control character.
std::string AuditRecordToJson(const AuditRecord& record);


// Appends records to a file (or standard error), one line each, flushed
// line by line so a crash loses at most the line being written.
//
// Thread safety: Write() may be called concurrently; lines never interleave.
class AuditLog {
 public:
  // "-" writes to standard error; any other path is opened for appending
  // (created with mode 0600). Errors: INVALID_ARGUMENT naming the path and
  // the reason when the file cannot be opened.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(const std::string& path);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends one line. A line the file does not take whole (disk full, I/O
  // error) is counted, not retried: the call it records goes on.
  void Write(const AuditRecord& record) ABSL_LOCKS_EXCLUDED(mu_);

  // Lines that could not be written whole since the log was opened (for
  // metrics). Thread-safe.
  uint64_t write_failures() const { return write_failures_.load(std::memory_order_relaxed); }

 private:
  AuditLog(FILE* file, bool owned) : file_(file), owned_(owned) {}

  absl::Mutex mu_;
  FILE* const file_ ABSL_PT_GUARDED_BY(mu_);
  const bool owned_;
  std::atomic<uint64_t> write_failures_{0};
};

}  // namespace orb::broker

#endif  // ORB_BROKER_AUDIT_H_
