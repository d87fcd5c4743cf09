#include "client/src/transport_hint.h"

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace orb {
namespace client {
namespace client_internal {
namespace {

bool UsesTls(const ClientOptions& options) {
  return options.tls || !options.tls_ca_file.empty() || !options.tls_cert_file.empty();
}

const char* Advice(TransportHint::Kind kind) {
  switch (kind) {
    case TransportHint::Kind::kServerMayExpectTls:
      return "the broker may expect TLS: set ClientOptions::tls_ca_file to the CA that "
             "signed its certificate (or ClientOptions::tls for the system's roots)";
    case TransportHint::Kind::kServerMayNotSpeakTls:
      return "the broker may be serving plaintext: leave ClientOptions::tls, tls_ca_file, "
             "tls_cert_file and tls_key_file unset";
    case TransportHint::Kind::kServerMayWantClientCertificate:
      return "the broker may require a client certificate (mutual TLS): set "
             "ClientOptions::tls_cert_file and tls_key_file";
  }
  return "";
}

}  // namespace

std::optional<TransportHint::Kind> DiagnoseTransport(const absl::Status& status,
                                                     const ClientOptions& options) {
  if (status.code() != absl::StatusCode::kUnavailable) return std::nullopt;
  const std::string message = absl::AsciiStrToLower(status.message());
  const bool closed =
      absl::StrContains(message, "socket closed") || absl::StrContains(message, "connection reset");
  if (!UsesTls(options)) {
    if (closed) return TransportHint::Kind::kServerMayExpectTls;
    return std::nullopt;
  }
  if (absl::StrContains(message, "wrong version number") ||
      absl::StrContains(message, "wrong_version_number")) {
    return TransportHint::Kind::kServerMayNotSpeakTls;
  }
  if (closed && options.tls_cert_file.empty()) {
    return TransportHint::Kind::kServerMayWantClientCertificate;
  }
  return std::nullopt;
}

absl::Status WithTransportHint(absl::Status status, const ClientOptions& options) {
  const std::optional<TransportHint::Kind> kind = DiagnoseTransport(status, options);
  if (!kind.has_value()) return status;
  absl::Status out(status.code(), absl::StrCat(status.message(), " (", Advice(*kind), ")"));
  out.SetPayload(kTransportHintPayloadUrl,
                 absl::Cord(absl::StrCat(static_cast<int>(*kind), "\n", status.message())));
  return out;
}

}  // namespace client_internal

std::optional<TransportHint> TransportHintOf(const absl::Status& status) {
  auto payload = status.GetPayload(client_internal::kTransportHintPayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  const std::string text(*payload);
  const size_t newline = text.find('\n');
  int kind = 0;
  if (newline == std::string::npos || !absl::SimpleAtoi(text.substr(0, newline), &kind) ||
      kind < 0 || kind > static_cast<int>(TransportHint::Kind::kServerMayWantClientCertificate)) {
    return std::nullopt;
  }
  TransportHint hint;
  hint.kind = static_cast<TransportHint::Kind>(kind);
  hint.transport_message = text.substr(newline + 1);
  return hint;
}

}  // namespace client
}  // namespace orb
