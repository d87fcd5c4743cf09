// Test access to an Olp's raw tables, which the public API keeps private
// (everything outside tests asks Olp::Resolve).
#ifndef ORB_TESTS_POLICY_OLP_PEER_H_
#define ORB_TESTS_POLICY_OLP_PEER_H_

#include "absl/strings/string_view.h"
#include "orb/policy/olp.h"

namespace orb::policy {

class OlpPeer {
 public:
  // The table for (view, op) as built, wildcards included.
  static const OlpTable& Table(const Olp& olp, View view, Op op) { return olp.table(view, op); }
  // The single lock Restrict keeps for `name` (BLOCKED when not exposed).
  static Lock EffectiveLock(const Olp& olp, View view, Op op, absl::string_view name) {
    return olp.EffectiveLock(view, op, name);
  }
};

}  // namespace orb::policy

#endif  // ORB_TESTS_POLICY_OLP_PEER_H_
