// BrokerCore::StartWatch and the core's side of a watch (broker/watch.h).
#include "broker/watch.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/sync.h"
#include "broker/core_impl.h"
#include "orb/broker/errors.h"

namespace orb::broker {

absl::StatusOr<std::shared_ptr<Watch>> BrokerCore::StartWatch(const RequestContext& ctx,
                                                              const v1::WatchRequest& req,
                                                              std::function<void()> wake) {
  RequestContext inner = ctx;
  if (inner.policy == nullptr) inner.policy = policy();
  inner.defer = nullptr;
  const policy::Limits& limits = inner.policy->limits();
  if (req.names().empty()) {
    return OrbError(absl::StatusCode::kInvalidArgument,
                    "Watch names no attribute: list at least one in `names`", v1::BAD_ARGUMENT,
                    v1::GATE_ARGUMENTS);
  }
  if (static_cast<uint32_t>(req.names_size()) > limits.max_names_per_watch) {
    return OrbError(absl::StatusCode::kInvalidArgument,
                    absl::StrCat("a watch may name at most ", limits.max_names_per_watch,
                                 " attributes (the policy's limits.max_names_per_watch); this "
                                 "one names ",
                                 req.names_size(), ": split it"),
                    v1::VALUE_TOO_LARGE, v1::GATE_LIMITS);
  }
  for (const std::string& name : req.names()) {
    absl::Status valid = Impl::CheckName(name);
    if (!valid.ok()) return valid;
  }
  Impl::Op op;
  absl::Status s = impl_->Begin(inner, req.session(), req.handle(), &op);
  if (!s.ok()) return s;
  if (op.target.is_class) {
    return OrbError(absl::StatusCode::kInvalidArgument,
                    absl::StrCat("a class handle cannot be watched (type object '",
                                 op.target.type->name(),
                                 "'): class attributes announce no changes; watch an instance"),
                    v1::NOT_WATCHABLE, v1::GATE_ARGUMENTS);
  }
  std::vector<std::string> names;
  for (const std::string& name : req.names()) {
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  // Each value is read under the policy current when it is read.
  RequestContext reads = inner;
  reads.policy = nullptr;
  reads.deadline = absl::InfiniteFuture();
  reads.renews_lease = false;  // the watcher keeps its session alive as any client
  auto watch = std::make_shared<Watch>(this, std::move(reads), req.session(), req.handle(),
                                       std::move(names), op.target.object, op.session,
                                       std::move(wake));
  s = op.session->watches().Add(watch, limits.max_watches_per_session);
  if (!s.ok()) return s;
  op.target.object->AddChangeListener(watch);
  return watch;
}

Watch::Watch(BrokerCore* core, RequestContext context, std::string session_id,
             std::string handle_id, std::vector<std::string> names,
             std::shared_ptr<Object> object, std::shared_ptr<Session> session,
             std::function<void()> wake)
    : core_(core),
      context_(std::move(context)),
      session_id_(std::move(session_id)),
      handle_id_(std::move(handle_id)),
      names_(std::move(names)),
      object_(std::move(object)),
      session_(session),
      wake_(std::move(wake)) {
  orb::MutexHold lock(&mu_);
  watched_.insert(names_.begin(), names_.end());
}

Watch::~Watch() { Cancel(); }

void Watch::Cancel() {
  {
    orb::MutexHold lock(&mu_);
    cancelled_ = true;
    // After this, `wake_` never runs again: Mark() checks cancelled_.
    orb::AwaitWithTimeout(&mu_, absl::Condition(
                                    +[](int* waking) { return *waking == 0; }, &waking_),
                          absl::InfiniteDuration());
  }
  object_->RemoveChangeListener(this);
  if (std::shared_ptr<Session> session = session_.lock()) session->watches().Remove(this);
}

void Watch::OnChanged(absl::string_view name) { Mark(name); }

void Watch::Poke() { Mark(absl::string_view()); }

void Watch::Mark(absl::string_view name) {
  {
    orb::MutexHold lock(&mu_);
    if (cancelled_ || ended_.has_value()) return;
    if (!name.empty()) {
      auto watched = watched_.find(name);
      if (watched == watched_.end()) return;
      changed_.insert(*watched);
    }
    if (wake_due_) return;
    wake_due_ = true;
    ++waking_;
  }
  wake_();
  orb::MutexHold lock(&mu_);
  --waking_;
}

absl::StatusOr<std::optional<v1::WatchEvent>> Watch::Next(const policy::Identity& identity) {
  std::vector<std::string> names;
  bool first = false;
  {
    orb::MutexHold lock(&mu_);
    if (ended_.has_value()) return *ended_;
    wake_due_ = false;
    first = first_;
    for (const std::string& name : names_) {
      if (watched_.contains(name) && (first || changed_.contains(name))) names.push_back(name);
    }
    changed_.clear();
  }
  RequestContext context = context_;
  context.identity = identity;
  v1::WatchEvent event;
  absl::Status end = Read(context, names, first, &event);
  orb::MutexHold lock(&mu_);
  if (!end.ok()) {
    ended_ = end;
    return end;
  }
  first_ = false;
  if (first) {
    event.set_initial(true);
    return event;
  }
  if (event.values().empty() && event.dropped().empty()) return std::nullopt;
  return event;
}

absl::Status Watch::Read(const RequestContext& context, const std::vector<std::string>& names,
                         bool first, v1::WatchEvent* event) {
  // The session and the handle first, also when nothing changed (a poke).
  BrokerCore::Impl::Op op;
  absl::Status s = core_->impl_->Begin(context, session_id_, handle_id_, &op);
  if (!s.ok()) return s;
  if (names.empty()) return absl::OkStatus();
  // GetAttrs takes at most max_batch_operations names at once.
  const size_t chunk = std::max<uint32_t>(1, op.policy->limits().max_batch_operations);
  absl::Status first_refusal;
  for (size_t at = 0; at < names.size(); at += chunk) {
    v1::GetAttrsRequest request;
    request.set_session(session_id_);
    request.set_handle(handle_id_);
    for (size_t i = at; i < std::min(names.size(), at + chunk); ++i) request.add_names(names[i]);
    v1::GetAttrsResponse values;
    s = core_->GetAttrs(context, request, &values);
    if (!s.ok()) {
      if (!MayNotRead(s)) return s;  // the session, the handle, a member's own error
      if (first_refusal.ok()) first_refusal = s;  // no name of this part is readable
      continue;
    }
    for (auto& [name, value] : *values.mutable_values()) {
      (*event->mutable_values())[name] = std::move(value);
    }
  }
  if (first && event->values().empty()) return first_refusal;  // as GetAttrs
  orb::MutexHold lock(&mu_);
  for (const std::string& name : names) {
    if (event->values().contains(name)) continue;
    watched_.erase(name);
    // In the first event a name left out was never watched, as in GetAttrs.
    if (!first) event->add_dropped(name);
  }
  if (watched_.empty()) {
    return OrbError(absl::StatusCode::kPermissionDenied,
                    absl::StrCat("the watch ended: the watcher may no longer read any of the "
                                 "attributes it watched on this '",
                                 op.target.type->name(), "' object (policy revision ",
                                 op.policy->revision(), ")"),
                    v1::WATCH_NOTHING_LEFT, v1::GATE_ACL);
  }
  return absl::OkStatus();
}

}  // namespace orb::broker
