#include "broker/service/grpc_log_limit.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace orb::broker {
namespace {

constexpr size_t kMaxKeys = 1024;

// The host of the first "ipv4:HOST:PORT" or "ipv6:[HOST]:PORT" in `message`,
// or "" when it names none.
std::string PeerHost(absl::string_view message) {
  for (absl::string_view scheme : {"ipv4:", "ipv6:"}) {
    const size_t at = message.find(scheme);
    if (at == absl::string_view::npos) continue;
    absl::string_view rest = message.substr(at + scheme.size());
    if (absl::ConsumePrefix(&rest, "[")) return std::string(rest.substr(0, rest.find(']')));
    return std::string(rest.substr(0, rest.find(':')));  // an IPv4 host has no ':'

  }
  return "";
}

// OpenSSL's reason in a handshake line ("wrong version number" from
// "error:0A00010B:SSL routines::wrong version number."), else the line
// without gRPC's status detail ("{tsi_code:10, created_time:...}") and
// without the words that differ between the lines of one failure.
std::string Cause(absl::string_view message) {
  absl::string_view cause = message;
  const size_t detail = cause.find(" {");
  if (detail != absl::string_view::npos) cause = cause.substr(0, detail);
  const size_t routines = cause.find("routines:");
  if (routines != absl::string_view::npos) {
    cause = cause.substr(routines + sizeof("routines:") - 1);
    // OpenSSL 3 writes "routines::reason", BoringSSL "routines:FUNCTION:reason".
    cause = cause.substr(cause.rfind(':') + 1);
  }
  return std::string(absl::StripSuffix(absl::StripAsciiWhitespace(cause), "."));
}

}  // namespace

GrpcLogLimit::GrpcLogLimit() : limit_(absl::Minutes(1), kMaxKeys) {}

std::optional<std::string> GrpcLogLimit::HandshakeKey(absl::string_view message) {
  // gRPC's words for it: "Handshake failed with fatal error ..."
  // (ssl_transport_security.cc), "Security handshake failed: ..."
  // (security_handshaker.cc), "Handshaking failed: ..." (chttp2_server.cc).
  const std::string lower = absl::AsciiStrToLower(message);
  if (!absl::StrContains(lower, "handshake failed") &&
      !absl::StrContains(lower, "handshaking failed")) {
    return std::nullopt;
  }
  return absl::StrCat(PeerHost(message), " ", Cause(message));
}

std::optional<std::string> GrpcLogLimit::Filter(absl::string_view message, absl::Time now) {
  const std::optional<std::string> key = HandshakeKey(message);
  if (!key.has_value()) return std::string(message);
  const std::optional<uint64_t> held_back = limit_.Admit(*key, now);
  if (!held_back.has_value()) return std::nullopt;
  std::string out(absl::StripTrailingAsciiWhitespace(message));
  if (absl::StrContains(*key, "wrong version number")) {
    // What a client without TLS sends to a TLS port looks to OpenSSL like
    // a TLS record of an unknown version.
    absl::StrAppend(&out, " (a client may be speaking plaintext to this TLS port)");
  }
  absl::StrAppend(&out, " (orb logs a failed handshake at most once a minute per peer and cause");
  if (*held_back > 0) absl::StrAppend(&out, "; ", *held_back, " held back since the last one");
  absl::StrAppend(&out, ")");
  return out;
}

}  // namespace orb::broker
