// Sessions and the sharded session table.
//
// A session belongs to the identity that opened it (Identity::OwnerKey()):
// to any other identity it does not exist, and every lookup error is the
// same NOT_FOUND whether the id is unknown, foreign, expired or closed (no
// probing oracle). Each session has a lease: every successful lookup renews
// it; once it lapses the session and all its handles go, lazily on the next
// lookup or in Expire().
//
// Thread safety: all methods may be called concurrently. The table is split
// into shards by session id, each with its own absl::Mutex; a session's own
// state has its own lock. Lock order: shard, then session. Sessions that
// are dropped are closed (handles released, objects destroyed) with no
// table lock held.
#ifndef ORB_BROKER_SESSION_TABLE_H_
#define ORB_BROKER_SESSION_TABLE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "broker/broker_identity.h"
#include "broker/handle_table.h"
#include "broker/request_outcomes.h"
#include "broker/session_watches.h"
#include "orb/policy/identity.h"
#include "orb/policy/symbols.h"

namespace orb::broker {

class Session {
 public:
  // The session is opened at `now` with a lease until `expires`.
  Session(std::string id, policy::Identity identity, std::string client_name,
          std::function<std::string()> new_id, std::atomic<int64_t>* live_handles,
          absl::Time now, absl::Time expires);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Constant after construction.
  const std::string& id() const { return id_; }
  const std::string& owner_key() const { return owner_key_; }
  const policy::Identity& identity() const { return identity_; }
  const policy::Principals& principals() const { return principals_; }
  const std::string& client_name() const { return client_name_; }
  // RedactId(id()): how audit records and the admin service name it.
  const std::string& ref() const { return ref_; }
  absl::Time opened() const { return opened_; }

  // When the lease lapses, and when a lookup last renewed it (or the open).
  struct Lease {
    absl::Time expires;
    absl::Time last_activity;
  };
  Lease lease() const ABSL_LOCKS_EXCLUDED(mu_);

  HandleTable& handles() { return handles_; }
  const HandleTable& handles() const { return handles_; }
  // The outcomes of its requests that carried a request id.
  const std::shared_ptr<RequestOutcomes>& outcomes() const { return outcomes_; }
  // Its open watches (ObjectBroker.Watch); ended when the session is dropped.
  SessionWatches& watches() { return watches_; }

  // Extends the lease to now + ttl (a ttl of zero or less: only checks).
  // Returns false (and changes nothing) when the session has already lapsed
  // or was closed.
  bool Renew(absl::Time now, absl::Duration ttl) ABSL_LOCKS_EXCLUDED(mu_);
  // Marks the session dead if its lease has lapsed at `now`. True only for
  // the call that marked it: that caller removes the session from the table.
  bool ExpireIfDue(absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);
  // Marks the session dead. True only for the call that marked it.
  bool MarkDead() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  const std::string id_;
  const policy::Identity identity_;
  const std::string owner_key_;
  const policy::Principals principals_;
  const std::string client_name_;
  const std::string ref_;
  const absl::Time opened_;
  HandleTable handles_;  // synchronizes itself
  const std::shared_ptr<RequestOutcomes> outcomes_ = std::make_shared<RequestOutcomes>();
  SessionWatches watches_;  // synchronizes itself

  mutable absl::Mutex mu_;
  absl::Time expires_ ABSL_GUARDED_BY(mu_);
  absl::Time last_activity_ ABSL_GUARDED_BY(mu_);
  bool dead_ ABSL_GUARDED_BY(mu_) = false;
};

class SessionTable {
 public:
  // `new_id` makes handle ids and the secret part of session ids, which
  // start with SessionIdPrefix(broker); `live_handles` counts handles over
  // all sessions (see HandleTable).
  SessionTable(std::function<std::string()> new_id, std::atomic<int64_t>* live_handles,
               BrokerIdentity broker = {});
  ~SessionTable();
  SessionTable(const SessionTable&) = delete;
  SessionTable& operator=(const SessionTable&) = delete;

  // Opens a session for `identity` with a lease until now + ttl.
  // Errors: RESOURCE_EXHAUSTED (QUOTA_SESSIONS) when the identity already
  // has `max_per_identity` live sessions (lapsed ones are dropped first).
  absl::StatusOr<std::shared_ptr<Session>> Open(const policy::Identity& identity,
                                                std::string client_name, absl::Time now,
                                                absl::Duration ttl, uint32_t max_per_identity);

  // The session `id` if `owner_key` owns it and its lease has not lapsed;
  // renews the lease (unless ttl is zero or less). Errors: NOT_FOUND (SESSION_NOT_FOUND), one wording;
  // NOT_FOUND (BROKER_RESTARTED) for an id of this broker's earlier run.
  absl::StatusOr<std::shared_ptr<Session>> Find(absl::string_view id,
                                                absl::string_view owner_key, absl::Time now,
                                                absl::Duration ttl);

  // Closes the session `id` owned by `owner_key`; returns the number of
  // handles it held. Errors: as Find().
  absl::StatusOr<size_t> Close(absl::string_view id, absl::string_view owner_key,
                               absl::Time now);

  // Every session in the table (lapsed ones not yet dropped included), in
  // no particular order. For the admin service: O(sessions), takes each
  // shard's lock in turn.
  std::vector<std::shared_ptr<Session>> All() const;

  // Closes the live session whose ref() is `ref`, whoever owns it, as
  // Close() does; returns it and the number of handles it held.
  // Errors: NOT_FOUND when no live session has the reference (it is checked
  // again after the match, so a session closed concurrently is NOT_FOUND);
  // FAILED_PRECONDITION when several do (nothing is closed).
  struct Closed {
    std::shared_ptr<Session> session;
    size_t released_handles = 0;
  };
  absl::StatusOr<Closed> CloseByRef(absl::string_view ref, absl::Time now);

  // Drops every session whose lease has lapsed at `now`; returns how many.
  size_t Expire(absl::Time now);

  // Live sessions (including lapsed ones not yet dropped).
  size_t size() const;

  // The NOT_FOUND every failed lookup returns: an unknown id, another
  // owner's, a lapsed one, one of another broker.
  static absl::Status NotFound();
  // The NOT_FOUND (BROKER_RESTARTED) for an id this broker issued before it
  // restarted: the client should open a new session, not retry.
  absl::Status Restarted() const;

  const BrokerIdentity& broker() const { return broker_; }
  // The session `id` if it exists and belongs to `owner_key`, else
  // Restarted() or NotFound(). Does not renew or expire it.
  absl::StatusOr<std::shared_ptr<Session>> Owned(absl::string_view id,
                                                 absl::string_view owner_key);

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    mutable absl::Mutex mu;
    absl::flat_hash_map<std::string, std::shared_ptr<Session>> sessions ABSL_GUARDED_BY(mu);
  };
  Shard& ShardFor(absl::string_view id);
  const Shard& ShardFor(absl::string_view id) const;
  // Removes `session` if it is still in its shard; closes it and updates the
  // owner counts. Returns its handle count, or nullopt if it was gone.
  std::optional<size_t> Drop(const std::shared_ptr<Session>& session)
      ABSL_LOCKS_EXCLUDED(owners_mu_);

  // Constant after construction.
  const std::function<std::string()> new_id_;
  const BrokerIdentity broker_;
  const std::string id_prefix_;  // SessionIdPrefix(broker_)
  std::atomic<int64_t>* const live_handles_;

  std::array<Shard, kShards> shards_;
  mutable absl::Mutex owners_mu_;
  absl::flat_hash_map<std::string, uint32_t> sessions_per_owner_ ABSL_GUARDED_BY(owners_mu_);
};

}  // namespace orb::broker

#endif  // ORB_BROKER_SESSION_TABLE_H_
