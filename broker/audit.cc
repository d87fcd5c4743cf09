#include "orb/broker/audit.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/sync.h"
#include "broker/broker_identity.h"
#include "orb/broker/value_codec.h"
#include "orb/policy/authn.h"
#include "base/json_escape.h"

namespace orb::broker {

std::string RedactId(absl::string_view id) {
  if (id.empty()) return std::string();
  // A prefix of the hash: 48 bits tell sessions apart in a log, and the
  // 128-bit id cannot be recovered from them. Of the secret part only, so
  // that a session id quoted in free text (whose 32 hex digits
  // RedactIdsInText finds without the routing prefix) gets the same
  // reference as the record's session field.
  return policy::Sha256Hex(absl::StrCat("orb.id:", SecretPartOf(id))).substr(0, 12);
}

std::string RedactIdsInText(absl::string_view text) {
  constexpr size_t kIdHexDigits = 32;
  std::string out;
  size_t copied = 0;  // text[0, copied) is in `out` already
  size_t i = 0;
  while (i < text.size()) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < text.size() && absl::ascii_isxdigit(static_cast<unsigned char>(text[end]))) {
      ++end;
    }
    if (end - i >= kIdHexDigits) {
      absl::StrAppend(&out, text.substr(copied, i - copied), "<id:",
                      RedactId(text.substr(i, end - i)), ">");
      copied = end;
    }
    i = end;
  }
  if (copied == 0) return std::string(text);
  absl::StrAppend(&out, text.substr(copied));
  return out;
}

std::string AuditOpName(absl::string_view rpc) {
  if (rpc == "GetAttr" || rpc == "SetAttr" || rpc == "DelAttr") {
    return absl::AsciiStrToLower(rpc);
  }
  std::string op;
  for (char c : rpc) {
    if (absl::ascii_isupper(static_cast<unsigned char>(c))) {
      if (!op.empty()) op += '_';
      op += absl::ascii_tolower(static_cast<unsigned char>(c));
    } else {
      op += c;
    }
  }
  return op;
}

void RedactIdsInRecord(AuditRecord* record) {
  record->name = RedactIdsInText(record->name);
  record->reason = RedactIdsInText(record->reason);
}

std::string AuditRecordToJson(const AuditRecord& r) {
  std::string line = absl::StrCat(
      "{\"ts\":\"",
      absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", r.time, absl::UTCTimeZone()), "\"");
  const auto field = [&line](absl::string_view key, absl::string_view value) {
    if (value.empty()) return;
    absl::StrAppend(&line, ",\"", key, "\":\"", base::JsonEscape(value), "\"");
  };
  field("event", r.event);
  field("peer", r.peer);
  if (r.userid.empty()) {
    absl::StrAppend(&line, ",\"user\":null");
  } else {
    field("user", r.userid);
  }
  field("authn", r.authn);
  field("session", r.session);
  field("handle", r.handle);
  field("type", r.type);
  field("view", r.view);
  field("op", r.op);
  field("name", r.name);
  field("decision", r.decision);
  field("permission", r.permission);
  field("code", r.code);
  field("reason", r.reason);
  absl::StrAppend(&line, ",\"policy_revision\":", r.policy_revision);
  if (!r.shadow_decision.empty()) {
    field("shadow_decision", r.shadow_decision);
    field("shadow_permission", r.shadow_permission);
    absl::StrAppend(&line, ",\"shadow_policy_revision\":", r.shadow_policy_revision);
  }
  absl::StrAppend(&line, "}");
  return line;
}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path) {
  if (path == "-") return std::unique_ptr<AuditLog>(new AuditLog(stderr, false));
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot open audit log '", path, "': ", std::strerror(errno)));
  }
  FILE* file = fdopen(fd, "a");
  if (file == nullptr) {
    close(fd);
    return absl::InvalidArgumentError(absl::StrCat("cannot open audit log '", path, "'"));
  }
  return std::unique_ptr<AuditLog>(new AuditLog(file, true));
}

AuditLog::~AuditLog() {
  orb::MutexHold lock(&mu_);
  if (owned_) {
    fclose(file_);
  } else {
    fflush(file_);
  }
}

void AuditLog::Write(const AuditRecord& record) {
  std::string line = AuditRecordToJson(record);
  line += '\n';
  orb::MutexHold lock(&mu_);
  const bool whole = fwrite(line.data(), 1, line.size(), file_) == line.size();
  if (fflush(file_) != 0 || !whole) {
    write_failures_.fetch_add(1, std::memory_order_relaxed);
    // The stream stays in error once set; clear it so that a later line
    // (the disk has room again) is written and not counted as lost.
    clearerr(file_);
  }
}

}  // namespace orb::broker
