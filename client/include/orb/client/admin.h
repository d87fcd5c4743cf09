// orb::client::Admin: the broker's admin service (orb.v1.BrokerAdmin,
// proto/orb/v1/admin.proto) over a Client's channel and credentials.
//
//   orb::client::Admin admin(*client);
//   absl::StatusOr<orb::v1::ListSessionsResponse> live = admin.ListSessions();
//   admin.CloseSession(live->sessions(0).ref());
//
// Each call needs its admin permission in the running policy's admin ACL
// ("policy.view", "policy.reload", "sessions.view", "sessions.close"),
// else PERMISSION_DENIED. Errors are those of admin.proto, as absl::Status
// with the orb.v1.ErrorInfo payload (ErrorInfoOf) and the transport hints
// of the other calls. Thread-safe; holds the Client's channel (the Client
// may go first).
#ifndef ORB_CLIENT_ADMIN_H_
#define ORB_CLIENT_ADMIN_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "orb/client/client.h"
#include "orb/v1/admin.pb.h"

namespace orb {
namespace client {

class Admin {
 public:
  explicit Admin(const Client& client);

  absl::StatusOr<v1::PolicyInfo> GetPolicyInfo() const;
  absl::StatusOr<v1::ReloadPolicyResponse> ReloadPolicy() const;
  // The live sessions, oldest first; `request` filters and limits them.
  absl::StatusOr<v1::ListSessionsResponse> ListSessions(
      const v1::ListSessionsRequest& request = {}) const;
  // Closes the session with this reference (SessionInfo.ref), whoever owns it.
  absl::StatusOr<v1::AdminCloseSessionResponse> CloseSession(absl::string_view ref) const;

 private:
  std::shared_ptr<client_internal::ClientCore> core_;
};

}  // namespace client
}  // namespace orb

#endif  // ORB_CLIENT_ADMIN_H_
