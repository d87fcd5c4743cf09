// The in-process fixture of the broker core tests: a fake clock,
// identities and a small client that drive BrokerCore directly, without a
// server (broker_server.h serves a core over gRPC; Value builders and
// CompilePolicy come from builders.h).
#ifndef ORB_TESTS_TESTING_BROKER_FIXTURE_H_
#define ORB_TESTS_TESTING_BROKER_FIXTURE_H_

#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "orb/broker/broker_core.h"
#include "orb/demo/blog.h"
#include "orb/broker/errors.h"
#include "orb/broker/type_registry.h"
#include "gtest/gtest.h"
#include "orb/policy/identity.h"
#include "orb/policy/policy_loader.h"
#include "base/sync.h"
#include "tests/testing/builders.h"

namespace orb::testing {

using orb::broker::BrokerCore;
using orb::broker::GetErrorInfo;
using orb::broker::Object;
using orb::broker::RequestContext;
using orb::broker::TypeRegistry;

// A clock the test moves by hand. Thread-safe.
class FakeClock {
 public:
  absl::Time Now() const {
    orb::MutexHold lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    orb::MutexHold lock(&mu_);
    now_ += d;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_) = absl::FromUnixSeconds(1700000000);
};

inline policy::Identity Anonymous() { return policy::Identity{}; }
inline policy::Identity User(std::string userid, std::vector<std::string> groups = {}) {
  policy::Identity id;
  id.userid = std::move(userid);
  id.groups = std::move(groups);
  id.method = "bearer";
  return id;
}
inline policy::Identity Bob() { return User("bob"); }
inline policy::Identity Alice() { return User("alice", {"group:editors"}); }

// The policy the tests run under unless they say otherwise: no OLP or ACL
// of its own, so the demo's compiled-in ones apply.
inline constexpr char kBasePolicyWithoutLimits[] = R"pb(
  authentication { allow_anonymous: true }
  user { userid: "alice" group: "group:editors" }
  user { userid: "bob" }
  user { userid: "carol" }
)pb";
// The base policy with a 60 s lease and `more_limits` (Limits fields).
inline std::string PolicyWithLimits(const std::string& more_limits) {
  return std::string(kBasePolicyWithoutLimits) + "limits { session_ttl_seconds: 60 " +
         more_limits + " }\n";
}
inline const std::string kBasePolicy = PolicyWithLimits("");

// The reason in a status's ErrorInfo ("" when it has none).
inline std::string Reason(const absl::Status& s) {
  auto info = GetErrorInfo(s);
  return info.has_value() ? info->reason() : "";
}

// A broker serving the demo blog, with a fake clock.
class Harness {
 public:
  explicit Harness(const std::string& policy_text = kBasePolicy,
                   const std::function<void(TypeRegistry&)>& more_types = nullptr,
                   std::shared_ptr<Object> root = nullptr,
                   const std::function<void(BrokerCore::Options&)>& tune = nullptr) {
    auto registry = std::make_shared<TypeRegistry>();
    EXPECT_TRUE(demo::RegisterBlogTypes(*registry).ok());
    if (more_types) more_types(*registry);
    registry_ = registry;
    blog_ = demo::MakeBlog("Pyramid blog");
    BrokerCore::Options options;
    options.now = [this] { return clock_.Now(); };
    options.debug_log = [this](const std::string& line) {
      orb::MutexHold lock(&mu_);
      debug_lines_.push_back(line);
    };
    if (tune) tune(options);
    core_ = std::make_unique<BrokerCore>(registry_, root != nullptr ? root : blog_,
                                         CompilePolicy(policy_text), std::move(options));
  }

  BrokerCore& core() { return *core_; }
  FakeClock& clock() { return clock_; }
  const TypeRegistry& registry() const { return *registry_; }
  const std::shared_ptr<demo::Blog>& blog() const { return blog_; }
  std::vector<std::string> debug_lines() const {
    orb::MutexHold lock(&mu_);
    return debug_lines_;
  }

 private:
  FakeClock clock_;
  std::shared_ptr<TypeRegistry> registry_;
  std::shared_ptr<demo::Blog> blog_;
  std::unique_ptr<BrokerCore> core_;
  mutable absl::Mutex mu_;
  std::vector<std::string> debug_lines_ ABSL_GUARDED_BY(mu_);
};

// One client: an identity with an open session.
class Client {
 public:
  Client(Harness& h, policy::Identity identity) : h_(h) { ctx_.identity = std::move(identity); }

  // Opens the session; fails the test when that fails.
  Client& Open() {
    v1::OpenSessionResponse resp;
    absl::Status s = h_.core().OpenSession(ctx_, v1::OpenSessionRequest(), &resp);
    EXPECT_TRUE(s.ok()) << s;
    session_ = resp.session();
    root_ = resp.root();
    open_ = resp;
    return *this;
  }

  RequestContext& ctx() { return ctx_; }
  const std::string& session() const { return session_; }
  void set_session(std::string s) { session_ = std::move(s); }
  const v1::HandleRef& root() const { return root_; }
  const v1::OpenSessionResponse& open_response() const { return open_; }

  absl::StatusOr<v1::Value> Get(const v1::HandleRef& h, const std::string& name) {
    v1::GetAttrRequest req;
    req.set_session(session_);
    req.set_handle(h.id());
    req.set_name(name);
    v1::GetAttrResponse resp;
    absl::Status s = h_.core().GetAttr(ctx_, req, &resp);
    if (!s.ok()) return s;
    return resp.value();
  }
  absl::Status Set(const v1::HandleRef& h, const std::string& name, v1::Value value) {
    v1::SetAttrRequest req;
    req.set_session(session_);
    req.set_handle(h.id());
    req.set_name(name);
    *req.mutable_value() = std::move(value);
    v1::SetAttrResponse resp;
    return h_.core().SetAttr(ctx_, req, &resp);
  }
  absl::Status Del(const v1::HandleRef& h, const std::string& name) {
    v1::DelAttrRequest req;
    req.set_session(session_);
    req.set_handle(h.id());
    req.set_name(name);
    v1::DelAttrResponse resp;
    return h_.core().DelAttr(ctx_, req, &resp);
  }
  absl::StatusOr<v1::Value> Call(const v1::HandleRef& h, const std::string& name,
                                 std::vector<v1::Value> args = {},
                                 std::vector<std::pair<std::string, v1::Value>> kwargs = {}) {
    v1::CallRequest req;
    req.set_session(session_);
    req.set_handle(h.id());
    req.set_name(name);
    for (auto& a : args) *req.add_args() = std::move(a);
    for (auto& [k, v] : kwargs) (*req.mutable_kwargs())[k] = std::move(v);
    v1::CallResponse resp;
    absl::Status s = h_.core().Call(ctx_, req, &resp);
    if (!s.ok()) return s;
    return resp.result();
  }
  absl::StatusOr<uint32_t> Release(std::vector<std::string> ids) {
    v1::ReleaseRequest req;
    req.set_session(session_);
    for (auto& id : ids) req.add_handles(std::move(id));
    v1::ReleaseResponse resp;
    absl::Status s = h_.core().Release(ctx_, req, &resp);
    if (!s.ok()) return s;
    return resp.released();
  }
  absl::StatusOr<v1::ListHandlesResponse> List() {
    v1::ListHandlesRequest req;
    req.set_session(session_);
    v1::ListHandlesResponse resp;
    absl::Status s = h_.core().ListHandles(ctx_, req, &resp);
    if (!s.ok()) return s;
    return resp;
  }
  absl::StatusOr<v1::DescribeResponse> Describe(const v1::HandleRef& h) {
    v1::DescribeRequest req;
    req.set_session(session_);
    req.set_handle(h.id());
    v1::DescribeResponse resp;
    absl::Status s = h_.core().Describe(ctx_, req, &resp);
    if (!s.ok()) return s;
    return resp;
  }
  absl::StatusOr<v1::HandleRef> Restrict(const v1::HandleRef& h,
                                         std::vector<std::string> getattr,
                                         std::vector<std::string> setattr = {},
                                         std::vector<std::string> delattr = {},
                                         std::vector<std::string> call = {}) {
    v1::RestrictRequest req;
    req.set_session(session_);
    req.set_handle(h.id());
    for (auto& n : getattr) req.add_getattr(n);
    for (auto& n : setattr) req.add_setattr(n);
    for (auto& n : delattr) req.add_delattr(n);
    for (auto& n : call) req.add_call(n);
    v1::RestrictResponse resp;
    absl::Status s = h_.core().Restrict(ctx_, req, &resp);
    if (!s.ok()) return s;
    return resp.handle();
  }
  absl::Status KeepAlive() {
    v1::KeepAliveRequest req;
    req.set_session(session_);
    v1::KeepAliveResponse resp;
    return h_.core().KeepAlive(ctx_, req, &resp);
  }
  absl::StatusOr<uint32_t> Close() {
    v1::CloseSessionRequest req;
    req.set_session(session_);
    v1::CloseSessionResponse resp;
    absl::Status s = h_.core().CloseSession(ctx_, req, &resp);
    if (!s.ok()) return s;
    return resp.released_handles();
  }

  // Call/Get that must succeed and yield a handle.
  v1::HandleRef CallForHandle(const v1::HandleRef& h, const std::string& name,
                              std::vector<v1::Value> args = {}) {
    absl::StatusOr<v1::Value> v = Call(h, name, std::move(args));
    EXPECT_TRUE(v.ok()) << v.status();
    EXPECT_TRUE(v.ok() && v->has_handle()) << (v.ok() ? v->DebugString() : "");
    return v.ok() ? v->handle() : v1::HandleRef();
  }
  v1::HandleRef GetHandle(const v1::HandleRef& h, const std::string& name) {
    absl::StatusOr<v1::Value> v = Get(h, name);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? v->handle() : v1::HandleRef();
  }

 private:
  Harness& h_;
  RequestContext ctx_;
  std::string session_;
  v1::HandleRef root_;
  v1::OpenSessionResponse open_;
};

}  // namespace orb::testing

#endif  // ORB_TESTS_TESTING_BROKER_FIXTURE_H_
