// Who is calling: the result of authentication, input to authorization.
#ifndef ORB_POLICY_IDENTITY_H_
#define ORB_POLICY_IDENTITY_H_

#include <string>
#include <vector>

#include "orb/policy/symbols.h"

namespace orb::policy {

// An authenticated user (userid + groups) or anonymous (empty userid).
struct Identity {
  std::string userid;               // empty: anonymous
  std::vector<std::string> groups;  // e.g. "group:editors"
  // How the identity was established: "anonymous", "bearer", "ticket", "mtls".
  std::string method = "anonymous";

  bool authenticated() const { return !userid.empty(); }

  // The effective principals: always system.Everyone; when authenticated
  // also system.Authenticated, the userid and the groups (in that order).
  Principals EffectivePrincipals() const;

  // A stable key naming this identity for session ownership and quotas:
  // "anonymous" or "user:<userid>". Two calls with the same userid own the
  // same sessions, whichever credential they used.
  std::string OwnerKey() const;
};

}  // namespace orb::policy

#endif  // ORB_POLICY_IDENTITY_H_
