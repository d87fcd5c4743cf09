// Fuzz target: incoming values, from wire bytes to C++ parameters and back.
//
// The first byte picks how the rest is read:
//   - even: as an orb.v1.CallRequest in wire form, parsed exactly as the
//     service parses requests (CodedInputStream with
//     kRequestParseRecursionLimit); a message that does not parse is what
//     the service answers MALFORMED_REQUEST, and ends the input;
//   - odd: as a recipe for a value tree built in memory, which can hold
//     what the wire parser never lets through (strings that are not UTF-8,
//     values with no kind, nesting far past any limit).
// The values then go through the broker: BrokerCore::Call on a probe type
// whose methods take every built-in codec's C++ type (scalars, AnyDouble,
// bytes, vectors, maps, optionals, handles, raw values) and return them, in
// a fresh session whose ids are predictable ("id0" the session, "id1" the
// root, ...) so that HandleRefs in the input can name live handles.
//
// Checked on every input:
//   - ValidateIncomingValue (with limits from the input) accepts a tree iff
//     the reference below does: every kind set, every string and map key
//     UTF-8, nesting and node count within the limits; and it counts the
//     nodes exactly; IsValidUtf8 agrees with a reference decoder on every
//     string;
//   - Call answers OK, INVALID_ARGUMENT, NOT_FOUND, or INTERNAL with reason
//     BAD_VALUE (a raw value result holding a handle); never anything else;
//   - every handle in an OK result is a live handle of the session;
//   - closing the session leaves no session and no handle behind.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "orb/broker/binding.h"
#include "orb/broker/broker_core.h"
#include "orb/broker/errors.h"
#include "orb/broker/object.h"
#include "broker/service/object_broker_service.h"
#include "orb/broker/type_registry.h"
#include "orb/broker/value_codec.h"
#include "google/protobuf/io/coded_stream.h"
#include "orb/v1/broker.pb.h"
#include "orb/policy/acl.h"
#include "orb/policy/olp.h"
#include "orb/policy/policy_loader.h"
#include "tests/fuzz/fuzz_input.h"

namespace orb::fuzz {

using orb::broker::AnyDouble;
using orb::broker::BrokerCore;
using orb::broker::Bytes;
using orb::broker::Concurrency;
using orb::broker::GetErrorInfo;
using orb::broker::IsValidUtf8;
using orb::broker::Object;
using orb::broker::RequestContext;
using orb::broker::TypeBuilder;
using orb::broker::TypeRegistry;
using orb::broker::ValidateIncomingValue;
using orb::broker::ValueLimits;
namespace {

// ------------------------------------------------------------ probe type

class Probe final : public Object {
 public:
  std::string label;
  double ratio = 0;
};

const std::vector<std::string> kMethods = {"scalars", "containers", "nested", "echo",
                                           "peer",    "spawn",      "maybe"};

policy::OlpPtr ProbeOlp() {
  policy::Olp::Builder b;
  for (const std::string& name : kMethods) {
    b.Expose(policy::View::kInstance, policy::Op::kCall, name, policy::Lock::Permission("use"));
  }
  for (const char* name : {"label", "ratio"}) {
    b.Expose(policy::View::kInstance, policy::Op::kGetAttr, name, policy::Lock::Permission("use"));
    b.Expose(policy::View::kInstance, policy::Op::kSetAttr, name, policy::Lock::Permission("use"));
  }
  return b.Build();
}

absl::Status RegisterProbe(TypeRegistry& registry) {
  using Table = std::map<std::string, std::vector<std::optional<double>>>;
  using Rows = std::vector<std::vector<std::map<std::string, std::string>>>;
  TypeBuilder<Probe> t("fuzz.Probe");
  t.Method("scalars",
           [](Probe&, bool b, int64_t i, int32_t i32, uint8_t u8, double d, AnyDouble any,
              std::string s, Bytes raw) {
             return static_cast<int64_t>(b) + i / 2 + i32 + u8 + static_cast<int64_t>(s.size()) +
                    static_cast<int64_t>(raw.data.size()) + (std::isfinite(d) ? 1 : 0) +
                    (std::isnan(any.value) ? 1 : 0);
           },
           {"b", "i", "i32", "u8", "d", "any", "s", "raw"})
      .Method("containers",
              [](Probe&, std::vector<int64_t> ints, Table table, std::optional<std::string> maybe) {
                return static_cast<int64_t>(ints.size() + table.size() + (maybe ? 1 : 0));
              },
              {"ints", "table", "maybe"})
      .Method("nested", [](Probe&, Rows rows) { return rows; }, {"rows"})
      .Method("echo", [](Probe&, v1::Value value) { return value; }, {"value"})
      .Method("peer",
              [](Probe& self, std::shared_ptr<Probe> other) -> std::shared_ptr<Probe> {
                if (other != nullptr) return other;
                return std::static_pointer_cast<Probe>(self.shared_from_this());
              },
              {"other"})
      .Method("spawn",
              [](Probe& self, int64_t n) {
                std::vector<std::shared_ptr<Probe>> out;
                for (int64_t i = 0; i < n && i < 4; ++i) {
                  auto child = std::make_shared<Probe>();
                  child->SetLocation(self.shared_from_this(), absl::StrCat("child", i));
                  out.push_back(std::move(child));
                }
                return out;
              },
              {"n"})
      .Method("maybe",
              [](Probe&, std::optional<std::shared_ptr<Probe>> probe, std::optional<int64_t> n) {
                return probe.has_value() && *probe != nullptr ? n.value_or(-1) : int64_t{0};
              },
              {"probe", "n"})
      .Attribute("label", &Probe::label)
      .Attribute("ratio", &Probe::ratio)
      .Acl({policy::AceSpec::Allow(std::string(policy::kEveryone), "use")})
      .Olp(ProbeOlp())
      .Concurrency(Concurrency::kSerialized);
  return registry.Register(std::move(t));
}

// Predictable ids, restarted for every input (each input's session is
// closed before the next one starts, so no id is ever live twice).
int g_next_id = 0;

struct Broker {
  std::shared_ptr<Probe> root = std::make_shared<Probe>();
  std::unique_ptr<BrokerCore> core;
};

Broker& TheBroker() {
  static Broker* const broker = [] {
    auto registry = std::make_shared<TypeRegistry>();
    if (!RegisterProbe(*registry).ok()) Finding("cannot register the probe type");
    policy::LoadResult policy = policy::CompilePolicyText(
        "authentication { allow_anonymous: true } limits { max_value_depth: 64 }", "fuzz");
    if (policy.policy == nullptr) Finding("cannot compile the fuzz policy");
    auto* b = new Broker();
    BrokerCore::Options options;
    options.new_id = [] { return absl::StrCat("id", g_next_id++); };
    b->core = std::make_unique<BrokerCore>(registry, b->root, policy.policy, std::move(options));
    return b;
  }();
  return *broker;
}

// ------------------------------------------------------------- reference

// RFC 3629 §4, byte ranges as the syntax table writes them.
bool RefUtf8(const std::string& s) {
  const auto in = [](unsigned char c, unsigned lo, unsigned hi) { return c >= lo && c <= hi; };
  size_t i = 0;
  const size_t n = s.size();
  const auto at = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  while (i < n) {
    const unsigned char c = at(i);
    if (c <= 0x7F) {
      i += 1;
    } else if (in(c, 0xC2, 0xDF)) {
      if (i + 1 >= n || !in(at(i + 1), 0x80, 0xBF)) return false;
      i += 2;
    } else if (in(c, 0xE0, 0xEF)) {
      if (i + 2 >= n) return false;
      const unsigned lo = c == 0xE0 ? 0xA0 : 0x80;
      const unsigned hi = c == 0xED ? 0x9F : 0xBF;
      if (!in(at(i + 1), lo, hi) || !in(at(i + 2), 0x80, 0xBF)) return false;
      i += 3;
    } else if (in(c, 0xF0, 0xF4)) {
      if (i + 3 >= n) return false;
      const unsigned lo = c == 0xF0 ? 0x90 : 0x80;
      const unsigned hi = c == 0xF4 ? 0x8F : 0xBF;
      if (!in(at(i + 1), lo, hi) || !in(at(i + 2), 0x80, 0xBF) || !in(at(i + 3), 0x80, 0xBF)) {
        return false;
      }
      i += 4;
    } else {
      return false;
    }
  }
  return true;
}

struct RefShape {
  size_t nodes = 0;
  uint32_t depth = 0;  // list/map levels on the deepest path
  bool kinds_set = true;
  bool utf8 = true;
};

void RefMeasure(const v1::Value& v, uint32_t depth, RefShape* shape) {
  ++shape->nodes;
  switch (v.kind_case()) {
    case v1::Value::KIND_NOT_SET:
      shape->kinds_set = false;
      return;
    case v1::Value::kStringValue:
      if (!RefUtf8(v.string_value())) shape->utf8 = false;
      return;
    case v1::Value::kListValue:
      if (depth + 1 > shape->depth) shape->depth = depth + 1;
      for (const v1::Value& item : v.list_value().values()) RefMeasure(item, depth + 1, shape);
      return;
    case v1::Value::kMapValue:
      if (depth + 1 > shape->depth) shape->depth = depth + 1;
      for (const auto& [key, item] : v.map_value().fields()) {
        if (!RefUtf8(key)) shape->utf8 = false;
        RefMeasure(item, depth + 1, shape);
      }
      return;
    default:
      return;
  }
}

void CheckUtf8Everywhere(const v1::Value& v) {
  const auto check = [](const std::string& s) {
    if (IsValidUtf8(s) != RefUtf8(s)) {
      Finding(absl::StrCat("IsValidUtf8 says ", IsValidUtf8(s), " for ",
                           absl::CEscape(s), "; RFC 3629 says ", RefUtf8(s)));
    }
  };
  if (v.has_string_value()) check(v.string_value());
  if (v.has_list_value()) {
    for (const v1::Value& item : v.list_value().values()) CheckUtf8Everywhere(item);
  }
  if (v.has_map_value()) {
    for (const auto& [key, item] : v.map_value().fields()) {
      check(key);
      CheckUtf8Everywhere(item);
    }
  }
}

void CheckValidation(const v1::Value& value, FuzzInput& in) {
  ValueLimits limits;
  limits.max_depth = static_cast<uint32_t>(1 + in.Below(80));
  limits.max_elements = static_cast<uint32_t>(1 + in.Below(400));
  size_t counted = 0;
  const absl::Status got = ValidateIncomingValue(value, limits, "fuzz", &counted);
  RefShape shape;
  RefMeasure(value, 0, &shape);
  const bool want = shape.kinds_set && shape.utf8 && shape.depth <= limits.max_depth &&
                    shape.nodes <= limits.max_elements;
  if (got.ok() != want) {
    Finding(absl::StrCat("ValidateIncomingValue says ", got.ToString(), " but the reference says ",
                         want ? "valid" : "invalid", " (nodes ", shape.nodes, "/",
                         limits.max_elements, ", depth ", shape.depth, "/", limits.max_depth,
                         ", kinds set ", shape.kinds_set, ", utf8 ", shape.utf8, ")"));
  }
  if (got.ok() && counted != shape.nodes) {
    Finding(absl::StrCat("ValidateIncomingValue counted ", counted, " nodes, not ", shape.nodes));
  }
  if (!got.ok() && got.code() != absl::StatusCode::kInvalidArgument) {
    Finding(absl::StrCat("ValidateIncomingValue answered ", got.ToString()));
  }
  CheckUtf8Everywhere(value);
}

// ------------------------------------------------------------ tree recipe

v1::Value BuildValue(FuzzInput& in, int depth) {
  v1::Value v;
  switch (in.Below(12)) {
    case 0:
      v.set_null_value(v1::NULL_VALUE);
      break;
    case 1:
      v.set_bool_value(in.Bool());
      break;
    case 2: {
      uint64_t bits = 0;
      for (int i = 0; i < 8; ++i) bits = (bits << 8) | in.Byte();
      v.set_int_value(static_cast<int64_t>(bits));
      break;
    }
    case 3: {
      static const double kDoubles[] = {0.0,
                                        -0.0,
                                        1.5,
                                        std::numeric_limits<double>::quiet_NaN(),
                                        std::numeric_limits<double>::infinity(),
                                        -std::numeric_limits<double>::infinity(),
                                        std::numeric_limits<double>::max(),
                                        std::numeric_limits<double>::denorm_min(),
                                        2147483648.0,
                                        -9.3e18};
      v.set_double_value(kDoubles[in.Below(sizeof kDoubles / sizeof kDoubles[0])]);
      break;
    }
    case 4:
      v.set_string_value(in.Bytes(24));
      break;
    case 5:
      v.set_bytes_value(in.Bytes(24));
      break;
    case 6: {
      v1::ValueList* list = v.mutable_list_value();
      const size_t n = depth < 120 ? in.Below(6) : 0;
      for (size_t i = 0; i < n; ++i) *list->add_values() = BuildValue(in, depth + 1);
      break;
    }
    case 7: {
      auto* fields = v.mutable_map_value()->mutable_fields();
      const size_t n = depth < 120 ? in.Below(5) : 0;
      for (size_t i = 0; i < n; ++i) (*fields)[in.Bytes(8)] = BuildValue(in, depth + 1);
      break;
    }
    case 8: {
      v1::HandleRef* ref = v.mutable_handle();
      ref->set_id(in.Below(8) == 0 ? in.Bytes(40) : absl::StrCat("id", in.Below(8)));
      ref->set_is_class(in.Below(4) == 0);
      ref->set_type_name(in.Bool() ? "fuzz.Probe" : "");
      break;
    }
    case 9:
      break;  // no kind
    case 10: {
      // A single-element chain around one leaf, up to well past the limit.
      const size_t levels = in.Below(100);
      v1::Value* at = &v;
      for (size_t i = 0; i < levels; ++i) at = at->mutable_list_value()->add_values();
      *at = BuildValue(in, depth + 120);
      break;
    }
    default:
      v.set_int_value(static_cast<int64_t>(in.Below(300)) - 5);
      break;
  }
  return v;
}

// --------------------------------------------------------------- driving

const std::vector<absl::StatusCode> kAllowedCodes = {
    absl::StatusCode::kOk, absl::StatusCode::kInvalidArgument, absl::StatusCode::kNotFound};

void CollectHandles(const v1::Value& v, std::vector<std::string>* ids) {
  if (v.has_handle()) ids->push_back(v.handle().id());
  if (v.has_list_value()) {
    for (const v1::Value& item : v.list_value().values()) CollectHandles(item, ids);
  }
  if (v.has_map_value()) {
    for (const auto& [key, item] : v.map_value().fields()) CollectHandles(item, ids);
  }
}

void RunCall(Broker& broker, const RequestContext& ctx, const std::string& session,
             const std::string& root, v1::CallRequest request) {
  request.set_session(session);
  if (request.handle().empty() || request.handle().size() > 8) request.set_handle(root);
  v1::CallResponse response;
  const absl::Status status = broker.core->Call(ctx, request, &response);
  bool allowed = false;
  for (absl::StatusCode code : kAllowedCodes) allowed = allowed || status.code() == code;
  if (status.code() == absl::StatusCode::kInternal) {
    std::optional<v1::ErrorInfo> info = GetErrorInfo(status);
    allowed = info.has_value() && info->reason() == "BAD_VALUE";
  }
  if (!allowed) Finding(absl::StrCat("Call '", request.name(), "' answered ", status.ToString()));
  if (!status.ok() && status.message().empty()) Finding("an error without a message");
  if (!status.ok()) return;

  std::vector<std::string> ids;
  CollectHandles(response.result(), &ids);
  if (ids.empty()) return;
  v1::ListHandlesRequest list_request;
  list_request.set_session(session);
  v1::ListHandlesResponse listed;
  if (!broker.core->ListHandles(ctx, list_request, &listed).ok()) Finding("ListHandles failed");
  for (const std::string& id : ids) {
    bool live = false;
    for (const v1::HandleInfo& info : listed.handles()) live = live || info.ref().id() == id;
    if (!live) Finding(absl::StrCat("a result names handle '", id, "', which the session lacks"));
  }
}

}  // namespace
}  // namespace orb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace orb;
  using namespace orb::fuzz;
  Broker& broker = TheBroker();
  FuzzInput in(data, size);
  const uint8_t mode = in.Byte();
  const uint8_t method = in.Byte();

  g_next_id = 0;
  RequestContext ctx;  // anonymous, no deadline
  v1::OpenSessionResponse opened;
  if (!broker.core->OpenSession(ctx, v1::OpenSessionRequest(), &opened).ok()) {
    Finding("cannot open a session");
  }
  // A second handle to call methods with ("id2"), so that inputs can pass
  // a live handle that is not the receiver.
  {
    v1::CallRequest spawn;
    spawn.set_session(opened.session());
    spawn.set_handle(opened.root().id());
    spawn.set_name("spawn");
    spawn.add_args()->set_int_value(1);
    v1::CallResponse ignored;
    if (!broker.core->Call(ctx, spawn, &ignored).ok()) Finding("cannot spawn a probe");
  }

  v1::CallRequest request;
  if (mode % 2 == 0) {
    const std::string wire = in.Rest();
    google::protobuf::io::CodedInputStream stream(reinterpret_cast<const uint8_t*>(wire.data()),
                                                  static_cast<int>(wire.size()));
    stream.SetRecursionLimit(broker::kRequestParseRecursionLimit);
    if (request.ParseFromCodedStream(&stream) && stream.ConsumedEntireMessage()) {
      // Names the input gives itself reach the gate (odd names, the empty
      // name, '_private'); most inputs call one of the probe's methods.
      if (method < 0xF0) request.set_name(kMethods[method % kMethods.size()]);
      RunCall(broker, ctx, opened.session(), opened.root().id(), request);
    }
  } else {
    const size_t args = in.Below(5);
    for (size_t i = 0; i < args; ++i) *request.add_args() = BuildValue(in, 0);
    const size_t kwargs = in.Below(3);
    for (size_t i = 0; i < kwargs; ++i) {
      (*request.mutable_kwargs())[in.Bytes(12)] = BuildValue(in, 0);
    }
    for (const v1::Value& arg : request.args()) CheckValidation(arg, in);
    request.set_name(kMethods[method % kMethods.size()]);
    RunCall(broker, ctx, opened.session(), opened.root().id(), request);
    if (request.args_size() > 0) {
      v1::SetAttrRequest set;
      set.set_session(opened.session());
      set.set_handle(opened.root().id());
      set.set_name(in.Bool() ? "ratio" : "label");
      *set.mutable_value() = request.args(0);
      v1::SetAttrResponse ignored;
      const absl::Status s = broker.core->SetAttr(ctx, set, &ignored);
      if (!s.ok() && s.code() != absl::StatusCode::kInvalidArgument &&
          s.code() != absl::StatusCode::kNotFound) {
        Finding(absl::StrCat("SetAttr answered ", s.ToString()));
      }
    }
  }

  v1::CloseSessionRequest close;
  close.set_session(opened.session());
  v1::CloseSessionResponse closed;
  if (!broker.core->CloseSession(ctx, close, &closed).ok()) Finding("cannot close the session");
  if (broker.core->session_count() != 0 || broker.core->handle_count() != 0) {
    Finding(absl::StrCat("after closing: ", broker.core->session_count(), " sessions and ",
                         broker.core->handle_count(), " handles remain"));
  }
  return 0;
}
