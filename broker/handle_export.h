// Handles across a member call, in the caller's session: HandleRefs the
// caller passes in are resolved (SessionResolver), and objects a member
// returns become handles of the session (ExportHandles). Private to broker/.
//
// Thread-safety: the session's handle table synchronizes itself; a
// SessionResolver and an Invocation belong to one call.
#ifndef ORB_BROKER_HANDLE_EXPORT_H_
#define ORB_BROKER_HANDLE_EXPORT_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "broker/core_impl.h"
#include "broker/session_table.h"
#include "orb/broker/value_codec.h"

namespace orb::broker {

// Resolves HandleRefs the caller passes in, in the caller's session only.
// `session` must outlive the resolver.
class SessionResolver final : public HandleResolver {
 public:
  explicit SessionResolver(const Session& session) : session_(session) {}
  absl::StatusOr<ResolvedHandle> Resolve(const v1::HandleRef& ref) const override;

 private:
  const Session& session_;
};

// Adds every object `inv` exported to op's session, all at once (none when
// the session's handle limit would be passed), and replaces the
// placeholder ids Invocation::Export* wrote into *out with the new
// handles. Errors: RESOURCE_EXHAUSTED from the handle table.
// REQUIRES: op.session is set; *out is the value the member wrote.
absl::Status ExportHandles(const OpTarget& op, const Invocation& inv, v1::Value* out);

}  // namespace orb::broker

#endif  // ORB_BROKER_HANDLE_EXPORT_H_
