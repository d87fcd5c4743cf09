// BrokerCore::Batch: the operations of one session in one request, run in
// order through their unary methods, with result references replaced just
// before each operation runs. Nothing here gates or audits: every operation
// passes the gates and writes its audit record in its unary method, so a
// batched operation is answered exactly as its unary twin.
#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "orb/broker/broker_core.h"
#include "broker/core_impl.h"
#include "orb/broker/errors.h"
#include "orb/broker/value_codec.h"

namespace orb::broker {
namespace {

absl::Status BadReference(int op, absl::string_view why) {
  return OrbError(absl::StatusCode::kInvalidArgument, absl::StrCat("batch operation ", op, ": ", why),
                  v1::BAD_RESULT_REFERENCE, v1::GATE_ARGUMENTS);
}

absl::string_view OperationName(const v1::BatchOperation& op) {
  switch (op.operation_case()) {
    case v1::BatchOperation::kGetAttr:
      return "get_attr";
    case v1::BatchOperation::kSetAttr:
      return "set_attr";
    case v1::BatchOperation::kDelAttr:
      return "del_attr";
    case v1::BatchOperation::kCall:
      return "call";
    case v1::BatchOperation::kDescribe:
      return "describe";
    case v1::BatchOperation::kRestrict:
      return "restrict";
    case v1::BatchOperation::kRelease:
      return "release";
    case v1::BatchOperation::OPERATION_NOT_SET:
      break;
  }
  return "none";
}

// The operation's own session and handle fields ("" where it has none).
struct OwnFields {
  const std::string* session;
  const std::string* handle;
};
OwnFields FieldsOf(const v1::BatchOperation& op) {
  static const std::string kNone;
  switch (op.operation_case()) {
    case v1::BatchOperation::kGetAttr:
      return {&op.get_attr().session(), &op.get_attr().handle()};
    case v1::BatchOperation::kSetAttr:
      return {&op.set_attr().session(), &op.set_attr().handle()};
    case v1::BatchOperation::kDelAttr:
      return {&op.del_attr().session(), &op.del_attr().handle()};
    case v1::BatchOperation::kCall:
      return {&op.call().session(), &op.call().handle()};
    case v1::BatchOperation::kDescribe:
      return {&op.describe().session(), &op.describe().handle()};
    case v1::BatchOperation::kRestrict:
      return {&op.restrict().session(), &op.restrict().handle()};
    case v1::BatchOperation::kRelease:
      return {&op.release().session(), &kNone};
    case v1::BatchOperation::OPERATION_NOT_SET:
      break;
  }
  return {&kNone, &kNone};
}

// Whether operation `op` returns something a later one can use.
bool ReturnsAResult(const v1::BatchOperation& op) {
  return op.has_get_attr() || op.has_call() || op.has_restrict();
}

// A reference from operation `op` to operation `target` of `req`.
absl::Status CheckReference(const v1::BatchRequest& req, int op, uint32_t target) {
  if (target >= static_cast<uint32_t>(op)) {
    return BadReference(op, absl::StrCat("refers to the result of operation ", target,
                                         "; only an earlier operation (0..", op - 1,
                                         ") can be used"));
  }
  const v1::BatchOperation& used = req.operations(static_cast<int>(target));
  if (!ReturnsAResult(used)) {
    return BadReference(op, absl::StrCat("refers to operation ", target, " (",
                                         OperationName(used),
                                         "), which returns no value; only get_attr, call and "
                                         "restrict results can be used"));
  }
  return absl::OkStatus();
}

absl::Status CheckValueReferences(const v1::BatchRequest& req, int op, const v1::Value& value) {
  switch (value.kind_case()) {
    case v1::Value::kResult:
      return CheckReference(req, op, value.result());
    case v1::Value::kListValue:
      for (const v1::Value& item : value.list_value().values()) {
        if (absl::Status s = CheckValueReferences(req, op, item); !s.ok()) return s;
      }
      return absl::OkStatus();
    case v1::Value::kMapValue:
      for (const auto& [key, item] : value.map_value().fields()) {
        if (absl::Status s = CheckValueReferences(req, op, item); !s.ok()) return s;
      }
      return absl::OkStatus();
    default:
      return absl::OkStatus();
  }
}

// Everything that can be known before running: a batch that fails here is
// refused whole and runs nothing.
absl::Status ValidateBatch(const v1::BatchRequest& req, uint32_t max_operations) {
  if (static_cast<uint32_t>(req.operations_size()) > max_operations) {
    return OrbError(absl::StatusCode::kInvalidArgument,
                    absl::StrCat("a batch may hold at most ", max_operations,
                                 " operations (the policy's limits.max_batch_operations); this "
                                 "one has ",
                                 req.operations_size(), ": split it"),
                    v1::VALUE_TOO_LARGE, v1::GATE_LIMITS);
  }
  for (int i = 0; i < req.operations_size(); ++i) {
    const v1::BatchOperation& op = req.operations(i);
    if (op.operation_case() == v1::BatchOperation::OPERATION_NOT_SET) {
      return OrbError(absl::StatusCode::kInvalidArgument,
                      absl::StrCat("batch operation ", i,
                                   " is empty: set one of get_attr, set_attr, del_attr, call, "
                                   "describe, restrict, release"),
                      v1::MALFORMED_REQUEST, v1::GATE_ARGUMENTS);
    }
    const OwnFields own = FieldsOf(op);
    if (!own.session->empty() && *own.session != req.session()) {
      return OrbError(absl::StatusCode::kInvalidArgument,
                      absl::StrCat("batch operation ", i,
                                   " names another session than the batch: leave its session "
                                   "empty (the batch's is used)"),
                      v1::MALFORMED_REQUEST, v1::GATE_ARGUMENTS);
    }
    if (op.has_target()) {
      if (!own.handle->empty()) {
        return BadReference(i, "has both a handle and a target; give one of them");
      }
      if (absl::Status s = CheckReference(req, i, op.target().result()); !s.ok()) return s;
    }
    if (op.has_set_attr()) {
      if (absl::Status s = CheckValueReferences(req, i, op.set_attr().value()); !s.ok()) return s;
    }
    if (op.has_call()) {
      for (const v1::Value& arg : op.call().args()) {
        if (absl::Status s = CheckValueReferences(req, i, arg); !s.ok()) return s;
      }
      for (const auto& [name, arg] : op.call().kwargs()) {
        if (absl::Status s = CheckValueReferences(req, i, arg); !s.ok()) return s;
      }
    }
  }
  return absl::OkStatus();
}

// What operation `used` returned, for operation `op`: FAILED_PRECONDITION
// when it failed (or did not run).
absl::StatusOr<v1::Value> ResultOf(const v1::BatchResponse& done, int op, uint32_t used) {
  const v1::BatchResult& result = done.results(static_cast<int>(used));
  switch (result.outcome_case()) {
    case v1::BatchResult::kGetAttr:
      return result.get_attr().value();
    case v1::BatchResult::kCall:
      return result.call().result();
    case v1::BatchResult::kRestrict: {
      v1::Value handle;
      *handle.mutable_handle() = result.restrict().handle();
      return handle;
    }
    case v1::BatchResult::kError:
      return OrbError(absl::StatusCode::kFailedPrecondition,
                      absl::StrCat("batch operation ", op, " uses the result of operation ", used,
                                   ", which failed (", result.error().code_name(),
                                   "); it did not run"),
                      v1::RESULT_UNAVAILABLE, v1::GATE_ARGUMENTS);
    default:
      // ValidateBatch let only get_attr, call and restrict be used.
      return OrbError(absl::StatusCode::kInternal,
                      absl::StrCat("batch operation ", op, ": operation ", used,
                                   " has no usable result"),
                      v1::BAD_RESULT_REFERENCE, v1::GATE_ARGUMENTS);
  }
}

// Replaces every result reference in `value` by what it refers to.
absl::Status ReplaceReferences(const v1::BatchResponse& done, int op, v1::Value* value) {
  switch (value->kind_case()) {
    case v1::Value::kResult: {
      absl::StatusOr<v1::Value> used = ResultOf(done, op, value->result());
      if (!used.ok()) return used.status();
      *value = *std::move(used);
      return absl::OkStatus();
    }
    case v1::Value::kListValue:
      for (v1::Value& item : *value->mutable_list_value()->mutable_values()) {
        if (absl::Status s = ReplaceReferences(done, op, &item); !s.ok()) return s;
      }
      return absl::OkStatus();
    case v1::Value::kMapValue:
      for (auto& [key, item] : *value->mutable_map_value()->mutable_fields()) {
        if (absl::Status s = ReplaceReferences(done, op, &item); !s.ok()) return s;
      }
      return absl::OkStatus();
    default:
      return absl::OkStatus();
  }
}

// The id of the handle that operation `op`'s target returned.
absl::StatusOr<std::string> TargetHandle(const v1::BatchRequest& batch,
                                         const v1::BatchResponse& done, int op) {
  const uint32_t used = batch.operations(op).target().result();
  absl::StatusOr<v1::Value> target = ResultOf(done, op, used);
  if (!target.ok()) return target.status();
  if (!target->has_handle()) {
    return BadReference(op, absl::StrCat("its target, operation ", used, ", returned ",
                                         ValueKindName(*target), ", not a handle"));
  }
  return target->handle().id();
}

// Gives `request` the batch's session and, with a target, the handle that
// the target operation returned.
template <typename Request>
absl::Status Address(const v1::BatchRequest& batch, const v1::BatchResponse& done, int op,
                     Request* request) {
  request->set_session(batch.session());
  if (!batch.operations(op).has_target()) return absl::OkStatus();
  absl::StatusOr<std::string> handle = TargetHandle(batch, done, op);
  if (!handle.ok()) return handle.status();
  request->set_handle(*std::move(handle));
  return absl::OkStatus();
}

void RecordError(const absl::Status& status, v1::BatchResult* out) {
  v1::OperationError* error = out->mutable_error();
  error->set_code(static_cast<int>(status.code()));
  error->set_code_name(absl::StatusCodeToString(status.code()));
  error->set_message(std::string(status.message()));
  if (std::optional<v1::ErrorInfo> info = GetErrorInfo(status)) *error->mutable_info() = *info;
}

}  // namespace

absl::Status BrokerCore::Batch(const RequestContext& ctx, const v1::BatchRequest& req,
                               v1::BatchResponse* resp) {
  return impl_->WithRequestId(ctx, req, req.session(), req.request_id(), resp,
                              [&](const RequestContext& c) { return BatchOnce(c, req, resp); });
}

absl::Status BrokerCore::BatchOnce(const RequestContext& ctx, const v1::BatchRequest& req,
                                   v1::BatchResponse* resp) {
  RequestContext op_ctx = ctx;
  if (op_ctx.policy == nullptr) op_ctx.policy = policy();
  op_ctx.defer = nullptr;
  if (absl::Status s = ValidateBatch(req, op_ctx.policy->limits().max_batch_operations);
      !s.ok()) {
    return s;
  }
  int failed = -1;
  for (int i = 0; i < req.operations_size(); ++i) {
    v1::BatchResult* out = resp->add_results();
    if (failed >= 0 && req.stop_on_error()) {
      RecordError(OrbError(absl::StatusCode::kAborted,
                           absl::StrCat("batch operation ", i, " did not run: operation ", failed,
                                        " failed and the batch stops on error"),
                           v1::BATCH_STOPPED, v1::GATE_ARGUMENTS),
                  out);
      continue;
    }
    absl::Status status = RunBatchOperation(op_ctx, req, *resp, i, out);
    if (!status.ok()) {
      RecordError(status, out);
      if (failed < 0) failed = i;
    }
  }
  return absl::OkStatus();
}

absl::Status BrokerCore::RunBatchOperation(const RequestContext& ctx, const v1::BatchRequest& req,
                                           const v1::BatchResponse& done, int i,
                                           v1::BatchResult* out) {
  const v1::BatchOperation& op = req.operations(i);
  switch (op.operation_case()) {
    case v1::BatchOperation::kGetAttr: {
      v1::GetAttrRequest request = op.get_attr();
      if (absl::Status s = Address(req, done, i, &request); !s.ok()) return s;
      return GetAttr(ctx, request, out->mutable_get_attr());
    }
    case v1::BatchOperation::kSetAttr: {
      v1::SetAttrRequest request = op.set_attr();
      if (absl::Status s = Address(req, done, i, &request); !s.ok()) return s;
      if (absl::Status s = ReplaceReferences(done, i, request.mutable_value()); !s.ok()) return s;
      return SetAttr(ctx, request, out->mutable_set_attr());
    }
    case v1::BatchOperation::kDelAttr: {
      v1::DelAttrRequest request = op.del_attr();
      if (absl::Status s = Address(req, done, i, &request); !s.ok()) return s;
      return DelAttr(ctx, request, out->mutable_del_attr());
    }
    case v1::BatchOperation::kCall: {
      v1::CallRequest request = op.call();
      if (absl::Status s = Address(req, done, i, &request); !s.ok()) return s;
      for (v1::Value& arg : *request.mutable_args()) {
        if (absl::Status s = ReplaceReferences(done, i, &arg); !s.ok()) return s;
      }
      for (auto& [name, arg] : *request.mutable_kwargs()) {
        if (absl::Status s = ReplaceReferences(done, i, &arg); !s.ok()) return s;
      }
      return Call(ctx, request, out->mutable_call());
    }
    case v1::BatchOperation::kDescribe: {
      v1::DescribeRequest request = op.describe();
      if (absl::Status s = Address(req, done, i, &request); !s.ok()) return s;
      return Describe(ctx, request, out->mutable_describe());
    }
    case v1::BatchOperation::kRestrict: {
      v1::RestrictRequest request = op.restrict();
      if (absl::Status s = Address(req, done, i, &request); !s.ok()) return s;
      return Restrict(ctx, request, out->mutable_restrict());
    }
    case v1::BatchOperation::kRelease: {
      v1::ReleaseRequest request = op.release();
      request.set_session(req.session());
      if (op.has_target()) {
        absl::StatusOr<std::string> handle = TargetHandle(req, done, i);
        if (!handle.ok()) return handle.status();
        request.add_handles(*std::move(handle));
      }
      return Release(ctx, request, out->mutable_release());
    }
    case v1::BatchOperation::OPERATION_NOT_SET:
      break;
  }
  return absl::OkStatus();  // ValidateBatch refused empty operations
}

}  // namespace orb::broker
