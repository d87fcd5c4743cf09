// A broker's public name and the incarnation of this run, and the session
// ids they prefix: `<broker-id>~<incarnation>.<32 hex digits>`.
//
// The prefix is routing data for a proxy in front of several brokers
// (docs/scale-out.md), never an authenticator: what makes a session id
// unguessable is its random secret part, and a session is found only by
// its whole id and only for its owner. Thread-safety: pure functions.
#ifndef ORB_BROKER_BROKER_IDENTITY_H_
#define ORB_BROKER_BROKER_IDENTITY_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace orb::broker {

struct BrokerIdentity {
  // The name clients send in `orb-route` and the proxy routes on. Empty:
  // session ids carry no prefix (unit tests that build tables by hand).
  std::string broker_id;
  // Chosen at each start (8 hex digits): tells a session of an earlier run
  // of the same broker from one of this run.
  std::string incarnation;
};

// The longest broker id.
inline constexpr size_t kMaxBrokerIdBytes = 63;

// OK when `id` is 1 to 63 characters of [A-Za-z0-9._-] starting with a
// letter or digit (fits a DNS label, a Kubernetes pod name, an HAProxy
// server name and a metadata value). Else INVALID_ARGUMENT saying so.
absl::Status ValidateBrokerId(absl::string_view id);

// "orbd-" and 6 random hex digits; a random 8-hex-digit incarnation.
// Both from the OS CSPRNG.
std::string RandomBrokerId();
std::string RandomIncarnation();

// "<broker-id>~<incarnation>." , or "" when identity.broker_id is empty.
std::string SessionIdPrefix(const BrokerIdentity& identity);

// The broker id a session id names: the text before its first '~', or ""
// when it has none.
absl::string_view BrokerIdOf(absl::string_view session_id);

// True when `session_id` has the prefix of broker `me.broker_id` with an
// incarnation other than `me.incarnation`: a session of an earlier run.
bool FromEarlierRun(absl::string_view session_id, const BrokerIdentity& me);

// The secret part of an id: what follows the prefix of a session id, the
// whole id otherwise (handle ids, unprefixed ids).
absl::string_view SecretPartOf(absl::string_view id);

}  // namespace orb::broker

#endif  // ORB_BROKER_BROKER_IDENTITY_H_
