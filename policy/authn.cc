#include "orb/policy/authn.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

namespace orb::policy {
namespace {

constexpr size_t kDigestSize = 32;  // SHA-256 and HMAC-SHA256
using Digest = std::array<unsigned char, kDigestSize>;

constexpr absl::string_view kTicketPrefix = "orb1";
constexpr uint32_t kDefaultTicketLifetimeSeconds = 24 * 60 * 60;

// SHA-256 fetched once: EVP_sha256() makes OpenSSL 3 look the algorithm up
// in its provider tables on every digest, which costs more than the digest
// of a token. The fetched object is immutable and shared by all threads.
const EVP_MD* FetchedSha256() {
  static const EVP_MD* const md = [] {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched != nullptr ? fetched : EVP_sha256();
  }();
  return md;
}

// Both return false when OpenSSL fails; callers then fail closed.
bool Sha256(absl::string_view data, Digest* out) {
  // One digest context per thread, reused: EVP_Digest allocates and frees
  // a context on every call, which costs as much as hashing a token.
  // EVP_DigestFinal_ex wipes the context's copy of the data.
  struct ThreadContext {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~ThreadContext() { EVP_MD_CTX_free(ctx); }
  };
  thread_local ThreadContext local;
  if (local.ctx == nullptr) return false;
  unsigned int len = 0;
  return EVP_DigestInit_ex2(local.ctx, FetchedSha256(), nullptr) == 1 &&
         EVP_DigestUpdate(local.ctx, data.data(), data.size()) == 1 &&
         EVP_DigestFinal_ex(local.ctx, out->data(), &len) == 1 && len == kDigestSize;
}

bool HmacSha256(absl::string_view key, absl::string_view data, Digest* out) {
  unsigned int len = 0;
  return HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(data.data()), data.size(), out->data(),
              &len) != nullptr &&
         len == kDigestSize;
}

std::string LowerHex(const unsigned char* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xf];
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

absl::Status Unauthenticated(absl::string_view message) {
  return absl::UnauthenticatedError(message);
}

std::string FormatUtc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

}  // namespace

struct Authenticator::Impl {
  struct Token {
    Digest sha256;
    std::string userid;
  };
  bool allow_anonymous = false;
  std::vector<Token> tokens;
  bool tickets_enabled = false;
  std::string ticket_key;  // raw bytes
  absl::Duration ticket_max_lifetime;
  bool mtls_enabled = false;
  orb::v1::MtlsAuth::Source mtls_source = orb::v1::MtlsAuth::SUBJECT_CN;
  absl::flat_hash_map<std::string, std::string> mtls_map;  // certificate name -> userid
  absl::flat_hash_map<std::string, std::vector<std::string>> groups;  // userid -> groups

  Identity MakeIdentity(std::string userid, absl::string_view method) const {
    Identity identity;
    auto it = groups.find(userid);
    if (it != groups.end()) identity.groups = it->second;
    identity.userid = std::move(userid);
    identity.method = std::string(method);
    return identity;
  }

  std::string AcceptedSchemes() const {
    std::vector<absl::string_view> schemes;
    if (!tokens.empty()) schemes.push_back("'Bearer <token>'");
    if (tickets_enabled) schemes.push_back("'Ticket <ticket>'");
    if (schemes.empty()) return "this server accepts no authorization header";
    return absl::StrCat("accepted: ", absl::StrJoin(schemes, " or "));
  }

  absl::StatusOr<Identity> FromBearer(absl::string_view token) const;
  absl::StatusOr<Identity> FromTicket(absl::string_view ticket, absl::Time now) const;
  absl::StatusOr<Identity> FromCertificate(const CallCredentials::PeerCertificate& peer) const;
};

absl::StatusOr<Identity> Authenticator::Impl::FromBearer(absl::string_view token) const {
  if (token.empty()) return Unauthenticated("empty bearer token");
  if (tokens.empty()) {
    return Unauthenticated(absl::StrCat("bearer tokens are not configured on this server; ",
                                        AcceptedSchemes()));
  }
  Digest presented{};
  if (!Sha256(token, &presented)) return Unauthenticated("cannot hash the bearer token");
  // Every configured hash is compared, whatever matched before: the time
  // taken does not depend on which entry (if any) matches.
  size_t match = tokens.size();
  for (size_t i = 0; i < tokens.size(); ++i) {
    const int differs = CRYPTO_memcmp(presented.data(), tokens[i].sha256.data(), kDigestSize);
    // Branch-free select: mask is all ones when equal.
    const size_t mask = static_cast<size_t>(0) - static_cast<size_t>(differs == 0);
    match = (i & mask) | (match & ~mask);
  }
  if (match == tokens.size()) return Unauthenticated("unknown bearer token");
  return MakeIdentity(tokens[match].userid, "bearer");
}

absl::StatusOr<Identity> Authenticator::Impl::FromTicket(absl::string_view ticket,
                                                         absl::Time now) const {
  if (!tickets_enabled) {
    return Unauthenticated(
        absl::StrCat("tickets are not configured on this server; ", AcceptedSchemes()));
  }
  constexpr absl::string_view kShape =
      "malformed ticket: expected orb1.<base64url userid>.<expiry unix seconds>.<hex "
      "HMAC-SHA256> (mint one with 'orbctl policy mint-ticket')";
  std::vector<absl::string_view> parts = absl::StrSplit(ticket, '.');
  if (parts.size() != 4) return Unauthenticated(kShape);
  if (parts[0] != kTicketPrefix) {
    return Unauthenticated(
        "malformed ticket: unsupported ticket version (this server accepts 'orb1')");
  }
  std::string userid;
  if (parts[1].empty() || !absl::WebSafeBase64Unescape(parts[1], &userid) || userid.empty()) {
    return Unauthenticated("malformed ticket: the userid part is not non-empty base64url");
  }
  int64_t expiry_seconds = 0;
  if (parts[2].empty() || parts[2].size() > 18 ||
      parts[2].find_first_not_of("0123456789") != absl::string_view::npos ||
      !absl::SimpleAtoi(parts[2], &expiry_seconds)) {
    return Unauthenticated("malformed ticket: the expiry part is not a decimal unix time");
  }
  std::string signature;
  if (parts[3].size() != 2 * kDigestSize || !DecodeLowerHex(parts[3], &signature)) {
    return Unauthenticated(
        "malformed ticket: the signature part is not 64 lower-case hex digits");
  }
  const size_t signed_size = ticket.size() - parts[3].size() - 1;
  Digest expected{};
  if (!HmacSha256(ticket_key, ticket.substr(0, signed_size), &expected) ||
      CRYPTO_memcmp(expected.data(), signature.data(), kDigestSize) != 0) {
    return Unauthenticated("ticket signature does not verify (wrong key or altered ticket)");
  }
  const absl::Time expiry = absl::FromUnixSeconds(expiry_seconds);
  if (expiry <= now) {
    return Unauthenticated(absl::StrCat("ticket expired at ", FormatUtc(expiry)));
  }
  if (expiry - now > ticket_max_lifetime) {
    return Unauthenticated(absl::StrCat(
        "ticket refused: it expires at ", FormatUtc(expiry), ", beyond this server's maximum "
        "ticket lifetime of ", absl::ToInt64Seconds(ticket_max_lifetime), " seconds"));
  }
  if (absl::StartsWith(userid, "system.")) {
    return Unauthenticated("ticket refused: it names a reserved 'system.' userid");
  }
  return MakeIdentity(std::move(userid), "ticket");
}

absl::StatusOr<Identity> Authenticator::Impl::FromCertificate(
    const CallCredentials::PeerCertificate& peer) const {
  const std::vector<std::string>* list = nullptr;
  absl::string_view field;
  std::string value;
  switch (mtls_source) {
    case orb::v1::MtlsAuth::SAN_DNS:
      list = &peer.san_dns;
      field = "DNS subjectAltName";
      break;
    case orb::v1::MtlsAuth::SAN_URI:
      list = &peer.san_uri;
      field = "URI subjectAltName";
      break;
    case orb::v1::MtlsAuth::SAN_EMAIL:
      list = &peer.san_email;
      field = "e-mail subjectAltName";
      break;
    default:
      field = "subject common name";
      value = peer.subject_cn;
      break;
  }
  if (list != nullptr && !list->empty()) value = list->front();
  if (value.empty()) {
    return Unauthenticated(
        absl::StrCat("client certificate has no ", field, ", which names the user here"));
  }
  if (!mtls_map.empty()) {
    auto it = mtls_map.find(value);
    if (it == mtls_map.end()) {
      return Unauthenticated(absl::StrCat("client certificate ", field, " '",
                                          absl::CHexEscape(value),
                                          "' is not mapped to a user by this server's policy"));
    }
    return MakeIdentity(it->second, "mtls");
  }
  if (absl::StartsWith(value, "system.")) {
    return Unauthenticated("client certificate names a reserved 'system.' userid");
  }
  return MakeIdentity(std::move(value), "mtls");
}

absl::StatusOr<std::unique_ptr<const Authenticator>> Authenticator::Create(
    const orb::v1::Policy& policy) {
  auto impl = std::make_shared<Impl>();
  const orb::v1::Authentication& authn = policy.authentication();
  impl->allow_anonymous = authn.allow_anonymous();
  for (const orb::v1::User& user : policy.user()) {
    std::vector<std::string>& groups = impl->groups[user.userid()];
    groups.assign(user.group().begin(), user.group().end());
  }
  for (int i = 0; i < authn.bearer_token_size(); ++i) {
    const orb::v1::BearerToken& token = authn.bearer_token(i);
    std::string raw;
    if (token.sha256().size() != 2 * kDigestSize || !DecodeLowerHex(token.sha256(), &raw)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "authentication.bearer_token[", i, "].sha256 is not 64 lower-case hex digits"));
    }
    if (token.userid().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("authentication.bearer_token[", i, "] has no userid"));
    }
    Impl::Token entry;
    std::copy(raw.begin(), raw.end(), entry.sha256.begin());
    entry.userid = token.userid();
    impl->tokens.push_back(std::move(entry));
  }
  if (authn.has_tickets()) {
    const orb::v1::TicketAuth& tickets = authn.tickets();
    if (!DecodeLowerHex(tickets.hmac_key_hex(), &impl->ticket_key) ||
        impl->ticket_key.size() < kMinTicketKeyBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "authentication.tickets needs hmac_key_hex: lower-case hex of at least ",
          kMinTicketKeyBytes, " bytes (key files are resolved by the policy loader)"));
    }
    impl->tickets_enabled = true;
    impl->ticket_max_lifetime = absl::Seconds(tickets.max_lifetime_seconds() == 0
                                                  ? kDefaultTicketLifetimeSeconds
                                                  : tickets.max_lifetime_seconds());
  }
  if (authn.has_mtls()) {
    impl->mtls_enabled = true;
    impl->mtls_source = authn.mtls().userid_from();
    for (const orb::v1::CertificateMapping& m : authn.mtls().map()) {
      impl->mtls_map[m.certificate_name()] = m.userid();
    }
  }
  std::unique_ptr<Authenticator> authenticator(new Authenticator());
  authenticator->impl_ = std::move(impl);
  return std::unique_ptr<const Authenticator>(std::move(authenticator));
}

absl::StatusOr<Identity> Authenticator::Authenticate(const CallCredentials& credentials,
                                                     absl::Time now) const {
  const Impl& impl = *impl_;
  if (!credentials.miscased_header.empty()) {
    return Unauthenticated(absl::StrCat(
        "the call carries the header '", credentials.miscased_header,
        "': header names are lower case in gRPC, and a header that reads as a credential is "
        "never ignored; send it as 'authorization'"));
  }
  if (credentials.authorization_count > 1) {
    return Unauthenticated(absl::StrCat("the call carries ", credentials.authorization_count,
                                        " authorization headers; send exactly one credential"));
  }
  const bool has_header = credentials.has_authorization || !credentials.authorization.empty();
  if (has_header && impl.mtls_enabled && credentials.peer.verified) {
    return Unauthenticated(
        "the call carries two credentials, an authorization header and a client certificate; "
        "send one (drop the header to be the certificate's user)");
  }
  absl::string_view header = absl::StripAsciiWhitespace(credentials.authorization);
  if (header.empty() && has_header) {
    return Unauthenticated(
        absl::StrCat("empty authorization header: expected 'Bearer <token>' or 'Ticket <ticket>' (",
                     impl.AcceptedSchemes(), ")"));
  }
  if (!header.empty()) {
    // "<scheme> <credential>"; the scheme is case-insensitive (RFC 9110).
    const size_t space = header.find_first_of(" \t");
    const absl::string_view scheme = header.substr(0, space);
    const absl::string_view value =
        space == absl::string_view::npos
            ? absl::string_view()
            : absl::StripLeadingAsciiWhitespace(header.substr(space));
    // The scheme is never echoed: a bare token sent without one would be it.
    if (absl::EqualsIgnoreCase(scheme, "Bearer")) return impl.FromBearer(value);
    if (absl::EqualsIgnoreCase(scheme, "Ticket")) {
      if (value.empty()) return Unauthenticated("empty ticket");
      return impl.FromTicket(value, now);
    }
    return Unauthenticated(absl::StrCat(
        "unsupported authorization header: expected 'Bearer <token>' or 'Ticket <ticket>' (",
        impl.AcceptedSchemes(), ")"));
  }
  if (impl.mtls_enabled && credentials.peer.verified) {
    return impl.FromCertificate(credentials.peer);
  }
  if (impl.allow_anonymous) return Identity();
  std::vector<absl::string_view> ways;
  if (!impl.tokens.empty()) ways.push_back("'authorization: Bearer <token>'");
  if (impl.tickets_enabled) ways.push_back("'authorization: Ticket <ticket>'");
  if (impl.mtls_enabled) ways.push_back("a verified client certificate");
  if (ways.empty()) {
    return Unauthenticated(
        "credentials required, but this server's policy configures no way to authenticate "
        "and does not allow anonymous calls");
  }
  return Unauthenticated(
      absl::StrCat("credentials required: send ", absl::StrJoin(ways, " or ")));
}

bool Authenticator::allow_anonymous() const { return impl_->allow_anonymous; }

std::string Sha256Hex(absl::string_view data) {
  Digest digest{};
  if (!Sha256(data, &digest)) return std::string();
  return LowerHex(digest.data(), digest.size());
}

std::string MintTicket(absl::string_view key, absl::string_view userid, absl::Time expiry) {
  std::string body = absl::StrCat(kTicketPrefix, ".", absl::WebSafeBase64Escape(userid), ".",
                                  absl::ToUnixSeconds(expiry));
  Digest mac{};
  if (!HmacSha256(key, body, &mac)) return std::string();
  return absl::StrCat(body, ".", LowerHex(mac.data(), mac.size()));
}

bool DecodeLowerHex(absl::string_view hex, std::string* bytes) {
  if (hex.size() % 2 != 0) return false;
  bytes->assign(hex.size() / 2, '\0');
  for (size_t i = 0; i < bytes->size(); ++i) {
    const int hi = HexValue(hex[2 * i]);
    const int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*bytes)[i] = static_cast<char>(hi * 16 + lo);
  }
  return true;
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace orb::policy
