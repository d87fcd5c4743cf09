#include "broker/handle_export.h"

#include <utility>

#include "absl/strings/numbers.h"

namespace orb::broker {

namespace {

// Replaces the placeholder ids written by Invocation::Export*: a
// placeholder's id is the index of its export.
void FillHandles(const std::vector<v1::HandleRef>& refs, v1::Value* value) {
  switch (value->kind_case()) {
    case v1::Value::kHandle: {
      size_t index = 0;
      if (absl::SimpleAtoi(value->handle().id(), &index) && index < refs.size()) {
        *value->mutable_handle() = refs[index];
      }
      return;
    }
    case v1::Value::kListValue:
      for (v1::Value& item : *value->mutable_list_value()->mutable_values()) {
        FillHandles(refs, &item);
      }
      return;
    case v1::Value::kMapValue:
      for (auto& [key, item] : *value->mutable_map_value()->mutable_fields()) {
        FillHandles(refs, &item);
      }
      return;
    default:
      return;
  }
}

}  // namespace

absl::StatusOr<ResolvedHandle> SessionResolver::Resolve(const v1::HandleRef& ref) const {
  absl::StatusOr<HandleTarget> target = session_.handles().Find(ref.id());
  if (!target.ok()) return target.status();
  ResolvedHandle out;
  out.object = std::move(target->object);
  out.type = target->type;
  out.is_class = target->is_class;
  out.restricted = target->restricted_olp != nullptr;
  return out;
}

absl::Status ExportHandles(const OpTarget& op, const Invocation& inv, v1::Value* out) {
  std::vector<HandleTarget> targets;
  targets.reserve(inv.exports().size());
  for (const Invocation::Export& e : inv.exports()) {
    targets.push_back(HandleTarget{e.object, e.type, e.is_class, nullptr});
  }
  absl::StatusOr<std::vector<v1::HandleRef>> refs =
      op.session->handles().Add(targets, op.limits.max_handles_per_session);
  if (!refs.ok()) return refs.status();
  FillHandles(*refs, out);
  return absl::OkStatus();
}

}  // namespace orb::broker
