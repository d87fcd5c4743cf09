#include "broker/session_table.h"

#include <utility>
#include <vector>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "orb/broker/audit.h"
#include "orb/broker/errors.h"
#include "base/sync.h"

namespace orb::broker {

Session::Session(std::string id, policy::Identity identity, std::string client_name,
                 std::function<std::string()> new_id, std::atomic<int64_t>* live_handles,
                 absl::Time now, absl::Time expires)
    : id_(std::move(id)),
      identity_(std::move(identity)),
      owner_key_(identity_.OwnerKey()),
      principals_(identity_.EffectivePrincipals()),
      client_name_(std::move(client_name)),
      ref_(RedactId(id_)),
      opened_(now),
      handles_(std::move(new_id), live_handles),
      expires_(expires),
      last_activity_(now) {}

Session::Lease Session::lease() const {
  orb::MutexHold lock(&mu_);
  return Lease{expires_, last_activity_};
}

bool Session::Renew(absl::Time now, absl::Duration ttl) {
  orb::MutexHold lock(&mu_);
  if (dead_ || now >= expires_) return false;
  if (ttl <= absl::ZeroDuration()) return true;  // a check only
  expires_ = now + ttl;
  last_activity_ = now;
  return true;
}

bool Session::ExpireIfDue(absl::Time now) {
  orb::MutexHold lock(&mu_);
  if (dead_ || now < expires_) return false;
  dead_ = true;
  return true;
}

bool Session::MarkDead() {
  orb::MutexHold lock(&mu_);
  if (dead_) return false;
  dead_ = true;
  return true;
}

SessionTable::SessionTable(std::function<std::string()> new_id,
                           std::atomic<int64_t>* live_handles, BrokerIdentity broker)
    : new_id_(std::move(new_id)),
      broker_(std::move(broker)),
      id_prefix_(SessionIdPrefix(broker_)),
      live_handles_(live_handles) {}

absl::Status SessionTable::Restarted() const {
  return OrbError(absl::StatusCode::kNotFound,
                  absl::StrCat("session of an earlier run of broker '", broker_.broker_id,
                               "': the broker restarted and its objects and handles are gone; "
                               "open a new session"),
                  v1::BROKER_RESTARTED, v1::GATE_SESSION);
}

SessionTable::~SessionTable() {
  std::vector<std::shared_ptr<Session>> all;
  for (Shard& shard : shards_) {
    orb::MutexHold lock(&shard.mu);
    for (auto& [id, session] : shard.sessions) all.push_back(std::move(session));
    shard.sessions.clear();
  }
  for (const auto& session : all) session->handles().Close();
}

absl::Status SessionTable::NotFound() {
  return OrbError(absl::StatusCode::kNotFound, "session not found", v1::SESSION_NOT_FOUND,
                  v1::GATE_SESSION);
}

SessionTable::Shard& SessionTable::ShardFor(absl::string_view id) {
  return shards_[absl::Hash<absl::string_view>()(id) % kShards];
}

const SessionTable::Shard& SessionTable::ShardFor(absl::string_view id) const {
  return shards_[absl::Hash<absl::string_view>()(id) % kShards];
}

absl::StatusOr<std::shared_ptr<Session>> SessionTable::Open(const policy::Identity& identity,
                                                            std::string client_name,
                                                            absl::Time now, absl::Duration ttl,
                                                            uint32_t max_per_identity) {
  const std::string owner = identity.OwnerKey();
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool reserved = false;
    {
      orb::MutexHold lock(&owners_mu_);
      uint32_t& count = sessions_per_owner_[owner];
      if (count < max_per_identity) {
        ++count;
        reserved = true;
      } else if (count == 0) {
        sessions_per_owner_.erase(owner);
      }
    }
    if (reserved) break;
    // Lapsed sessions still count until dropped: drop them, then retry once.
    if (attempt == 0 && Expire(now) > 0) continue;
    return OrbError(absl::StatusCode::kResourceExhausted,
                    absl::StrCat("this identity already has max_sessions_per_identity (",
                                 max_per_identity, ") open sessions; close one first"),
                    v1::QUOTA_SESSIONS, v1::GATE_QUOTA);
  }

  // The id is checked under the shard lock so that it is never a live one.
  for (;;) {
    std::string id = absl::StrCat(id_prefix_, new_id_());
    auto session = std::make_shared<Session>(id, identity, client_name, new_id_, live_handles_,
                                             now, now + ttl);
    Shard& shard = ShardFor(id);
    orb::MutexHold lock(&shard.mu);
    if (shard.sessions.contains(id)) continue;
    shard.sessions.emplace(std::move(id), session);
    return session;
  }
}

absl::StatusOr<std::shared_ptr<Session>> SessionTable::Owned(absl::string_view id,
                                                             absl::string_view owner_key) {
  std::shared_ptr<Session> session;
  {
    const Shard& shard = ShardFor(id);
    orb::MutexHold lock(&shard.mu);
    auto it = shard.sessions.find(id);
    if (it != shard.sessions.end()) session = it->second;
  }
  if (session == nullptr) return FromEarlierRun(id, broker_) ? Restarted() : NotFound();
  // Another identity's session answers exactly like an unknown one.
  if (session->owner_key() != owner_key) return NotFound();
  return session;
}

absl::StatusOr<std::shared_ptr<Session>> SessionTable::Find(absl::string_view id,
                                                            absl::string_view owner_key,
                                                            absl::Time now, absl::Duration ttl) {
  absl::StatusOr<std::shared_ptr<Session>> found = Owned(id, owner_key);
  if (!found.ok()) return found.status();
  std::shared_ptr<Session> session = *std::move(found);
  if (!session->Renew(now, ttl)) {
    if (session->ExpireIfDue(now)) Drop(session);
    return NotFound();
  }
  return session;
}

absl::StatusOr<size_t> SessionTable::Close(absl::string_view id, absl::string_view owner_key,
                                           absl::Time now) {
  absl::StatusOr<std::shared_ptr<Session>> found = Owned(id, owner_key);
  if (!found.ok()) return found.status();
  std::shared_ptr<Session> session = *std::move(found);
  if (session->ExpireIfDue(now)) {
    Drop(session);
    return NotFound();
  }
  // Whoever marks the session dead (this Close, a concurrent one, or
  // expiry) is the one that drops it.
  if (!session->MarkDead()) return NotFound();
  return Drop(session).value_or(0);
}

std::optional<size_t> SessionTable::Drop(const std::shared_ptr<Session>& session) {
  {
    Shard& shard = ShardFor(session->id());
    orb::MutexHold lock(&shard.mu);
    auto it = shard.sessions.find(session->id());
    if (it == shard.sessions.end() || it->second != session) return std::nullopt;
    shard.sessions.erase(it);
  }
  {
    orb::MutexHold lock(&owners_mu_);
    auto it = sessions_per_owner_.find(session->owner_key());
    if (it != sessions_per_owner_.end() && --it->second == 0) sessions_per_owner_.erase(it);
  }
  const size_t released = session->handles().Close();
  session->watches().End();
  return released;
}

std::vector<std::shared_ptr<Session>> SessionTable::All() const {
  std::vector<std::shared_ptr<Session>> all;
  for (const Shard& shard : shards_) {
    orb::MutexHold lock(&shard.mu);
    for (const auto& [id, session] : shard.sessions) all.push_back(session);
  }
  return all;
}

absl::StatusOr<SessionTable::Closed> SessionTable::CloseByRef(absl::string_view ref,
                                                              absl::Time now) {
  std::vector<std::shared_ptr<Session>> matches;
  for (const std::shared_ptr<Session>& session : All()) {
    if (session->ref() == ref) matches.push_back(session);
  }
  if (matches.size() > 1) {
    return OrbError(absl::StatusCode::kFailedPrecondition,
                    absl::StrCat(matches.size(), " live sessions have the reference ", ref,
                                 "; nothing was closed (their owners can close them, or they "
                                 "expire)"),
                    v1::AMBIGUOUS_REFERENCE, v1::GATE_ADMIN);
  }
  const absl::Status gone = OrbError(
      absl::StatusCode::kNotFound,
      absl::StrCat("no live session has the reference ", ref, " (closed, expired, or never opened)"),
      v1::SESSION_NOT_FOUND, v1::GATE_ADMIN);
  if (matches.empty()) return gone;
  std::shared_ptr<Session> session = std::move(matches.front());
  if (session->ExpireIfDue(now)) {
    Drop(session);
    return gone;
  }
  // As in Close(): whoever marks the session dead drops it.
  if (!session->MarkDead()) return gone;
  const size_t released = Drop(session).value_or(0);
  return Closed{std::move(session), released};
}

size_t SessionTable::Expire(absl::Time now) {
  std::vector<std::shared_ptr<Session>> lapsed;
  for (Shard& shard : shards_) {
    orb::MutexHold lock(&shard.mu);
    for (const auto& [id, session] : shard.sessions) {
      if (session->ExpireIfDue(now)) lapsed.push_back(session);
    }
  }
  size_t dropped = 0;
  for (const auto& session : lapsed) {
    if (Drop(session).has_value()) ++dropped;
  }
  return dropped;
}

size_t SessionTable::size() const {
  size_t n = 0;
  for (const Shard& shard : shards_) {
    orb::MutexHold lock(&shard.mu);
    n += shard.sessions.size();
  }
  return n;
}

}  // namespace orb::broker
