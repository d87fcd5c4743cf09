// The permissions of the broker's admin service (orb.v1.BrokerAdmin), as a
// policy's `admin { acl { ... } }` grants them (docs/policy.md, "admin").
#ifndef ORB_BROKER_ADMIN_PERMISSIONS_H_
#define ORB_BROKER_ADMIN_PERMISSIONS_H_

namespace orb::broker {

inline constexpr char kPolicyViewPermission[] = "policy.view";        // GetPolicyInfo
inline constexpr char kPolicyReloadPermission[] = "policy.reload";    // ReloadPolicy
inline constexpr char kSessionsViewPermission[] = "sessions.view";    // ListSessions
inline constexpr char kSessionsClosePermission[] = "sessions.close";  // CloseSession

// Every one of them, for `orbd --dump-types` and the policy check.
inline constexpr const char* kAdminPermissions[] = {
    kPolicyViewPermission, kPolicyReloadPermission, kSessionsViewPermission,
    kSessionsClosePermission};

}  // namespace orb::broker

#endif  // ORB_BROKER_ADMIN_PERMISSIONS_H_
