// The steps of the request path before the gate (see broker_core.h): the
// deadline, the policy snapshot, the session, the handle, the member name and
// the incoming values.

#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "broker/core_impl.h"
#include "orb/broker/errors.h"

namespace orb::broker {

absl::Status BrokerCore::Impl::CheckDeadline(const RequestContext& ctx) const {
  if (Now() >= ctx.deadline) {
    return OrbError(absl::StatusCode::kDeadlineExceeded,
                    "the call's deadline passed before it could run", v1::DEADLINE_EXCEEDED,
                    v1::GATE_DEADLINE);
  }
  if (ctx.is_cancelled && ctx.is_cancelled()) {
    return OrbError(absl::StatusCode::kCancelled, "the call was cancelled", v1::CANCELLED,
                    v1::GATE_DEADLINE);
  }
  return absl::OkStatus();
}

absl::Status BrokerCore::Impl::BeginSession(const RequestContext& ctx,
                                            absl::string_view session_id, Op* op) {
  absl::Status s = CheckDeadline(ctx);
  if (!s.ok()) return s;
  s = CheckRoute(ctx);
  if (!s.ok()) return s;
  op->policy = ctx.policy != nullptr ? ctx.policy : CurrentPolicy();
  op->limits = LimitsOf(op->policy);
  absl::StatusOr<std::shared_ptr<Session>> session =
      sessions.Find(session_id, ctx.identity.OwnerKey(), Now(),
                    ctx.renews_lease ? absl::Seconds(op->limits.session_ttl_seconds)
                                     : absl::ZeroDuration());
  if (!session.ok()) return session.status();
  op->session = *std::move(session);
  return absl::OkStatus();
}

absl::Status BrokerCore::Impl::CheckRoute(const RequestContext& ctx) const {
  // Misrouted: answered as an unknown session, so that a forged route
  // learns nothing about the sessions of the broker it reached.
  if (!ctx.route.empty() && ctx.route != sessions.broker().broker_id) {
    return SessionTable::NotFound();
  }
  return absl::OkStatus();
}

absl::Status BrokerCore::Impl::Begin(const RequestContext& ctx, absl::string_view session_id,
                                     absl::string_view handle_id, Op* op) {
  absl::Status s = BeginSession(ctx, session_id, op);
  if (!s.ok()) return s;
  op->handle_id = handle_id;
  absl::StatusOr<HandleTarget> target = op->session->handles().Find(handle_id);
  if (!target.ok()) return target.status();
  op->target = *std::move(target);
  op->view = op->target.is_class ? policy::View::kClass : policy::View::kInstance;
  return absl::OkStatus();
}

absl::Status BrokerCore::Impl::CheckName(absl::string_view name) {
  if (name.size() > kMaxNameBytes || !IsValidUtf8(name)) {
    return ArgumentError(absl::StrCat("a member name must be UTF-8 of at most ", kMaxNameBytes,
                                      " bytes"));
  }
  return absl::OkStatus();
}

absl::Status BrokerCore::Impl::ValidateValues(const Op& op, const IncomingValues& values) const {
  ValueLimits limits;
  limits.max_depth = op.limits.max_value_depth;
  limits.max_elements = op.limits.max_value_elements;
  const Session& session = *op.session;
  std::function<absl::Status(const v1::HandleRef&)> check =
      [&session](const v1::HandleRef& ref) -> absl::Status {
    return session.handles().Find(ref.id()).status();
  };
  size_t elements = 0;
  for (const auto& [what, value] : values) {
    absl::Status s = ValidateIncomingValue(*value, limits, what, &elements, check);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace orb::broker
