// File: orb/client/client.h
//
// The C++ client of an orb broker: connect, open a session, and read, write,
// delete and call members of remote objects through references.
//
//   #include "orb/client/client.h"
//
//   orb::client::ClientOptions options;
//   options.target = "127.0.0.1:50051";
//   options.token = "bob-demo-token";            // or options.ticket, or none
//   absl::StatusOr<orb::client::Client> client = orb::client::Client::Connect(options);
//   absl::StatusOr<orb::client::Session> session = client->OpenSession();
//   orb::client::Ref blog = session->root();
//   absl::StatusOr<std::string> title = blog.GetAs<std::string>("title");
//   absl::StatusOr<orb::client::Value> entry = blog.Call("add_entry", {"Hi", "There"});
//   absl::StatusOr<orb::client::Ref> ref = entry->AsRef();   // a handle became a Ref
//   absl::Status s = ref->Set("body", "edited");
//   // s: OK as bob, PERMISSION_DENIED (ErrorInfoOf(s)->gate == "acl") on
//   // someone else's entry.
//
// Objects and lifetimes
//   Client   a channel to one broker plus the caller's credentials. A
//            Session keeps what it needs of it alive, so a Session may
//            outlive its Client (background release flushing, below, stops
//            when the Client goes).
//   Session  one broker session (RAII): destroying it (or Close()) releases
//            every handle of the session on the broker. Movable, not
//            copyable.
//   Ref      a reference to one remote object, valid in its session only.
//            Copies share one remote reference; when the last copy goes, the
//            handle is released (see "Releases" below). A Ref may outlive its
//            Session: its operations then fail with FAILED_PRECONDITION.
//
// Releases
//   A destroyed Ref does not make an RPC. Its handle id is queued in the
//   session, and the queue goes out as one Release RPC: started together
//   with the session's next operation, on Session::Flush(), and in the
//   background after ClientOptions::release_delay; Close() drops the queue,
//   since closing releases every handle anyway. A handle returned
//   twice (even with the same id) is two references on the broker and two
//   Refs here, each released once.
//
// Threads
//   Client, Session and Ref are safe to use from many threads at once: every
//   const method and Session::Close() may run concurrently; moving or
//   assigning an object needs external synchronization, as for any value. Every operation has a blocking form, a form
//   that returns std::future, and a form that takes a callback. Callbacks
//   run on a gRPC thread: they must not block for long; calling the
//   blocking forms from a callback is allowed but ties up that thread.
//
// Transport
//   Against a broker that offers it, the operations of every session of a
//   Client go over one orb.v1 Stream (ClientOptions::use_stream); else, and
//   for OpenSession, CloseSession and releases, one unary call each.
//
// Errors
//   Operations return absl::Status / absl::StatusOr with the broker's gRPC
//   code and message (NOT_FOUND for an unknown or unexposed name,
//   PERMISSION_DENIED when the ACL refuses, UNAUTHENTICATED for bad
//   credentials, INVALID_ARGUMENT for a bad argument, UNAVAILABLE when the
//   broker cannot be reached, DEADLINE_EXCEEDED after
//   ClientOptions::timeout, other codes for the method's own errors).
//   orb::client::ErrorInfoOf(status) (orb/client/errors.h) gives the broker's
//   reason, gate and method error type.
#ifndef ORB_CLIENT_CLIENT_H_
#define ORB_CLIENT_CLIENT_H_

#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "orb/client/errors.h"
#include "orb/client/value.h"
#include "orb/client/watch.h"

namespace orb {
namespace client {

namespace client_internal {
class ClientCore;
}  // namespace client_internal

// Callback forms of the asynchronous operations.
template <typename T>
using Callback = std::function<void(absl::StatusOr<T>)>;
using StatusCallback = std::function<void(absl::Status)>;

// orb::client::ClientOptions
struct ClientOptions {
  // host:port of the broker. Default: "127.0.0.1:50051".
  std::string target = "127.0.0.1:50051";

  // Transport security. Plaintext unless `tls` is set or any file below is
  // given. With TLS, the broker's certificate is checked against
  // tls_ca_file (PEM), or against the system's roots when it is empty;
  // tls_cert_file and tls_key_file (PEM) present a client certificate
  // (mutual TLS). tls_server_name overrides the name checked in the
  // broker's certificate (default: the host of `target`).
  bool tls = false;
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_server_name;

  // Credentials, sent on every call as `authorization: Bearer <token>` or
  // `authorization: Ticket <ticket>`. At most one may be set; neither means
  // anonymous (or the TLS client certificate's identity).
  std::string token;
  std::string ticket;

  // Shown in the broker's logs. Default: "orb-cpp".
  std::string client_name = "orb-cpp";
  // Deadline of every operation. Default: 30 s.
  absl::Duration timeout = absl::Seconds(30);
  // Carry every session's operations over one Stream per Client (one
  // long-lived call, operations multiplexed, answered as each finishes)
  // once the broker's OpenSession lists the "stream" feature; a stream
  // that breaks is reopened by the next operation. False, or a broker
  // without the feature: one unary call per operation. OpenSession,
  // CloseSession and releases are always unary calls.
  bool use_stream = true;
  // Retries after a lost connection: an operation answered UNAVAILABLE (the
  // broker unreachable, the connection reset, the stream broken) is sent
  // again, with back-off from `retry_backoff` doubling up to 1 s, until
  // `timeout` from its first try; the caller sees one operation. SetAttr,
  // DelAttr, Call and Batch carry a request id the client chooses, so a
  // retry of one the broker did run gets its first outcome and never runs
  // it twice (docs/protocol.md); GetAttr, GetAttrs, Describe, ListHandles
  // and KeepAlive are safe to repeat. Restrict, releases, OpenSession and
  // CloseSession are tried once. False: every operation is tried once.
  bool retry = true;
  absl::Duration retry_backoff = absl::Milliseconds(20);
  // How long a released handle may wait in the queue before a background
  // flush sends it. Default: 200 ms. Zero or less turns background flushing
  // off (releases then go out with the next operation, Flush() or Close()).
  absl::Duration release_delay = absl::Milliseconds(200);
};

class Session;
class Ref;

// orb::client::Description: Describe()'s answer (orb.v1.DescribeResponse).
struct Description {
  struct Member {
    std::string op;    // "getattr", "setattr", "delattr", "call"
    std::string name;
    std::string lock;  // e.g. "view", "[edit | delete]"
    bool allowed = false;  // whether this caller holds it now
    // A method the type declares safe to repeat (TypeBuilder::Idempotent).
    bool idempotent = false;
  };
  struct OlpEntry {
    std::string view;  // "instance" / "class"
    std::string op;
    std::string name;
    std::string lock;
  };
  std::string type_name;
  bool is_class = false;
  std::string view;  // "instance" or "class"
  bool restricted = false;
  std::vector<Member> members;
  std::vector<OlpEntry> olp;
};

// orb::client::Restriction: the names a restricted handle keeps, per operation.
struct Restriction {
  std::vector<std::string> getattr;
  std::vector<std::string> setattr;
  std::vector<std::string> delattr;
  std::vector<std::string> call;
};

// orb::client::HandleInfo: one entry of Session::ListHandles().
struct HandleInfo {
  std::string id;
  std::string type_name;
  bool is_class = false;
  uint32_t references = 0;
  bool restricted = false;
};

// orb::client::Ref
//
// A reference to a remote object. A default-constructed Ref is empty: every
// operation on it is FAILED_PRECONDITION. Every operation renews the
// session's lease. `name` is an attribute or method name; the broker answers
// NOT_FOUND alike for a name that does not exist and one that is not
// exposed.
class Ref {
 public:
  Ref() = default;

  explicit operator bool() const { return state_ != nullptr; }
  // The broker's handle id (opaque), the registered type name (e.g.
  // "demo.Entry") and whether this is a class handle. Empty for an empty Ref.
  const std::string& id() const;
  const std::string& type_name() const;
  bool is_class() const;

  // getattr. Errors: NOT_FOUND, PERMISSION_DENIED, ...
  absl::StatusOr<Value> Get(absl::string_view name) const;
  std::future<absl::StatusOr<Value>> GetAsync(absl::string_view name) const;
  void GetAsync(absl::string_view name, Callback<Value> done) const;
  // getattr converted to T (Value::As<T>); a wrong kind is INVALID_ARGUMENT.
  template <typename T>
  absl::StatusOr<T> GetAs(absl::string_view name) const {
    absl::StatusOr<Value> v = Get(name);
    if (!v.ok()) return v.status();
    return v->As<T>();
  }

  // A snapshot of several attributes in one call (GetAttrs): the value of
  // each name the caller may read. A name it may not read (hidden, not
  // there, denied, a method) is absent, as if the object had no such
  // attribute; only when every name is does it fail, with the first name's
  // error. Repeated names are read once.
  absl::StatusOr<std::map<std::string, Value>> GetMany(
      const std::vector<std::string>& names) const;

  // setattr.
  absl::Status Set(absl::string_view name, Value value) const;
  std::future<absl::Status> SetAsync(absl::string_view name, Value value) const;
  void SetAsync(absl::string_view name, Value value, StatusCallback done) const;

  // delattr.
  absl::Status Del(absl::string_view name) const;
  std::future<absl::Status> DelAsync(absl::string_view name) const;
  void DelAsync(absl::string_view name, StatusCallback done) const;

  // Calls method `name` with positional `args` and named `kwargs`. Handles
  // among the arguments must belong to this Ref's session (else
  // INVALID_ARGUMENT before anything is sent).
  absl::StatusOr<Value> Call(absl::string_view name, std::vector<Value> args = {},
                             std::map<std::string, Value> kwargs = {}) const;
  std::future<absl::StatusOr<Value>> CallAsync(absl::string_view name,
                                               std::vector<Value> args = {},
                                               std::map<std::string, Value> kwargs = {}) const;
  void CallAsync(absl::string_view name, std::vector<Value> args,
                 std::map<std::string, Value> kwargs, Callback<Value> done) const;
  // Call asking for the result by value (CallRequest.by_value): when the
  // method returns an object, the answer is a map of that object's
  // attributes this caller may read, each gated as its GetAttr (a name it
  // may not read is absent), instead of a Ref, and the session keeps no
  // handle to it. An attribute that is itself an object is a Ref in the
  // map. Any other result is as Call's.
  absl::StatusOr<Value> CallByValue(absl::string_view name, std::vector<Value> args = {},
                                    std::map<std::string, Value> kwargs = {}) const;
  std::future<absl::StatusOr<Value>> CallByValueAsync(
      absl::string_view name, std::vector<Value> args = {},
      std::map<std::string, Value> kwargs = {}) const;
  void CallByValueAsync(absl::string_view name, std::vector<Value> args,
                        std::map<std::string, Value> kwargs, Callback<Value> done) const;
  template <typename T>
  absl::StatusOr<T> CallAs(absl::string_view name, std::vector<Value> args = {},
                           std::map<std::string, Value> kwargs = {}) const {
    absl::StatusOr<Value> v = Call(name, std::move(args), std::move(kwargs));
    if (!v.ok()) return v.status();
    return v->As<T>();
  }

  // The handle's type, view, OLP and what this caller may do.
  absl::StatusOr<Description> Describe() const;
  std::future<absl::StatusOr<Description>> DescribeAsync() const;
  void DescribeAsync(Callback<Description> done) const;

  // A new handle to the same object that exposes at most `keep` (names the
  // handle did not expose stay hidden: a handle can only narrow).
  absl::StatusOr<Ref> Restrict(const Restriction& keep) const;
  std::future<absl::StatusOr<Ref>> RestrictAsync(const Restriction& keep) const;
  void RestrictAsync(const Restriction& keep, Callback<Ref> done) const;

  // Watches `names` (attributes of this object; 1 to the policy's
  // limits.max_names_per_watch, repeats watched once): see
  // orb/client/watch.h for the events, the end and the threads callbacks
  // run on. Returns once the watch has started, that is when the first
  // event came (it is delivered to on_event, perhaps before Watch returns),
  // or with the error the broker refused the watch with: NOT_FOUND
  // (HANDLE_NOT_FOUND, SESSION_NOT_FOUND, or the first name's error when
  // the caller may read none of them), INVALID_ARGUMENT (NOT_WATCHABLE for a
  // class handle; no names, too many), RESOURCE_EXHAUSTED (QUOTA_WATCHES),
  // UNAUTHENTICATED, UNAVAILABLE; DEADLINE_EXCEEDED when neither came
  // within ClientOptions::timeout; FAILED_PRECONDITION for an empty Ref or
  // a closed session. On an error neither callback is ever called. The
  // watch is a call of its own on the client's channel, with or without
  // the Stream transport. REQUIRES: on_event is not empty.
  absl::StatusOr<Subscription> Watch(std::vector<std::string> names,
                                     WatchEventCallback on_event,
                                     WatchEndCallback on_end = {}) const;

  // Same handle id, type and session.
  friend bool operator==(const Ref& a, const Ref& b);
  friend bool operator!=(const Ref& a, const Ref& b) { return !(a == b); }

 private:
  friend class Session;
  friend class client_internal::SessionCore;
  explicit Ref(std::shared_ptr<const client_internal::RefState> state)
      : state_(std::move(state)) {}

  // Shared by all copies; its destructor queues the release.
  std::shared_ptr<const client_internal::RefState> state_;
};

// orb::client::Result: what operation `index` (0-based) of the same Batch
// returned, standing for a target (the handle a Get, Call or Restrict
// returned) or for an argument or value (any value).
struct Result {
  uint32_t index = 0;
};

// orb::client::BatchTarget: where a Batch operation acts: a Ref of the
// batch's session, or an earlier operation's Result.
class BatchTarget {
 public:
  BatchTarget(Ref ref) : ref_(std::move(ref)) {}          // NOLINT: implicit on purpose
  BatchTarget(Result result) : result_(result.index) {}  // NOLINT
 private:
  friend class BatchBuilder;
  Ref ref_;
  std::optional<uint32_t> result_;
};

// orb::client::BatchValue: an argument or value in a Batch: any Value, or
// an earlier operation's Result.
class BatchValue {
 public:
  BatchValue(Result result) : result_(result.index) {}  // NOLINT: implicit on purpose
  template <typename T, std::enable_if_t<std::is_constructible_v<Value, T&&> &&
                                             !std::is_same_v<std::decay_t<T>, Result> &&
                                             !std::is_same_v<std::decay_t<T>, BatchValue>,
                                         int> = 0>
  BatchValue(T&& value) : value_(std::forward<T>(value)) {}  // NOLINT
 private:
  friend class BatchBuilder;
  Value value_;
  std::optional<uint32_t> result_;
};

// orb::client::BatchBuilder
//
// Several operations of one session in one round trip (orb.v1 Batch), in
// order; an operation may act on, or take as an argument, what an earlier
// one returned:
//
//   auto outcomes = session.Batch()
//                       .Call(session.root(), "add_entry", {"a", "b"})
//                       .Get(orb::client::Result{0}, "owner")
//                       .Run();
//   // (*outcomes)[1] is the new entry's owner
//
// Not atomic: what ran stays done when a later operation fails. After a
// failure the rest still run, unless StopOnError() (then they fail with
// ABORTED). An operation using a failed one's result fails with
// FAILED_PRECONDITION naming it. Each operation passes the broker's gates
// and answers exactly as the Ref method of the same name. A builder is a
// value; Run() may be called more than once (each run is a new batch).
class BatchBuilder {
 public:
  BatchBuilder& Get(BatchTarget target, std::string name);
  BatchBuilder& Set(BatchTarget target, std::string name, BatchValue value);
  BatchBuilder& Del(BatchTarget target, std::string name);
  BatchBuilder& Call(BatchTarget target, std::string name, std::vector<BatchValue> args = {},
                     std::map<std::string, BatchValue> kwargs = {});
  BatchBuilder& StopOnError(bool stop = true);
  size_t size() const { return operations_.size(); }

  // Sends the batch and waits. The outer status is the batch's as a whole:
  // INVALID_ARGUMENT before anything is sent for a Ref of another session
  // or a value that cannot be sent, the broker's refusal of the whole
  // batch (a reference to the same, a later or a missing operation, more
  // operations than its limit: nothing ran), or the transport's error. Else
  // one outcome per operation, in order: Get's value, Call's result, null
  // for Set and Del, or that operation's error (code, message, ErrorInfo
  // as its Ref method would return). Handles come back as Refs.
  absl::StatusOr<std::vector<absl::StatusOr<Value>>> Run() const;

 private:
  friend class Session;
  struct Operation {
    enum class Kind { kGet, kSet, kDel, kCall } kind;
    BatchTarget target;
    std::string name;
    std::vector<BatchValue> args;  // Set: the value
    std::map<std::string, BatchValue> kwargs;
  };
  explicit BatchBuilder(std::shared_ptr<client_internal::SessionCore> core)
      : core_(std::move(core)) {}
  std::shared_ptr<client_internal::SessionCore> core_;
  std::vector<Operation> operations_;
  bool stop_on_error_ = false;
};

// orb::client::Session
//
// One session on the broker, owned by the identity that opened it. Closing
// (explicitly or by destruction) flushes queued releases, then closes the
// session on the broker, which releases every handle in it. Thread-safe.
class Session {
 public:
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;  // closes the session it replaces
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session();  // Close(), ignoring its error

  // The root object's handle. Empty after a move.
  Ref root() const;
  // The session id (opaque), who the broker says the caller is (empty for
  // anonymous), the caller's principals, and the lease in seconds.
  const std::string& id() const;
  const std::string& userid() const;
  const std::vector<std::string>& principals() const;
  uint32_t lease_seconds() const;

  // Sends the queued releases now and waits until every release sent so
  // far has been answered. Returns the first error of those releases (none
  // to send: OK).
  absl::Status Flush() const;
  // The handles the session holds on the broker (each with its reference
  // count). Flush() first for a count that includes recent releases.
  absl::StatusOr<std::vector<HandleInfo>> ListHandles() const;
  // Renews the lease (every operation renews it too).
  absl::Status KeepAlive() const;
  // A new, empty batch of this session's operations (see BatchBuilder).
  BatchBuilder Batch() const;
  // Runs a batch written as orb.v1.BatchRequest's JSON (docs/protocol.md):
  // `session` may be left out, and an operation with neither `handle` nor
  // `target` acts on the root. Returns the orb.v1.BatchResponse as JSON
  // (proto field names). Handles in it are not Refs: they stay in the
  // session until they are released or it closes. Errors:
  // INVALID_ARGUMENT for text that is not a BatchRequest, else as Run().
  absl::StatusOr<std::string> RunBatchJson(absl::string_view request_json) const;
  // Closes the session: new operations on its Refs fail with
  // FAILED_PRECONDITION at once, operations already started finish, then
  // CloseSession releases every handle of the session on the broker in one
  // RPC (so queued releases need not be sent first). Returns that RPC's
  // error (e.g. NOT_FOUND when the lease had already expired). Idempotent:
  // a second Close() returns OK.
  absl::Status Close();

 private:
  friend class Client;
  Session(std::shared_ptr<client_internal::SessionCore> core, Ref root);
  std::shared_ptr<client_internal::SessionCore> core_;
  Ref root_;
};

// orb::client::Client
//
// A channel to one broker with the caller's credentials. Thread-safe;
// movable, not copyable. Destroying a Client stops background release
// flushing of its sessions (they still flush with their next operation and
// on close).
class Client {
 public:
  // Checks the options and creates the channel (no RPC yet: connecting
  // happens with the first call). Errors: INVALID_ARGUMENT for an empty
  // target, both token and ticket set, a key without a certificate (or the
  // reverse), or an unreadable TLS file.
  static absl::StatusOr<Client> Connect(const ClientOptions& options);

  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  // Opens a session as this client's identity. Errors: UNAUTHENTICATED
  // (bad credentials), RESOURCE_EXHAUSTED (too many sessions), UNAVAILABLE.
  absl::StatusOr<Session> OpenSession() const;
  std::future<absl::StatusOr<Session>> OpenSessionAsync() const;
  void OpenSessionAsync(Callback<Session> done) const;

  const ClientOptions& options() const;
  // "stream" when operations go over the Stream, else "unary" (before the
  // first OpenSession, always "unary").
  std::string transport() const;

 private:
  friend class Admin;
  explicit Client(std::shared_ptr<client_internal::ClientCore> core);
  std::shared_ptr<client_internal::ClientCore> core_;
};

namespace client_internal {
template <>
struct ValueAs<Ref> {
  static absl::StatusOr<Ref> Get(const Value& v) { return v.AsRef(); }
};
}  // namespace client_internal

}  // namespace client
}  // namespace orb

#endif  // ORB_CLIENT_CLIENT_H_
