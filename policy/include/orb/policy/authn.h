// Authentication policies: a transport-neutral view of a call's credentials
// in, an Identity (or an UNAUTHENTICATED error) out.
//
// Built in: static bearer tokens (stored as SHA-256 hashes, compared in
// constant time), HMAC-SHA256 signed expiring tickets, and the userid of a
// verified client certificate (mTLS). Wrong or expired credentials are
// always an error, never anonymous. No message produced here contains a
// token, ticket or key.
#ifndef ORB_POLICY_AUTHN_H_
#define ORB_POLICY_AUTHN_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "orb/v1/policy.pb.h"
#include "orb/policy/identity.h"

namespace orb::policy {

// What the transport knows about a call, with no gRPC types.
struct CallCredentials {
  // The value of the `authorization` metadata entry, if any
  // ("Bearer <token>" or "Ticket <ticket>"). Empty when absent.
  std::string authorization;
  // True when the call carried an `authorization` entry at all, even an
  // empty one: a header that is present decides alone, so an empty one is
  // refused rather than read as "no credentials".
  bool has_authorization = false;
  // How many `authorization` entries the call carried. More than one is
  // refused: a proxy that appends its own header must not let the first
  // one through unseen.
  size_t authorization_count = 0;
  // A metadata key that equals, ignoring case, a header orb reads for
  // identity (`authorization`) but is not spelled in lower case, e.g.
  // "Authorization" sent over raw HTTP/2. Such a call is refused, never
  // read as anonymous. Empty when there is none.
  std::string miscased_header;
  // A client certificate that the TLS layer has verified against the
  // configured CA. Empty fields when there is none.
  struct PeerCertificate {
    bool verified = false;
    std::string subject_cn;
    std::vector<std::string> san_dns, san_uri, san_email;
  } peer;
};

// Maps credentials to identities under one policy's `authentication`
// section and users/groups table.
//
// Thread safety: immutable after Create(); Authenticate() may be called
// concurrently.
class Authenticator {
 public:
  // REQUIRES: `policy` was validated by the policy loader, with a ticket key
  // file already resolved into `tickets.hmac_key_hex` (the loader does so).
  // Errors: INVALID_ARGUMENT for a malformed token hash or ticket key (the
  // message names the field, never its value).
  static absl::StatusOr<std::unique_ptr<const Authenticator>> Create(
      const orb::v1::Policy& policy);

  // Returns the caller's identity:
  //   - authorization "Bearer <t>" whose SHA-256 matches a configured token:
  //     that user (with the groups of the users table);
  //   - "Ticket <t>" with a valid signature and unexpired: that user;
  //   - a verified peer certificate (when mtls is configured): its userid;
  //   - nothing at all: anonymous if allow_anonymous, else UNAUTHENTICATED.
  // One credential per call: two `authorization` entries, or an
  // authorization header together with a verified client certificate when
  // mtls is configured, are UNAUTHENTICATED, and so is a miscased identity
  // header (see CallCredentials). A certificate is a credential only when
  // mtls is configured, and is ignored otherwise. Userids that the users table
  // does not list authenticate with no groups. `now` is the clock tickets
  // are checked against.
  // Errors: UNAUTHENTICATED with a message that names what was wrong
  // ("unknown bearer token", "ticket expired at ...") but never the secret,
  // nor the scheme word of an unsupported header (it may be a bare token).
  absl::StatusOr<Identity> Authenticate(const CallCredentials& credentials,
                                        absl::Time now) const;

  bool allow_anonymous() const;

 private:
  Authenticator() = default;
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

// The shortest ticket signing key accepted, in bytes.
inline constexpr size_t kMinTicketKeyBytes = 32;

// Decodes lower-case hex into bytes. False (and `bytes` unspecified) on an
// odd length or any character outside [0-9a-f].
bool DecodeLowerHex(absl::string_view hex, std::string* bytes);

// Lower-case hex SHA-256 of `data` ("" only if OpenSSL itself fails).
std::string Sha256Hex(absl::string_view data);

// Tickets: "orb1.<base64url(userid)>.<expiry unix seconds>.<hex HMAC-SHA256
// of the part before the last dot>" (docs/policy.md); base64url without
// padding. `key` is the raw key bytes (not hex). Minting needs the key.
// Returns "" only if OpenSSL itself fails.
std::string MintTicket(absl::string_view key, absl::string_view userid, absl::Time expiry);

// Constant-time equality of two byte strings (length leaks, content not).
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace orb::policy

#endif  // ORB_POLICY_AUTHN_H_
