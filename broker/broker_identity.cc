#include "broker/broker_identity.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "broker/handle_table.h"

namespace orb::broker {
namespace {

constexpr char kIncarnationMark = '~';
constexpr char kSecretMark = '.';

}  // namespace

absl::Status ValidateBrokerId(absl::string_view id) {
  bool ok = !id.empty() && id.size() <= kMaxBrokerIdBytes &&
            absl::ascii_isalnum(static_cast<unsigned char>(id.front()));
  for (char c : id) {
    if (!ok) break;
    ok = absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "a broker id is 1 to ", kMaxBrokerIdBytes,
      " characters of letters, digits, '.', '_' and '-', starting with a letter or digit"));
}

std::string RandomBrokerId() { return absl::StrCat("orbd-", RandomId128().substr(0, 6)); }

std::string RandomIncarnation() { return RandomId128().substr(0, 8); }

std::string SessionIdPrefix(const BrokerIdentity& identity) {
  if (identity.broker_id.empty()) return std::string();
  return absl::StrCat(identity.broker_id, std::string(1, kIncarnationMark), identity.incarnation,
                      std::string(1, kSecretMark));
}

absl::string_view BrokerIdOf(absl::string_view session_id) {
  const size_t mark = session_id.find(kIncarnationMark);
  return mark == absl::string_view::npos ? absl::string_view() : session_id.substr(0, mark);
}

bool FromEarlierRun(absl::string_view session_id, const BrokerIdentity& me) {
  if (me.broker_id.empty() || BrokerIdOf(session_id) != me.broker_id) return false;
  absl::string_view rest = session_id.substr(me.broker_id.size() + 1);
  const size_t mark = rest.find(kSecretMark);
  if (mark == absl::string_view::npos) return false;
  return rest.substr(0, mark) != me.incarnation;
}

absl::string_view SecretPartOf(absl::string_view id) {
  const size_t incarnation = id.find(kIncarnationMark);
  if (incarnation == absl::string_view::npos) return id;
  const size_t secret = id.find(kSecretMark, incarnation);
  if (secret == absl::string_view::npos) return id;
  return id.substr(secret + 1);
}

}  // namespace orb::broker
