// Running a bound member once the gate allowed it: the object's access lock,
// the deadline checked again after waiting for it, exceptions turned into
// statuses, then the objects it returned exported as handles.

#include <cxxabi.h>

#include <exception>
#include <string>
#include <typeinfo>

#include "base/sync.h"
#include "broker/audit_records.h"
#include "broker/core_impl.h"
#include "broker/handle_export.h"
#include "orb/broker/call_context.h"

namespace orb::broker {

namespace {

std::string CurrentExceptionTypeName() {
  const std::type_info* type = abi::__cxa_current_exception_type();
  return type != nullptr ? DemangledName(*type) : "unknown exception";
}

// Calls `fn`, turning whatever it throws into UNKNOWN (METHOD_EXCEPTION).
absl::Status CallCatching(policy::Op kind, const MemberBinding& member,
                          BoundMember fn, Object* self, Invocation& inv) {
  try {
    return fn(self, inv);
  } catch (const std::exception& e) {
    return MemberRaised(kind, member.name, DemangledName(typeid(e)), e.what());
  } catch (...) {
    return MemberRaised(kind, member.name, CurrentExceptionTypeName(), nullptr);
  }
}

}  // namespace

absl::Status BrokerCore::Impl::RunMember(const RequestContext& ctx, const Op& op,
                                         const MemberBinding& member, policy::Op kind,
                                         v1::Value* out, BoundMember fn) const {
  CallContext call(op.session->identity(), op.session->principals(), op.session->id(),
                   ctx.deadline, &ctx.is_cancelled, &options.now);
  SessionResolver resolver(*op.session);
  Invocation inv(call, *registry, resolver, op.target.object);
  Object* self = op.target.is_class ? nullptr : op.target.object.get();
  const auto run = [&]() -> absl::Status {
    // Waiting for the lock may have taken the call past its deadline.
    absl::Status checked = CheckDeadline(ctx);
    if (!checked.ok()) return checked;
    return CallCatching(kind, member, fn, self, inv);
  };
  absl::Status status;
  if (self != nullptr && op.target.type->concurrency() == Concurrency::kSerialized) {
    MutexHold lock(&self->access_mutex());
    status = run();
  } else {
    status = run();
  }
  if (!status.ok() || out == nullptr || inv.exports().empty()) return status;
  return ExportHandles(op, inv, out);
}

}  // namespace orb::broker
