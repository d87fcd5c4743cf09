// Request ids: a retry of a request gets its first outcome instead of
// running again (RequestOutcomes keeps them per session).
#include <memory>
#include <string>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "broker/core_impl.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "orb/broker/errors.h"
#include "orb/policy/authn.h"

namespace orb::broker {
namespace {

// The request's bytes, map entries in key order (a retry rebuilt by the
// client may order a map otherwise), hashed.
std::string Fingerprint(const google::protobuf::Message& req) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    req.SerializeToCodedStream(&coded);
  }
  return policy::Sha256Hex(bytes);
}

void Complete(RequestOutcomes::Claim& claim, const absl::Status& status,
              const google::protobuf::Message& resp, absl::Time now) {
  RequestOutcomes::Outcome outcome;
  outcome.status = status;
  if (status.ok()) outcome.response = resp.SerializeAsString();
  claim.Complete(std::move(outcome), now);
}

}  // namespace

absl::Status BrokerCore::Impl::WithRequestId(
    const RequestContext& ctx, const google::protobuf::Message& req, absl::string_view session_id,
    absl::string_view request_id, google::protobuf::Message* resp,
    absl::FunctionRef<absl::Status(const RequestContext&)> run) {
  if (request_id.empty()) return run(ctx);
  RequestContext inline_ctx;
  const RequestContext* run_ctx = &ctx;
  if (Deferred(ctx)) {
    DeferredCall::State& state = *ctx.defer->state_;
    if (state.claim != nullptr) {
      // The second half of a decided call: the member runs now, under the
      // claim its first half took.
      std::unique_ptr<RequestOutcomes::Claim> claim = std::move(state.claim);
      absl::Status s = run(ctx);
      Complete(*claim, s, *resp, Now());
      return s;
    }
    // Handed over to wait for the first request with this id (below):
    // everything again from here, where waiting is allowed; if the request
    // falls to this call, it runs here too.
    ctx.defer->state_.reset();
    inline_ctx = ctx;
    inline_ctx.defer = nullptr;
    run_ctx = &inline_ctx;
  }
  if (request_id.size() > kMaxRequestIdBytes) {
    return ArgumentError(absl::StrCat("a request_id is at most ", kMaxRequestIdBytes,
                                      " bytes; this one has ", request_id.size()));
  }
  // A call that will not find its session is answered (and audited) as
  // without an id; nothing is kept.
  absl::StatusOr<std::shared_ptr<Session>> session =
      CheckRoute(ctx).ok() ? sessions.Owned(session_id, ctx.identity.OwnerKey())
                           : absl::StatusOr<std::shared_ptr<Session>>(SessionTable::NotFound());
  if (!session.ok()) return run(*run_ctx);

  const policy::Limits limits = LimitsOf(ctx.policy != nullptr ? ctx.policy : CurrentPolicy());
  RequestOutcomes::Limits keep;
  keep.window = absl::Seconds(limits.request_id_window_seconds);
  keep.max_entries = limits.max_request_ids_per_session;
  const bool may_wait = run_ctx->defer == nullptr;
  absl::StatusOr<RequestOutcomes::Begun> begun = (*session)->outcomes()->Begin(
      request_id, Fingerprint(req), Now(), ctx.deadline, may_wait, keep);
  if (!begun.ok()) return begun.status();
  if (auto* kept = std::get_if<RequestOutcomes::Outcome>(&*begun)) {
    if (kept->status.ok() && !resp->ParseFromString(kept->response)) {
      return absl::InternalError("the kept outcome of this request id could not be read back");
    }
    return kept->status;
  }
  if (std::holds_alternative<RequestOutcomes::Running>(*begun)) {
    // The first request still runs; its outcome may take as long as its
    // member does: wait on a member thread, not on this one.
    ctx.defer->state_ = std::make_unique<DeferredCall::State>();
    return absl::OkStatus();
  }
  std::unique_ptr<RequestOutcomes::Claim> claim =
      std::move(std::get<std::unique_ptr<RequestOutcomes::Claim>>(*begun));
  absl::Status s = run(*run_ctx);
  if (Deferred(*run_ctx)) {
    // Decided; the member runs on a member thread (the second half above).
    run_ctx->defer->state_->claim = std::move(claim);
    return s;
  }
  Complete(*claim, s, *resp, Now());
  return s;
}

}  // namespace orb::broker
