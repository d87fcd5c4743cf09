// BrokerCore's session administration: the live sessions of every identity
// and closing one by its reference (BrokerAdmin.ListSessions/CloseSession).
// The admin service checks the caller's admin permission before calling.
#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "broker/audit_records.h"
#include "broker/core_impl.h"
#include "broker/session_table.h"
#include "orb/broker/broker_core.h"

namespace orb::broker {
namespace {

SessionSummary SummaryOf(const Session& session, absl::Time now) {
  const Session::Lease lease = session.lease();
  SessionSummary s;
  s.ref = session.ref();
  s.userid = session.identity().userid;
  s.authn = session.identity().method;
  s.client_name = session.client_name();
  s.opened = session.opened();
  s.last_activity = lease.last_activity;
  s.lease_left = std::max(lease.expires - now, absl::ZeroDuration());
  s.handles = session.handles().size();
  return s;
}

}  // namespace

std::vector<SessionSummary> BrokerCore::ListSessions() const {
  const absl::Time now = impl_->Now();
  std::vector<SessionSummary> out;
  for (const std::shared_ptr<Session>& session : impl_->sessions.All()) {
    SessionSummary s = SummaryOf(*session, now);
    if (s.lease_left <= absl::ZeroDuration()) continue;  // lapsed: gone for its owner already
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const SessionSummary& a, const SessionSummary& b) {
    return a.opened != b.opened ? a.opened < b.opened : a.ref < b.ref;
  });
  return out;
}

absl::StatusOr<BrokerCore::RevokedSession> BrokerCore::RevokeSession(
    absl::string_view ref, const policy::Identity& actor) {
  const absl::Time now = impl_->Now();
  absl::StatusOr<SessionTable::Closed> closed = impl_->sessions.CloseByRef(ref, now);
  if (!closed.ok()) return closed.status();
  RevokedSession out;
  out.session = SummaryOf(*closed->session, now);
  out.session.handles = closed->released_handles;
  out.released_handles = closed->released_handles;
  if (impl_->auditing()) {
    // The session's own lifecycle record, as its owner's CloseSession
    // writes one, saying who closed it.
    RequestContext owner;
    owner.identity = closed->session->identity();
    AuditRecord r = SessionRecord(owner, "close_session");
    r.session = closed->session->ref();
    SetOutcome(absl::OkStatus(), &r);
    r.reason = absl::StrCat("closed by an admin (",
                            actor.authenticated() ? actor.userid : std::string("anonymous"),
                            "), handles released: ", closed->released_handles);
    Audit(std::move(r));
  }
  return out;
}

}  // namespace orb::broker
