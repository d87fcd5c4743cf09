// orb::broker::CallContext: what a bound member may know about the call that reached
// it. A method, property accessor or class attribute asks for it by taking a
// `const orb::broker::CallContext&` as its first parameter (after the object, for
// member functions):
//
//   absl::StatusOr<std::shared_ptr<Entry>> Blog::AddEntry(
//       const orb::broker::CallContext& ctx, std::string title, std::string body);
//
// Thread safety: a CallContext lives for one call and is used by the thread
// running that call. Its accessors are const and safe to call from it.
#ifndef ORB_BROKER_CALL_CONTEXT_H_
#define ORB_BROKER_CALL_CONTEXT_H_

#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "orb/policy/identity.h"
#include "orb/policy/symbols.h"

namespace orb::broker {

class CallContext {
 public:
  // REQUIRES: every referenced object outlives this context.
  CallContext(const policy::Identity& identity, const policy::Principals& principals,
              absl::string_view session_id, absl::Time deadline,
              const std::function<bool()>* is_cancelled,
              const std::function<absl::Time()>* now)
      : identity_(identity),
        principals_(principals),
        session_id_(session_id),
        deadline_(deadline),
        is_cancelled_(is_cancelled),
        now_(now) {}

  // Who is calling (already authenticated). userid() is empty for anonymous.
  const policy::Identity& identity() const { return identity_; }
  const std::string& userid() const { return identity_.userid; }
  // The caller's effective principals, as the ACL evaluator sees them.
  const policy::Principals& principals() const { return principals_; }
  // The caller's session id (opaque; for logs and per-session state only).
  absl::string_view session_id() const { return session_id_; }

  // The client's deadline (absl::InfiniteFuture() when it set none).
  absl::Time deadline() const { return deadline_; }
  // The broker's clock: the same clock the deadline is compared against.
  absl::Time now() const { return now_ != nullptr && *now_ ? (*now_)() : absl::Now(); }
  // True once the client cancelled the call or disconnected. Long-running
  // members should poll it and give up (e.g. return absl::CancelledError()).
  bool cancelled() const { return is_cancelled_ != nullptr && *is_cancelled_ && (*is_cancelled_)(); }
  // True once the deadline has passed.
  bool deadline_exceeded() const { return now() >= deadline_; }

 private:
  const policy::Identity& identity_;
  const policy::Principals& principals_;
  absl::string_view session_id_;
  absl::Time deadline_;
  const std::function<bool()>* is_cancelled_;
  const std::function<absl::Time()>* now_;
};

}  // namespace orb::broker

#endif  // ORB_BROKER_CALL_CONTEXT_H_
