// orb::client::Client, orb::client::Session, orb::client::Ref and the pieces they share.
#include "orb/client/client.h"

#include <chrono>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "base/sync.h"
#include "client/src/internal.h"
#include "client/src/transport_hint.h"
#include "orb/v1/error_details.pb.h"

namespace orb {
namespace client {
namespace client_internal {
namespace {

// Reads a PEM file that must hold a block whose label ends with `label`
// ("CERTIFICATE", "PRIVATE KEY"): gRPC's own answer to a file without one
// is a channel that fails every call with "empty address list".
absl::StatusOr<std::string> ReadPem(const std::string& path, absl::string_view what,
                                    absl::string_view label) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", what, " '", path, "'"));
  std::ostringstream text;
  text << in.rdbuf();
  std::string pem = text.str();
  if (pem.find(absl::StrCat(label, "-----")) == std::string::npos ||
      pem.find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("orb: ", what, " '", path, "' holds no PEM ", absl::AsciiStrToLower(label)));
  }
  return pem;
}

const std::string& EmptyString() {
  static const std::string* const kEmpty = new std::string();
  return *kEmpty;
}

template <typename T>
std::future<T> Future(const std::function<void(std::function<void(T)>)>& start) {
  auto promise = std::make_shared<std::promise<T>>();
  std::future<T> future = promise->get_future();
  start([promise](T result) { promise->set_value(std::move(result)); });
  return future;
}

absl::Status EmptyRef() { return absl::FailedPreconditionError("orb: empty orb::client::Ref"); }

}  // namespace

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status out(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  if (!status.error_details().empty()) {
    v1::Status details;
    if (details.ParseFromString(status.error_details())) {
      for (const auto& any : details.details()) {
        if (any.type_url() == kErrorInfoTypeUrl) {
          out.SetPayload(kErrorInfoTypeUrl, absl::Cord(any.value()));
        }
      }
    }
  }
  return out;
}

// ---- Flusher ----

Flusher::~Flusher() { Stop(); }

void Flusher::Schedule(std::weak_ptr<SessionCore> session) {
  if (delay_ <= absl::ZeroDuration()) return;
  MutexHold lock(&mu_);
  if (stopped_) return;
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
  due_.emplace_back(absl::Now() + delay_, std::move(session));
  changed_ = true;
}

void Flusher::Stop() {
  std::thread thread;
  {
    MutexHold lock(&mu_);
    stopped_ = true;
    due_.clear();
    thread = std::move(thread_);
    changed_ = true;
  }
  if (thread.joinable()) thread.join();
}

void Flusher::Run() {
  for (;;) {
    std::vector<std::weak_ptr<SessionCore>> ready;
    {
      MutexHold lock(&mu_);
      if (stopped_) return;
      const absl::Time now = absl::Now();
      absl::Time next = absl::InfiniteFuture();
      std::vector<std::pair<absl::Time, std::weak_ptr<SessionCore>>> later;
      for (auto& entry : due_) {
        if (entry.first <= now) {
          ready.push_back(std::move(entry.second));
        } else {
          next = std::min(next, entry.first);
          later.push_back(std::move(entry));
        }
      }
      due_.swap(later);
      if (ready.empty()) {
        // Check and wait share this critical section (no lost wake-up);
        // nothing is read after waking before the loop locks again.
        changed_ = false;
        AwaitWithTimeout(&mu_, absl::Condition(&changed_),
                         next == absl::InfiniteFuture() ? absl::InfiniteDuration() : next - now);
        continue;
      }
    }
    // Outside the lock: a flush starts an RPC.
    for (auto& weak : ready) {
      if (std::shared_ptr<SessionCore> session = weak.lock()) session->FlushInBackground();
    }
  }
}

// ---- ClientCore ----

absl::Status ClientCore::ToStatus(const grpc::Status& status) const {
  return WithTransportHint(FromGrpcStatus(status), options_);
}

void ClientCore::AddCredentials(grpc::ClientContext* context, const std::string& route) const {
  if (!options_.token.empty()) {
    context->AddMetadata("authorization", "Bearer " + options_.token);
  } else if (!options_.ticket.empty()) {
    context->AddMetadata("authorization", "Ticket " + options_.ticket);
  }
  if (!route.empty()) context->AddMetadata("orb-route", route);
}

StreamChannel* ClientCore::stream(const std::string& route) const {
  if (!uses_stream()) return nullptr;
  MutexHold lock(&streams_mu_);
  std::unique_ptr<StreamChannel>& stream = streams_[route];
  if (stream == nullptr) {
    stream = std::make_unique<StreamChannel>(
        stub_.get(), [this, route](grpc::ClientContext* c) { AddCredentials(c, route); });
  }
  return stream.get();
}

void ClientCore::NoteFeatures(const v1::OpenSessionResponse& opened) const {
  if (!options_.use_stream) return;
  for (const std::string& feature : opened.features()) {
    if (feature == "stream") uses_stream_.store(true, std::memory_order_release);
  }
}

void ClientCore::Prepare(grpc::ClientContext* context, const std::string& route,
                         absl::Time deadline) const {
  AddCredentials(context, route);
  context->set_deadline(absl::ToChronoTime(deadline));
}

void ClientCore::Prepare(grpc::ClientContext* context, const std::string& route) const {
  AddCredentials(context, route);
  context->set_deadline(std::chrono::system_clock::now() +
                        absl::ToChronoMilliseconds(options_.timeout));
}

}  // namespace client_internal

using client_internal::ClientCore;
using client_internal::SessionCore;

std::optional<ErrorInfo> ErrorInfoOf(const absl::Status& status) {
  auto payload = status.GetPayload(client_internal::kErrorInfoTypeUrl);
  if (!payload.has_value()) return std::nullopt;
  v1::ErrorInfo info;
  if (!info.ParseFromString(std::string(*payload))) return std::nullopt;
  ErrorInfo out;
  out.reason = info.reason();
  out.gate = info.gate();
  out.method_error_type = info.method_error_type();
  out.metadata.insert(info.metadata().begin(), info.metadata().end());
  return out;
}

// ---- Client ----

absl::StatusOr<Client> Client::Connect(const ClientOptions& options) {
  if (options.target.empty()) return absl::InvalidArgumentError("orb: the target is empty");
  if (!options.token.empty() && !options.ticket.empty()) {
    return absl::InvalidArgumentError("orb: set a token or a ticket, not both");
  }
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "orb: a client certificate needs both tls_cert_file and tls_key_file");
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  grpc::ChannelArguments args;
  const bool tls = options.tls || !options.tls_ca_file.empty() || !options.tls_cert_file.empty();
  if (tls) {
    grpc::SslCredentialsOptions ssl;
    if (!options.tls_ca_file.empty()) {
      absl::StatusOr<std::string> ca =
          client_internal::ReadPem(options.tls_ca_file, "CA file", "CERTIFICATE");
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *std::move(ca);
    }
    if (!options.tls_cert_file.empty()) {
      absl::StatusOr<std::string> cert =
          client_internal::ReadPem(options.tls_cert_file, "certificate file", "CERTIFICATE");
      if (!cert.ok()) return cert.status();
      absl::StatusOr<std::string> key =
          client_internal::ReadPem(options.tls_key_file, "key file", "PRIVATE KEY");
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *std::move(cert);
      ssl.pem_private_key = *std::move(key);
    }
    credentials = grpc::SslCredentials(ssl);
    if (!options.tls_server_name.empty()) args.SetSslTargetNameOverride(options.tls_server_name);
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(options.target, credentials, args);
  return Client(std::make_shared<ClientCore>(options, std::move(channel)));
}

Client::Client(std::shared_ptr<ClientCore> core) : core_(std::move(core)) {}
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&& other) noexcept {
  if (this != &other) {
    if (core_ != nullptr) core_->flusher()->Stop();
    core_ = std::move(other.core_);
  }
  return *this;
}
Client::~Client() {
  if (core_ != nullptr) core_->flusher()->Stop();
}

std::string Client::transport() const {
  return core_ != nullptr && core_->uses_stream() ? "stream" : "unary";
}

const ClientOptions& Client::options() const { return core_->options(); }

namespace {

v1::OpenSessionRequest OpenRequest(const ClientCore& core) {
  v1::OpenSessionRequest request;
  request.set_client_name(core.options().client_name);
  return request;
}

}  // namespace

absl::StatusOr<Session> Client::OpenSession() const {
  v1::OpenSessionRequest request = OpenRequest(*core_);
  v1::OpenSessionResponse response;
  grpc::ClientContext context;
  core_->Prepare(&context);
  absl::Status status = core_->ToStatus(core_->stub()->OpenSession(&context, request, &response));
  if (!status.ok()) return status;
  core_->NoteFeatures(response);
  auto session = std::make_shared<SessionCore>(core_, response);
  Ref root = session->MakeRef(response.root());
  return Session(std::move(session), std::move(root));
}

void Client::OpenSessionAsync(Callback<Session> done) const {
  struct Pending {
    grpc::ClientContext context;
    v1::OpenSessionRequest request;
    v1::OpenSessionResponse response;
  };
  auto pending = std::make_shared<Pending>();
  pending->request = OpenRequest(*core_);
  core_->Prepare(&pending->context);
  std::shared_ptr<ClientCore> core = core_;
  core_->stub()->async()->OpenSession(
      &pending->context, &pending->request, &pending->response,
      [core, pending, done = std::move(done)](grpc::Status status) {
        if (!status.ok()) {
          done(core->ToStatus(status));
          return;
        }
        core->NoteFeatures(pending->response);
        auto session = std::make_shared<SessionCore>(core, pending->response);
        Ref root = session->MakeRef(pending->response.root());
        done(Session(std::move(session), std::move(root)));
      });
}

std::future<absl::StatusOr<Session>> Client::OpenSessionAsync() const {
  return client_internal::Future<absl::StatusOr<Session>>(
      [this](Callback<Session> done) { OpenSessionAsync(std::move(done)); });
}

// ---- Session ----

Session::Session(std::shared_ptr<SessionCore> core, Ref root)
    : core_(std::move(core)), root_(std::move(root)) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&& other) noexcept {
  if (this != &other) {
    if (core_ != nullptr) core_->Close().IgnoreError();
    core_ = std::move(other.core_);
    root_ = std::move(other.root_);
  }
  return *this;
}
Session::~Session() {
  if (core_ != nullptr) core_->Close().IgnoreError();
}

Ref Session::root() const { return root_; }
const std::string& Session::id() const {
  return core_ ? core_->id() : client_internal::EmptyString();
}
const std::string& Session::userid() const {
  return core_ ? core_->userid() : client_internal::EmptyString();
}
const std::vector<std::string>& Session::principals() const {
  static const std::vector<std::string>* const kNone = new std::vector<std::string>();
  return core_ ? core_->principals() : *kNone;
}
uint32_t Session::lease_seconds() const { return core_ ? core_->lease_seconds() : 0; }

absl::Status Session::Flush() const {
  return core_ ? core_->Flush() : absl::OkStatus();
}
absl::StatusOr<std::vector<HandleInfo>> Session::ListHandles() const {
  if (!core_) return absl::FailedPreconditionError("orb: the session was moved from");
  return core_->ListHandles();
}
absl::Status Session::KeepAlive() const {
  if (!core_) return absl::FailedPreconditionError("orb: the session was moved from");
  return core_->KeepAlive();
}
absl::Status Session::Close() { return core_ ? core_->Close() : absl::OkStatus(); }

// ---- Ref ----

absl::StatusOr<Subscription> Ref::Watch(std::vector<std::string> names,
                                        WatchEventCallback on_event,
                                        WatchEndCallback on_end) const {
  if (!state_) return client_internal::EmptyRef();
  return state_->session->Watch(state_, std::move(names), std::move(on_event),
                                std::move(on_end));
}

const std::string& Ref::id() const {
  return state_ ? state_->id : client_internal::EmptyString();
}
const std::string& Ref::type_name() const {
  return state_ ? state_->type_name : client_internal::EmptyString();
}
bool Ref::is_class() const { return state_ && state_->is_class; }

bool operator==(const Ref& a, const Ref& b) {
  if (a.state_ == b.state_) return true;
  if (a.state_ == nullptr || b.state_ == nullptr) return false;
  return a.state_->session == b.state_->session && a.state_->id == b.state_->id;
}

absl::StatusOr<Value> Ref::Get(absl::string_view name) const {
  if (!state_) return client_internal::EmptyRef();
  return state_->session->Get(state_, name);
}
absl::StatusOr<std::map<std::string, Value>> Ref::GetMany(
    const std::vector<std::string>& names) const {
  if (!state_) return client_internal::EmptyRef();
  return state_->session->GetMany(state_, names);
}
void Ref::GetAsync(absl::string_view name, Callback<Value> done) const {
  if (!state_) return done(client_internal::EmptyRef());
  state_->session->GetAsync(state_, name, std::move(done));
}
std::future<absl::StatusOr<Value>> Ref::GetAsync(absl::string_view name) const {
  return client_internal::Future<absl::StatusOr<Value>>(
      [&](Callback<Value> done) { GetAsync(name, std::move(done)); });
}

absl::Status Ref::Set(absl::string_view name, Value value) const {
  if (!state_) return client_internal::EmptyRef();
  return state_->session->Set(state_, name, value);
}
void Ref::SetAsync(absl::string_view name, Value value, StatusCallback done) const {
  if (!state_) return done(client_internal::EmptyRef());
  state_->session->SetAsync(state_, name, std::move(value), std::move(done));
}
std::future<absl::Status> Ref::SetAsync(absl::string_view name, Value value) const {
  return client_internal::Future<absl::Status>(
      [&](StatusCallback done) { SetAsync(name, std::move(value), std::move(done)); });
}

absl::Status Ref::Del(absl::string_view name) const {
  if (!state_) return client_internal::EmptyRef();
  return state_->session->Del(state_, name);
}
void Ref::DelAsync(absl::string_view name, StatusCallback done) const {
  if (!state_) return done(client_internal::EmptyRef());
  state_->session->DelAsync(state_, name, std::move(done));
}
std::future<absl::Status> Ref::DelAsync(absl::string_view name) const {
  return client_internal::Future<absl::Status>(
      [&](StatusCallback done) { DelAsync(name, std::move(done)); });
}

absl::StatusOr<Value> Ref::Call(absl::string_view name, std::vector<Value> args,
                                std::map<std::string, Value> kwargs) const {
  if (!state_) return client_internal::EmptyRef();
  return state_->session->Call(state_, name, args, kwargs, /*by_value=*/false);
}
void Ref::CallAsync(absl::string_view name, std::vector<Value> args,
                    std::map<std::string, Value> kwargs, Callback<Value> done) const {
  if (!state_) return done(client_internal::EmptyRef());
  state_->session->CallAsync(state_, name, std::move(args), std::move(kwargs),
                             /*by_value=*/false, std::move(done));
}
std::future<absl::StatusOr<Value>> Ref::CallAsync(absl::string_view name,
                                                  std::vector<Value> args,
                                                  std::map<std::string, Value> kwargs) const {
  return client_internal::Future<absl::StatusOr<Value>>([&](Callback<Value> done) {
    CallAsync(name, std::move(args), std::move(kwargs), std::move(done));
  });
}

absl::StatusOr<Value> Ref::CallByValue(absl::string_view name, std::vector<Value> args,
                                       std::map<std::string, Value> kwargs) const {
  if (!state_) return client_internal::EmptyRef();
  return state_->session->Call(state_, name, args, kwargs, /*by_value=*/true);
}
void Ref::CallByValueAsync(absl::string_view name, std::vector<Value> args,
                           std::map<std::string, Value> kwargs, Callback<Value> done) const {
  if (!state_) return done(client_internal::EmptyRef());
  state_->session->CallAsync(state_, name, std::move(args), std::move(kwargs),
                             /*by_value=*/true, std::move(done));
}
std::future<absl::StatusOr<Value>> Ref::CallByValueAsync(
    absl::string_view name, std::vector<Value> args, std::map<std::string, Value> kwargs) const {
  return client_internal::Future<absl::StatusOr<Value>>([&](Callback<Value> done) {
    CallByValueAsync(name, std::move(args), std::move(kwargs), std::move(done));
  });
}

absl::StatusOr<Description> Ref::Describe() const {
  if (!state_) return client_internal::EmptyRef();
  return state_->session->Describe(state_);
}
void Ref::DescribeAsync(Callback<Description> done) const {
  if (!state_) return done(client_internal::EmptyRef());
  state_->session->DescribeAsync(state_, std::move(done));
}
std::future<absl::StatusOr<Description>> Ref::DescribeAsync() const {
  return client_internal::Future<absl::StatusOr<Description>>(
      [&](Callback<Description> done) { DescribeAsync(std::move(done)); });
}

absl::StatusOr<Ref> Ref::Restrict(const Restriction& keep) const {
  if (!state_) return client_internal::EmptyRef();
  return state_->session->Restrict(state_, keep);
}
void Ref::RestrictAsync(const Restriction& keep, Callback<Ref> done) const {
  if (!state_) return done(client_internal::EmptyRef());
  state_->session->RestrictAsync(state_, keep, std::move(done));
}
std::future<absl::StatusOr<Ref>> Ref::RestrictAsync(const Restriction& keep) const {
  return client_internal::Future<absl::StatusOr<Ref>>(
      [&](Callback<Ref> done) { RestrictAsync(keep, std::move(done)); });
}

}  // namespace client
}  // namespace orb
