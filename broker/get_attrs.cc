// Snapshots: BrokerCore::GetAttrs (several attributes of one object, each
// name through GetAttr) and Call's by_value (a returned object as a map of
// its readable attributes).
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "broker/core_impl.h"
#include "orb/broker/broker_core.h"
#include "orb/broker/errors.h"

namespace orb::broker {
bool MayNotRead(const absl::Status& status) {
  const std::optional<v1::ErrorInfo> info = GetErrorInfo(status);
  if (!info.has_value()) return false;
  const std::string& reason = info->reason();
  return reason == v1::ErrorReason_Name(v1::NAME_NOT_FOUND) ||
         reason == v1::ErrorReason_Name(v1::ACL_DENIED) ||
         reason == v1::ErrorReason_Name(v1::WRONG_MEMBER_KIND);
}

namespace {

// Reads each of `names` (repeats once) on `handle` through GetAttr into
// *resp; names the caller may not read are left out and the first such
// refusal kept in *first_refusal. Any other error is returned (resp then
// partly filled).
absl::Status ReadEach(BrokerCore& core, const RequestContext& ctx, const std::string& session,
                      const std::string& handle,
                      const google::protobuf::RepeatedPtrField<std::string>& names,
                      v1::GetAttrsResponse* resp, absl::Status* first_refusal) {
  absl::flat_hash_set<absl::string_view> asked;
  for (const std::string& name : names) {
    if (!asked.insert(name).second) continue;
    v1::GetAttrRequest one;
    one.set_session(session);
    one.set_handle(handle);
    one.set_name(name);
    v1::GetAttrResponse value;
    absl::Status s = core.GetAttr(ctx, one, &value);
    if (s.ok()) {
      (*resp->mutable_values())[name] = std::move(*value.mutable_value());
    } else if (MayNotRead(s)) {
      if (first_refusal->ok()) *first_refusal = std::move(s);
    } else {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status BrokerCore::ResultByValue(const RequestContext& ctx, const std::string& session,
                                       v1::Value* result) {
  const v1::HandleRef ref = result->handle();
  RequestContext inner = ctx;
  inner.defer = nullptr;
  google::protobuf::RepeatedPtrField<std::string> names;
  if (const TypeInfo* type = impl_->registry->FindByName(ref.type_name())) {
    const policy::View view = ref.is_class() ? policy::View::kClass : policy::View::kInstance;
    for (const auto& [name, member] : type->members(view)) {
      using Kind = MemberBinding::Kind;
      if (member.kind == Kind::kAttribute || member.kind == Kind::kProperty ||
          member.kind == Kind::kClassAttribute) {
        names.Add(std::string(name));
      }
    }
  }
  v1::GetAttrsResponse snapshot;
  absl::Status refused;
  absl::Status read = ReadEach(*this, inner, session, ref.id(), names, &snapshot, &refused);
  // The handle the call made is not the caller's to keep.
  v1::ReleaseRequest release;
  release.set_session(session);
  release.add_handles(ref.id());
  v1::ReleaseResponse released;
  absl::Status let_go = Release(inner, release, &released);
  if (!read.ok()) return read;
  if (!let_go.ok()) return let_go;
  result->Clear();
  auto* fields = result->mutable_map_value()->mutable_fields();
  for (auto& [name, value] : *snapshot.mutable_values()) (*fields)[name] = std::move(value);
  return absl::OkStatus();
}

absl::Status BrokerCore::GetAttrs(const RequestContext& ctx, const v1::GetAttrsRequest& req,
                                  v1::GetAttrsResponse* resp) {
  RequestContext inner = ctx;
  if (inner.policy == nullptr) inner.policy = policy();
  inner.defer = nullptr;
  const uint32_t limit = inner.policy->limits().max_batch_operations;
  if (req.names().empty()) {
    return OrbError(absl::StatusCode::kInvalidArgument,
                    "GetAttrs names no attribute: list at least one in `names`",
                    v1::BAD_ARGUMENT, v1::GATE_ARGUMENTS);
  }
  if (static_cast<uint32_t>(req.names_size()) > limit) {
    return OrbError(absl::StatusCode::kInvalidArgument,
                    absl::StrCat("GetAttrs may name at most ", limit,
                                 " attributes (the policy's limits.max_batch_operations); this "
                                 "one names ",
                                 req.names_size(), ": split it"),
                    v1::VALUE_TOO_LARGE, v1::GATE_LIMITS);
  }
  if (ctx.defer != nullptr) {
    if (ctx.defer->pending()) {
      // The second run, on a thread that may block: everything from here.
      ctx.defer->state_.reset();
    } else {
      // The first run, on a thread that must not block: hand the whole call
      // back if a named member may block. Nothing is decided or audited
      // here; a call that fails before the members (session, handle) is
      // answered right away by the loop below.
      Impl::Op op;
      if (impl_->Begin(inner, req.session(), req.handle(), &op).ok()) {
        for (const std::string& name : req.names()) {
          const MemberBinding* member = op.target.type->FindMember(op.view, name);
          if (member != nullptr && member->may_block) {
            ctx.defer->state_ = std::make_unique<DeferredCall::State>();
            return absl::OkStatus();
          }
        }
      }
    }
  }
  absl::Status first_refusal;
  absl::Status read =
      ReadEach(*this, inner, req.session(), req.handle(), req.names(), resp, &first_refusal);
  if (!read.ok()) {
    resp->Clear();
    return read;
  }
  if (resp->values().empty()) return first_refusal;
  return absl::OkStatus();
}

}  // namespace orb::broker
