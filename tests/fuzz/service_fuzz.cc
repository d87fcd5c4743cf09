// Fuzz target: arbitrary request bytes for every RPC of orb.v1.ObjectBroker
// and the session and policy-info RPCs of orb.v1.BrokerAdmin, through the
// real services (ObjectBrokerService and BrokerAdminService on an
// in-process gRPC server serving the demo blog under the demo policy, whose
// admin is alice).
//
// Input: byte 0 picks the RPC (the ObjectBroker's, then the Stream, then
// the BrokerAdmin's, then Watch), byte 1 the credential (none, bob's token,
// alice's token, a wrong token, a valid ticket, an expired ticket, a
// malformed ticket, or a header taken from the input), byte 2 holds flags,
// the rest is the request message in wire form. With flag 1 (and a request
// that parses) the request's `session` and `handle` fields are set to a
// live session and its root handle, so that the fuzzer reaches the gates
// and the members rather than stopping at "session not found"; flag 2
// picks the session of a different identity than the caller's.
//
// Checked on every input:
//   - the answer is OK or one of the codes broker.proto documents for bad
//     input (INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED,
//     UNAUTHENTICATED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION), with a
//     message; never INTERNAL, UNKNOWN, UNAVAILABLE, a timeout, ..., nor
//     an answer too large for the client to read;
//   - an OK answer parses as the RPC's response message;
//   - a session used by another identity never answers OK (a Batch on it:
//     every operation fails); a Batch's per-operation errors obey the
//     same rules as unary answers;
//   - Stream (byte 0 past the unary RPCs): the rest is frames, each a
//     length byte and that many bytes of an orb.v1.StreamRequest (flag 1
//     aims each operation that parses at a live session as above). Every
//     frame but a cancel is answered exactly once, each answer obeys the
//     rules of a unary answer (CANCELLED and DEADLINE_EXCEEDED allowed:
//     frames may cancel and set timeouts), and the stream ends OK (or
//     UNAUTHENTICATED at open for a refused credential);
//   - Watch (the last value of byte 0): the request as for a unary RPC;
//     the call either ends before any event with a code allowed for a
//     unary answer and a message, or its first event parses, is marked
//     initial and holds no value for a foreign session; it is then
//     cancelled and must end CANCELLED;
//   - afterwards the server still reports SERVING, and the standing
//     sessions of anonymous, bob and alice still answer their owners.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "orb/broker/broker_core.h"
#include "orb/demo/blog.h"
#include "broker/service/admin_service.h"
#include "broker/service/object_broker_service.h"
#include "orb/broker/type_registry.h"
#include "grpcpp/generic/generic_stub.h"
#include "tests/testing/raw_stream.h"
#include "tests/testing/raw_unary_call.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "orb/v1/broker.pb.h"
#include "orb/policy/authn.h"
#include "orb/policy/policy_loader.h"
#include "tests/fuzz/fuzz_input.h"

#ifndef ORB_SOURCE_DIR
#error "ORB_SOURCE_DIR must name the source tree (the demo policy is read from it)"
#endif

namespace orb::fuzz {

using orb::broker::BrokerCore;
using orb::broker::TypeRegistry;
namespace {

struct Rpc {
  const char* name;
  const google::protobuf::Message* request;
  const google::protobuf::Message* response;
};

// Picked by the values of byte 0 past the Stream's, so that the seeds
// written before them keep their meaning. ReloadPolicy is left out: the
// fixture has no policy file (it would answer UNIMPLEMENTED).
const std::vector<Rpc>& AdminRpcs() {
  static const std::vector<Rpc>* const rpcs = new std::vector<Rpc>{
      {"ListSessions", &v1::ListSessionsRequest::default_instance(),
       &v1::ListSessionsResponse::default_instance()},
      {"CloseSession", &v1::AdminCloseSessionRequest::default_instance(),
       &v1::AdminCloseSessionResponse::default_instance()},
      {"GetPolicyInfo", &v1::GetPolicyInfoRequest::default_instance(),
       &v1::PolicyInfo::default_instance()},
  };
  return *rpcs;
}

const std::vector<Rpc>& Rpcs() {
  static const std::vector<Rpc>* const rpcs = new std::vector<Rpc>{
      {"OpenSession", &v1::OpenSessionRequest::default_instance(),
       &v1::OpenSessionResponse::default_instance()},
      {"CloseSession", &v1::CloseSessionRequest::default_instance(),
       &v1::CloseSessionResponse::default_instance()},
      {"KeepAlive", &v1::KeepAliveRequest::default_instance(),
       &v1::KeepAliveResponse::default_instance()},
      {"GetAttr", &v1::GetAttrRequest::default_instance(),
       &v1::GetAttrResponse::default_instance()},
      {"SetAttr", &v1::SetAttrRequest::default_instance(),
       &v1::SetAttrResponse::default_instance()},
      {"DelAttr", &v1::DelAttrRequest::default_instance(),
       &v1::DelAttrResponse::default_instance()},
      {"Call", &v1::CallRequest::default_instance(), &v1::CallResponse::default_instance()},
      {"Release", &v1::ReleaseRequest::default_instance(),
       &v1::ReleaseResponse::default_instance()},
      {"ListHandles", &v1::ListHandlesRequest::default_instance(),
       &v1::ListHandlesResponse::default_instance()},
      {"Describe", &v1::DescribeRequest::default_instance(),
       &v1::DescribeResponse::default_instance()},
      {"Restrict", &v1::RestrictRequest::default_instance(),
       &v1::RestrictResponse::default_instance()},
      {"Batch", &v1::BatchRequest::default_instance(), &v1::BatchResponse::default_instance()},
      {"GetAttrs", &v1::GetAttrsRequest::default_instance(),
       &v1::GetAttrsResponse::default_instance()},
  };
  return *rpcs;
}

// The demo key (examples/blog/policy.textproto), to mint tickets.
constexpr char kDemoTicketKeyHex[] =
    "cb8fcf26d7252f1dddf030f1adbf20aedc24bfc59bdf0947c29b6b1a52686e1e";

// Standing identities: 0 anonymous, 1 bob, 2 alice.
constexpr int kIdentities = 3;
const char* const kTokens[kIdentities] = {"", "Bearer bob-demo-token", "Bearer alice-demo-token"};

std::string ReadFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) Finding(absl::StrCat("cannot read ", path));
  std::string out;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) out.append(buffer, n);
  std::fclose(f);
  return out;
}

struct Result {
  grpc::Status status;
  std::string response;
};

class Fixture {
 public:
  Fixture() {
    const std::string dir = std::string(ORB_SOURCE_DIR) + "/examples/blog";
    policy::LoadResult loaded = policy::CompilePolicyText(
        ReadFile(dir + "/policy.textproto") + "\nlimits { session_ttl_seconds: 600 }",
        "policy.textproto", dir);
    if (loaded.policy == nullptr) Finding("the demo policy does not compile");
    auto registry = std::make_shared<TypeRegistry>();
    if (!demo::RegisterBlogTypes(*registry).ok()) Finding("cannot register the demo types");
    blog_ = demo::MakeBlog();
    core_ = std::make_unique<BrokerCore>(registry, blog_, loaded.policy, BrokerCore::Options());
    service_ = std::make_unique<broker::ObjectBrokerService>(core_.get());
    admin_ = std::make_unique<broker::BrokerAdminService>(core_.get(), nullptr, false);
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    builder.SetMaxReceiveMessageSize(static_cast<int>(loaded.policy->limits().max_message_bytes));
    builder.RegisterService(service_.get());
    builder.RegisterService(admin_.get());
    server_ = builder.BuildAndStart();
    if (server_ == nullptr) Finding("the in-process server did not start");
    server_->GetHealthCheckService()->SetServingStatus(true);
    channel_ = server_->InProcessChannel(grpc::ChannelArguments());
    stub_ = std::make_unique<grpc::GenericStub>(channel_);
    for (int i = 0; i < kIdentities; ++i) Reopen(i);
  }
  ~Fixture() { server_->Shutdown(std::chrono::system_clock::now()); }

  // One unary call with raw bytes; waits for the answer (10 s at most: a
  // longer call is a hang, and a finding).
  Result Invoke(const std::string& method, const std::string& authorization,
                const std::string& request) {
    grpc::ClientContext context;
    if (!authorization.empty()) context.AddMetadata("authorization", authorization);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    Result result;
    result.status = orb::testing::RawUnaryCall(*stub_, &context, method, request, &result.response);
    return result;
  }

  bool Serving() {
    // HealthCheckRequest{service: ""} is the empty message; SERVING is 08 01.
    Result r = Invoke("/grpc.health.v1.Health/Check", "", "");
    return r.status.ok() && r.response == std::string("\x08\x01", 2);
  }

  void Reopen(int who) {
    Result r = Invoke("/orb.v1.ObjectBroker/OpenSession", kTokens[who], "");
    v1::OpenSessionResponse opened;
    if (!r.status.ok() || !opened.ParseFromString(r.response)) {
      Finding(absl::StrCat("cannot open a standing session: ", r.status.error_message()));
    }
    sessions_[who] = opened.session();
    roots_[who] = opened.root().id();
  }

  // The standing sessions still answer their owners; one the input closed
  // (its owner may do that) is opened again.
  void CheckStanding() {
    for (int who = 0; who < kIdentities; ++who) {
      v1::KeepAliveRequest keep;
      keep.set_session(sessions_[who]);
      Result r = Invoke("/orb.v1.ObjectBroker/KeepAlive", kTokens[who], keep.SerializeAsString());
      if (r.status.error_code() == grpc::StatusCode::NOT_FOUND) {
        Reopen(who);
      } else if (!r.status.ok()) {
        Finding(absl::StrCat("a standing session answers ", r.status.error_code(), ": ",
                             r.status.error_message()));
      }
    }
  }

  // Inputs add entries, sessions and handles; past these sizes the state is
  // thrown away so that a long run measures inputs, not an ever larger blog.
  bool Grown() const {
    return core_->session_count() > 24 || core_->handle_count() > 2000 ||
           blog_->entry_count() > 200;
  }

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  const std::string& session(int who) const { return sessions_[who]; }
  const std::string& root(int who) const { return roots_[who]; }

 private:
  std::shared_ptr<demo::Blog> blog_;
  std::unique_ptr<BrokerCore> core_;
  std::unique_ptr<broker::ObjectBrokerService> service_;
  std::unique_ptr<broker::BrokerAdminService> admin_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<grpc::GenericStub> stub_;
  std::string sessions_[kIdentities];
  std::string roots_[kIdentities];
};

std::unique_ptr<Fixture>& TheFixture() {
  static auto* const fixture = new std::unique_ptr<Fixture>();
  if (*fixture == nullptr || (*fixture)->Grown()) {
    fixture->reset();
    *fixture = std::make_unique<Fixture>();
  }
  return *fixture;
}

std::string Ticket(absl::Time expiry) {
  std::string key;
  if (!policy::DecodeLowerHex(kDemoTicketKeyHex, &key)) Finding("bad demo key");
  return "Ticket " + policy::MintTicket(key, "bob", expiry);
}

// The credential for choice `c` and the standing identity it is (-1: a
// refused credential; -2: not known in advance).
std::string Credential(uint8_t c, FuzzInput& in, int* who) {
  switch (c % 8) {
    case 0:
    case 1:
    case 2:
      *who = c % 8;
      return kTokens[c % 8];
    case 3:
      *who = -1;
      return "Bearer not-a-demo-token";
    case 4:
      *who = 1;  // a ticket for bob is bob, whatever the credential
      return Ticket(absl::Now() + absl::Minutes(10));
    case 5:
      *who = -1;
      return Ticket(absl::Now() - absl::Minutes(10));
    case 6:
      *who = -1;
      return "Ticket orb1.Ym9i.1.00";
    default: {
      // gRPC refuses metadata values outside printable ASCII on the client
      // side; keep to what a peer can actually send.
      std::string value = in.Bytes(80);
      for (char& ch : value) {
        if (ch < 0x20 || ch > 0x7e) ch = ' ';
      }
      // Who that is depends on what the input wrote (it may well be a
      // demo token): unknown, so the foreign-session check is skipped.
      *who = value.empty() ? 0 : -2;
      return value;
    }
  }
}

bool AllowedCode(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::FAILED_PRECONDITION:
      return true;
    default:
      return false;
  }
}

// With flag 1: points a request that parses at `owner`'s live session and
// root handle (a batch's operations without a handle or a target too).
void AimAtLiveSession(google::protobuf::Message* message, const Fixture& fixture, int owner) {
  const google::protobuf::Descriptor* d = message->GetDescriptor();
  const google::protobuf::Reflection* r = message->GetReflection();
  if (const auto* f = d->FindFieldByName("session")) {
    r->SetString(message, f, fixture.session(owner));
  }
  if (const auto* f = d->FindFieldByName("handle");
      f != nullptr && f->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
      !f->is_repeated()) {
    r->SetString(message, f, fixture.root(owner));
  }
  if (auto* batch = dynamic_cast<v1::BatchRequest*>(message)) {
    for (v1::BatchOperation& op : *batch->mutable_operations()) {
      if (op.has_target()) continue;
      if (op.has_get_attr() && op.get_attr().handle().empty()) {
        op.mutable_get_attr()->set_handle(fixture.root(owner));
      } else if (op.has_set_attr() && op.set_attr().handle().empty()) {
        op.mutable_set_attr()->set_handle(fixture.root(owner));
      } else if (op.has_call() && op.call().handle().empty()) {
        op.mutable_call()->set_handle(fixture.root(owner));
      }
    }
  }
}

// Checks a Batch's OK answer: each error one a unary call may answer (or
// ABORTED after stop_on_error), with a message; on another identity's
// session every operation fails.
void CheckBatch(const v1::BatchResponse& batch, bool foreign_session) {
  for (const v1::BatchResult& r : batch.results()) {
    if (r.has_error()) {
      const auto code = static_cast<grpc::StatusCode>(r.error().code());
      if (!AllowedCode(code) && code != grpc::StatusCode::ABORTED) {
        Finding(absl::StrCat("a Batch operation answered code ", r.error().code(), ": ",
                             r.error().message()));
      }
      if (r.error().message().empty()) Finding("a Batch operation failed with no message");
    } else if (foreign_session) {
      Finding("a Batch operation on another identity's session ran");
    }
  }
}

// The Stream: frames from the input, sent on one stream, every answer
// checked (see the file comment).
void RunStream(Fixture& fixture, const std::string& authorization, int who, uint8_t flags,
               FuzzInput& in) {
  int owner = who < 0 ? 0 : who;
  bool foreign_session = false;
  if ((flags & 1) != 0 && (flags & 2) != 0 && who != -2) {
    owner = (owner + 1 + (flags >> 7)) % kIdentities;
    foreign_session = true;
  }
  // Each frame with whether it is answered (every frame but a cancel is).
  std::vector<std::pair<std::string, bool>> frames;
  size_t answers_due = 0;
  while (!in.empty() && frames.size() < 64) {
    std::string bytes = in.Bytes(in.Byte());
    v1::StreamRequest frame;
    const bool parsed = frame.ParseFromString(bytes);
    if (parsed && frame.operation_case() == v1::StreamRequest::kCancel) {
      frames.emplace_back(std::move(bytes), false);
      continue;
    }
    ++answers_due;
    if (parsed && (flags & 1) != 0 &&
        frame.operation_case() != v1::StreamRequest::OPERATION_NOT_SET) {
      const google::protobuf::FieldDescriptor* field =
          frame.GetDescriptor()->FindFieldByNumber(frame.operation_case());
      AimAtLiveSession(frame.GetReflection()->MutableMessage(&frame, field), fixture, owner);
      bytes = frame.SerializeAsString();
    }
    frames.emplace_back(std::move(bytes), true);
  }
  std::vector<std::pair<std::string, std::string>> metadata;
  if (!authorization.empty()) metadata.emplace_back("authorization", authorization);
  orb::testing::RawStream stream(fixture.channel(), metadata, absl::Seconds(10));
  size_t answered = 0;
  v1::StreamResponse answer;
  const auto check = [&](const v1::StreamResponse& got) {
    ++answered;
    if (got.has_error()) {
      const auto code = static_cast<grpc::StatusCode>(got.error().code());
      if (!AllowedCode(code) && code != grpc::StatusCode::CANCELLED &&
          code != grpc::StatusCode::DEADLINE_EXCEEDED) {
        Finding(absl::StrCat("a Stream operation answered code ", got.error().code(), ": ",
                             got.error().message()));
      }
      if (got.error().message().empty()) Finding("a Stream operation failed with no message");
      return;
    }
    // Every operation that parsed was aimed at the other identity's
    // session: only OpenSession (which names none) and a Batch (whose
    // operations then each fail) may answer OK.
    if (got.has_batch()) {
      CheckBatch(got.batch(), foreign_session);
    } else if (foreign_session && !got.has_open_session()) {
      Finding("a Stream operation on another identity's session answered OK");
    }
  };
  // A client keeps at most the announced number of operations in flight
  // and reads answers while it sends: one that sends more without reading
  // is held back by flow control in both directions.
  size_t limit = 0;
  if (!absl::SimpleAtoi(stream.InitialMetadata("orb-max-operations-in-flight"), &limit) ||
      limit == 0) {
    limit = 1;
  }
  size_t sent_answered = 0;
  bool open = true;
  for (const auto& [bytes, answered_frame] : frames) {
    while (answered_frame && sent_answered - answered >= limit) {
      if (!stream.Read(&answer)) {
        open = false;
        break;
      }
      check(answer);
    }
    if (!open || !stream.Write(bytes)) break;
    if (answered_frame) ++sent_answered;
  }
  stream.WritesDone();
  while (stream.Read(&answer)) check(answer);
  const grpc::Status ended = stream.Finish();
  if (ended.error_code() == grpc::StatusCode::UNAUTHENTICATED && answered == 0 && who != 0 &&
      who != 1 && who != 2) {
    return;  // a refused credential ends the stream at open
  }
  if (!ended.ok()) {
    Finding(absl::StrCat("the Stream ended with code ", ended.error_code(), ": ",
                         ended.error_message()));
  }
  if (answered != answers_due) {
    Finding(absl::StrCat("the Stream answered ", answered, " of ", answers_due, " frames"));
  }
}

// One Watch call with `request` (wire bytes): its refusal, or its first
// event and then its end once cancelled.
void RunWatch(Fixture& fixture, const std::string& authorization, const std::string& request,
              bool foreign_session) {
  std::vector<std::pair<std::string, std::string>> metadata;
  if (!authorization.empty()) metadata.emplace_back("authorization", authorization);
  orb::testing::RawStream call(fixture.channel(), metadata, absl::Seconds(10),
                               "/orb.v1.ObjectBroker/Watch");
  if (call.Write(request)) call.WritesDone();
  v1::WatchEvent first;
  bool timed_out = false;
  const bool event = call.Read(&first, absl::Seconds(5), &timed_out);
  if (timed_out) Finding("a Watch neither sent its first event nor ended");
  if (event) {
    if (!first.initial()) Finding("a Watch's first event is not marked initial");
    if (foreign_session) Finding("a Watch on another identity's session sent an event");
    call.Cancel();
  }
  const grpc::Status ended = call.Finish();
  if (event || timed_out) {
    if (ended.error_code() != grpc::StatusCode::CANCELLED) {
      Finding(absl::StrCat("a cancelled Watch ended with code ", ended.error_code(), ": ",
                           ended.error_message()));
    }
    return;
  }
  if (ended.ok() || !AllowedCode(ended.error_code())) {
    Finding(absl::StrCat("a Watch ended before its first event with code ", ended.error_code(),
                         ": ", ended.error_message()));
  }
  if (!ended.ok() && ended.error_message().empty()) Finding("a Watch failed with no message");
}

}  // namespace
}  // namespace orb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace orb;
  using namespace orb::fuzz;
  Fixture& fixture = *TheFixture();
  FuzzInput in(data, size);
  const size_t choice = in.Byte() % (Rpcs().size() + 1 + AdminRpcs().size() + 1);
  int who = -1;
  const std::string authorization = Credential(in.Byte(), in, &who);
  const uint8_t flags = in.Byte();
  if (choice == Rpcs().size() + 1 + AdminRpcs().size()) {
    std::string request = in.Rest();
    bool foreign_session = false;
    v1::WatchRequest watch;
    if ((flags & 1) != 0 && watch.ParseFromString(request)) {
      int owner = who < 0 ? 0 : who;
      if ((flags & 2) != 0 && who != -2) {
        owner = (owner + 1 + (flags >> 7)) % kIdentities;
        foreign_session = true;
      }
      AimAtLiveSession(&watch, fixture, owner);
      request = watch.SerializeAsString();
    }
    RunWatch(fixture, authorization, request, foreign_session);
    if (!fixture.Serving()) Finding("the server stopped reporting SERVING");
    fixture.CheckStanding();
    return 0;
  }
  if (choice == Rpcs().size()) {
    RunStream(fixture, authorization, who, flags, in);
    if (!fixture.Serving()) Finding("the server stopped reporting SERVING");
    fixture.CheckStanding();
    return 0;
  }
  const bool admin = choice > Rpcs().size();
  const Rpc& rpc = admin ? AdminRpcs()[choice - Rpcs().size() - 1] : Rpcs()[choice];
  std::string request = in.Rest();

  bool foreign_session = false;
  if ((flags & 1) != 0 && !admin) {
    std::unique_ptr<google::protobuf::Message> message(rpc.request->New());
    if (message->ParseFromString(request)) {
      int owner = who < 0 ? 0 : who;
      if ((flags & 2) != 0 && who != -2) {
        owner = (owner + 1 + (flags >> 7)) % kIdentities;
        foreign_session = true;
      }
      AimAtLiveSession(message.get(), fixture, owner);
      request = message->SerializeAsString();
    }
  }

  const Result result =
      fixture.Invoke(absl::StrCat(admin ? "/orb.v1.BrokerAdmin/" : "/orb.v1.ObjectBroker/",
                                  rpc.name),
                     authorization, request);
  const grpc::Status& status = result.status;
  if (!AllowedCode(status.error_code())) {
    Finding(absl::StrCat(rpc.name, " answered code ", status.error_code(), ": ",
                         status.error_message()));
  }
  // The request's own metadata is tiny; this answer means the broker's
  // reply was too large for the client to read (an error quoting input).
  if (status.error_message().find("metadata size exceeds limit") != std::string::npos) {
    Finding(absl::StrCat(rpc.name, " answered with more metadata than a client accepts"));
  }
  if (!status.ok() && status.error_message().empty()) {
    Finding(absl::StrCat(rpc.name, " failed with code ", status.error_code(), " and no message"));
  }
  if (status.ok()) {
    std::unique_ptr<google::protobuf::Message> response(rpc.response->New());
    if (!response->ParseFromString(result.response)) {
      Finding(absl::StrCat(rpc.name, " answered OK with bytes that are not its response"));
    }
    if (std::string(rpc.name) == "Batch") {
      v1::BatchResponse batch;
      if (batch.ParseFromString(result.response)) CheckBatch(batch, foreign_session);
    } else if (foreign_session && std::string(rpc.name) != "OpenSession") {
      Finding(absl::StrCat(rpc.name, " on another identity's session answered OK"));
    }
  }
  if (!fixture.Serving()) Finding("the server stopped reporting SERVING");
  fixture.CheckStanding();
  return 0;
}
