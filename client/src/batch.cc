// BatchBuilder and Session::RunBatchJson: several operations of a session
// in one orb.v1 Batch RPC.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/src/internal.h"
#include "google/protobuf/util/json_util.h"

namespace orb {
namespace client {

using client_internal::SessionCore;

namespace {

// An operation's error answer as the status its Ref method returns.
absl::Status StatusOf(const v1::OperationError& error) {
  absl::Status status(static_cast<absl::StatusCode>(error.code()), error.message());
  if (error.has_info()) {
    status.SetPayload(client_internal::kErrorInfoTypeUrl,
                      absl::Cord(error.info().SerializeAsString()));
  }
  return status;
}

absl::Status Within(const absl::Status& s, size_t index, absl::string_view what) {
  return absl::Status(s.code(), absl::StrCat("batch operation ", index, ", ", what, ": ",
                                             s.message()));
}

}  // namespace

BatchBuilder& BatchBuilder::Get(BatchTarget target, std::string name) {
  operations_.push_back({Operation::Kind::kGet, std::move(target), std::move(name), {}, {}});
  return *this;
}

BatchBuilder& BatchBuilder::Set(BatchTarget target, std::string name, BatchValue value) {
  operations_.push_back(
      {Operation::Kind::kSet, std::move(target), std::move(name), {std::move(value)}, {}});
  return *this;
}

BatchBuilder& BatchBuilder::Del(BatchTarget target, std::string name) {
  operations_.push_back({Operation::Kind::kDel, std::move(target), std::move(name), {}, {}});
  return *this;
}

BatchBuilder& BatchBuilder::Call(BatchTarget target, std::string name,
                                 std::vector<BatchValue> args,
                                 std::map<std::string, BatchValue> kwargs) {
  operations_.push_back({Operation::Kind::kCall, std::move(target), std::move(name),
                         std::move(args), std::move(kwargs)});
  return *this;
}

BatchBuilder& BatchBuilder::StopOnError(bool stop) {
  stop_on_error_ = stop;
  return *this;
}

absl::StatusOr<std::vector<absl::StatusOr<Value>>> BatchBuilder::Run() const {
  if (core_ == nullptr) return absl::FailedPreconditionError("orb: the session is closed");
  SessionCore& session = *core_;
  v1::BatchRequest request;
  request.set_stop_on_error(stop_on_error_);
  // Keeps every Ref named in the batch alive until the answer is in.
  std::vector<Ref> named;
  // Converts one argument or value; a Result becomes Value.result.
  auto to_proto = [&session, &named](const BatchValue& value, v1::Value* out) -> absl::Status {
    if (value.result_.has_value()) {
      out->set_result(*value.result_);
      return absl::OkStatus();
    }
    if (value.value_.is_ref()) named.push_back(*value.value_.AsRef());
    return session.ToProto(value.value_, out);
  };
  for (size_t i = 0; i < operations_.size(); ++i) {
    const Operation& op = operations_[i];
    v1::BatchOperation* out = request.add_operations();
    std::string handle;
    if (op.target.result_.has_value()) {
      out->mutable_target()->set_result(*op.target.result_);
    } else {
      if (!op.target.ref_) {
        return absl::InvalidArgumentError(
            absl::StrCat("batch operation ", i, ": the target is an empty Ref"));
      }
      v1::Value check;
      absl::Status s = session.ToProto(Value(op.target.ref_), &check);
      if (!s.ok()) return Within(s, i, "target");
      handle = op.target.ref_.id();
      named.push_back(op.target.ref_);
    }
    switch (op.kind) {
      case Operation::Kind::kGet:
        out->mutable_get_attr()->set_handle(handle);
        out->mutable_get_attr()->set_name(op.name);
        break;
      case Operation::Kind::kDel:
        out->mutable_del_attr()->set_handle(handle);
        out->mutable_del_attr()->set_name(op.name);
        break;
      case Operation::Kind::kSet: {
        v1::SetAttrRequest* set = out->mutable_set_attr();
        set->set_handle(handle);
        set->set_name(op.name);
        absl::Status s = to_proto(op.args.front(), set->mutable_value());
        if (!s.ok()) return Within(s, i, "value");
        break;
      }
      case Operation::Kind::kCall: {
        v1::CallRequest* call = out->mutable_call();
        call->set_handle(handle);
        call->set_name(op.name);
        for (size_t a = 0; a < op.args.size(); ++a) {
          absl::Status s = to_proto(op.args[a], call->add_args());
          if (!s.ok()) return Within(s, i, absl::StrCat("argument ", a));
        }
        for (const auto& [key, value] : op.kwargs) {
          absl::Status s = to_proto(value, &(*call->mutable_kwargs())[key]);
          if (!s.ok()) return Within(s, i, absl::StrCat("argument '", key, "'"));
        }
        break;
      }
    }
  }
  v1::BatchResponse response;
  absl::Status sent = session.RunBatch(&request, &response);
  if (!sent.ok()) return sent;
  std::vector<absl::StatusOr<Value>> outcomes;
  outcomes.reserve(response.results_size());
  for (v1::BatchResult& r : *response.mutable_results()) {
    switch (r.outcome_case()) {
      case v1::BatchResult::kGetAttr:
        outcomes.emplace_back(session.FromProto(r.get_attr().value()));
        break;
      case v1::BatchResult::kCall:
        outcomes.emplace_back(session.FromProto(r.call().result()));
        break;
      case v1::BatchResult::kError:
        outcomes.emplace_back(StatusOf(r.error()));
        break;
      default:  // set_attr, del_attr: nothing to return
        outcomes.emplace_back(Value());
        break;
    }
  }
  return outcomes;
}

BatchBuilder Session::Batch() const { return BatchBuilder(core_); }

absl::StatusOr<std::string> Session::RunBatchJson(absl::string_view request_json) const {
  if (core_ == nullptr) return absl::FailedPreconditionError("orb: the session is closed");
  v1::BatchRequest request;
  google::protobuf::util::JsonParseOptions parse;
  const auto parsed =
      google::protobuf::util::JsonStringToMessage(std::string(request_json), &request, parse);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "not an orb.v1.BatchRequest in JSON (docs/protocol.md#batch): ", parsed.ToString()));
  }
  for (v1::BatchOperation& op : *request.mutable_operations()) {
    if (op.has_target()) continue;
    // An operation with neither handle nor target acts on the root.
    auto aim = [this](auto* r) {
      if (r->handle().empty()) r->set_handle(root_.id());
    };
    switch (op.operation_case()) {
      case v1::BatchOperation::kGetAttr: aim(op.mutable_get_attr()); break;
      case v1::BatchOperation::kSetAttr: aim(op.mutable_set_attr()); break;
      case v1::BatchOperation::kDelAttr: aim(op.mutable_del_attr()); break;
      case v1::BatchOperation::kCall: aim(op.mutable_call()); break;
      case v1::BatchOperation::kDescribe: aim(op.mutable_describe()); break;
      case v1::BatchOperation::kRestrict: aim(op.mutable_restrict()); break;
      default: break;
    }
  }
  v1::BatchResponse response;
  absl::Status sent = core_->RunBatch(&request, &response);
  if (!sent.ok()) return sent;
  std::string json;
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(response, &json, print).ok()) {
    return absl::InternalError("orb: the batch answer cannot be written as JSON");
  }
  return json;
}

}  // namespace client
}  // namespace orb
