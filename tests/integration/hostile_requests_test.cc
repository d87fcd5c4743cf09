// Hostile and malformed requests against a real server, one table row each.
//
// The server serves a `hostile.Lab` root whose `blog` is the demo blog, so
// that the rows reach every kind of parameter the binding API converts
// (doubles, 32-bit ints, handles of a given type) as well as the demo's
// ACLs and OLPs. Three callers take part:
//   - the attacker, bob (authenticated, in no group), who sends the rows;
//   - anonymous, for rows about what no credential may do;
//   - the bystander, alice, whose session, handles and entry the attacker
//     tries to reach.
// Each row names the status code it must get and a fragment of the message
// a user can act on. Around every row the test checks that the broker
// still reports SERVING, that the bystander still reads her own entry and
// holds exactly the handles she held, and that the row changed nothing:
// the attacker's handles, the session and handle counts, the blog's title
// and entries and the lab's fields are as they were (a row's setup may
// prepare state, e.g. a released handle; the snapshot is taken after it).
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "orb/broker/audit.h"
#include "orb/broker/binding.h"
#include "orb/demo/blog.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orb/policy/acl.h"
#include "orb/policy/authn.h"
#include "orb/policy/olp.h"
#include "orb/v1/admin.pb.h"
#include "tests/integration/caller.h"
#include "tests/testing/raw_stream.h"

namespace orb::testing {

using orb::broker::Object;
using orb::broker::TypeBuilder;
using orb::broker::TypeRegistry;
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// ------------------------------------------------------------ the server

class Lab final : public Object {
 public:
  std::shared_ptr<demo::Blog> blog() const { return blog_; }
  void set_blog(std::shared_ptr<demo::Blog> blog) { blog_ = std::move(blog); }
  double gain = 1.0;
  int32_t level = 0;

 private:
  std::shared_ptr<demo::Blog> blog_;
};

absl::Status RegisterLab(TypeRegistry& registry) {
  using policy::Lock;
  using policy::Op;
  using policy::View;
  policy::Olp::Builder olp;
  for (const char* name : {"blog", "gain", "level"}) {
    olp.Expose(View::kInstance, Op::kGetAttr, name, Lock::Permission("view"));
  }
  olp.Expose(View::kInstance, Op::kSetAttr, "gain", Lock::Permission("use"));
  for (const char* name : {"scale", "set_level", "same_owner"}) {
    olp.Expose(View::kInstance, Op::kCall, name, Lock::Permission("use"));
  }
  TypeBuilder<Lab> lab("hostile.Lab");
  lab.Property("blog", &Lab::blog)
      .Attribute("gain", &Lab::gain)
      .Attribute("level", &Lab::level)
      .Method("scale", [](Lab& l, double factor) { return l.gain * factor; }, {"factor"})
      .Method("set_level", [](Lab& l, int32_t level) { l.level = level; }, {"level"})
      .Method("same_owner",
              [](Lab&, std::shared_ptr<demo::Entry> a, std::shared_ptr<demo::Entry> b) {
                return a != nullptr && b != nullptr && a->owner() == b->owner();
              },
              {"a", "b"})
      .Acl({policy::AceSpec::Allow(std::string(policy::kEveryone), "view"),
            policy::AceSpec::Allow(std::string(policy::kAuthenticated), "use"),
            policy::AceSpec::DenyAll()})
      .Olp(olp.Build());
  return registry.Register(std::move(lab));
}

std::shared_ptr<Lab> MakeLab() {
  auto lab = std::make_shared<Lab>();
  auto blog = demo::MakeBlog("hostile blog");
  blog->SetLocation(lab, "blog");
  lab->set_blog(blog);
  return lab;
}

// --------------------------------------------------------------- values





const std::string kNotUtf8 = "ti\xff\xfetle";  // 0xFF never occurs in UTF-8

// ---------------------------------------------------------------- world

struct World {
  explicit World(BrokerServer& s)
      : server(s), attacker(s, kBobToken), anonymous(s, ""), bystander(s, kAliceToken) {}

  BrokerServer& server;
  Caller attacker;
  Caller anonymous;
  Caller bystander;

  // The attacker's handles.
  v1::HandleRef blog;          // the blog
  v1::HandleRef own_entry;     // an entry bob owns
  v1::HandleRef entry_class;   // demo.Entry's class handle
  v1::HandleRef alices_entry;  // alice's entry, as bob's session sees it
  // The bystander's.
  v1::HandleRef bystander_blog;
  v1::HandleRef bystander_entry;
  std::string bystander_entry_name;

  // Set by a row's setup for its request.
  v1::HandleRef prepared;

  std::vector<std::pair<std::string, std::string>> AttackerMetadata() const {
    return {{"authorization", std::string("Bearer ") + kBobToken}};
  }
};

v1::HandleRef MustGetHandle(Caller& c, const std::string& handle, const std::string& name) {
  v1::Value v;
  grpc::Status s = c.GetAttr(handle, name, &v);
  EXPECT_TRUE(s.ok()) << name << ": " << s.error_message();
  EXPECT_TRUE(v.has_handle()) << v.DebugString();
  return v.handle();
}

v1::HandleRef MustCallForHandle(Caller& c, const std::string& handle, const std::string& name,
                                std::vector<v1::Value> args) {
  v1::Value v;
  grpc::Status s = c.Call(handle, name, std::move(args), &v);
  EXPECT_TRUE(s.ok()) << name << ": " << s.error_message();
  EXPECT_TRUE(v.has_handle()) << v.DebugString();
  return v.handle();
}

// A typed request sent as raw bytes with chosen metadata.
template <typename Request>
grpc::Status SendRaw(World& w, const std::string& rpc, const Request& request,
                     std::vector<std::pair<std::string, std::string>> metadata) {
  std::string ignored;
  return RawCall(w.server.address(), "/orb.v1.ObjectBroker/" + rpc, request.SerializeAsString(),
                 &ignored, metadata);
}

// A BrokerAdmin request sent as raw bytes with chosen metadata.
template <typename Request>
grpc::Status SendAdmin(World& w, const std::string& rpc, const Request& request,
                       std::vector<std::pair<std::string, std::string>> metadata) {
  std::string ignored;
  return RawCall(w.server.address(), "/orb.v1.BrokerAdmin/" + rpc, request.SerializeAsString(),
                 &ignored, metadata);
}

// The attacker adds an entry titled `title` under request id `id`.
grpc::Status AddEntryWithId(World& w, const std::string& title, const std::string& id) {
  v1::CallRequest r;
  r.set_session(w.attacker.session());
  r.set_handle(w.blog.id());
  r.set_name("add_entry");
  *r.add_args() = Str(title);
  *r.add_args() = Str("body");
  r.set_request_id(id);
  return SendRaw(w, "Call", r, w.AttackerMetadata());
}

// The bystander (alice) is the demo policy's admin: an admin fed garbage.
std::vector<std::pair<std::string, std::string>> AdminMetadata() {
  return {{"authorization", std::string("Bearer ") + kAliceToken}};
}

v1::AdminCloseSessionRequest CloseByRef(std::string ref) {
  v1::AdminCloseSessionRequest request;
  request.set_ref(std::move(ref));
  return request;
}

v1::GetAttrRequest GetTitleOfBlog(const World& w) {
  v1::GetAttrRequest request;
  request.set_session(w.attacker.session());
  request.set_handle(w.blog.id());
  request.set_name("title");
  return request;
}

grpc::Status CallWith(Caller& c, const std::string& handle, const std::string& name,
                      std::vector<v1::Value> args,
                      std::vector<std::pair<std::string, v1::Value>> kwargs) {
  v1::CallRequest request;
  request.set_session(c.session());
  request.set_handle(handle);
  request.set_name(name);
  for (auto& a : args) *request.add_args() = std::move(a);
  for (auto& [k, v] : kwargs) (*request.mutable_kwargs())[k] = std::move(v);
  v1::CallResponse response;
  return c.Invoke(&v1::ObjectBroker::Stub::Call, request, &response);
}

std::string DemoTicketKey() {
  std::string key;
  const std::string hex = DemoPolicy()->source().authentication().tickets().hmac_key_hex();
  EXPECT_TRUE(policy::DecodeLowerHex(hex, &key));
  return key;
}

// Sends `frames` (raw bytes) on a new Stream as the attacker and
// half-closes; returns the first answer as the status a unary call gives
// (INTERNAL when it is not for `id`), or the stream's status when none
// came.
grpc::Status FirstStreamAnswer(World& w, const std::vector<std::string>& frames, uint64_t id) {
  RawStream stream(w.server.PlaintextChannel(), w.AttackerMetadata());
  for (const std::string& frame : frames) {
    if (!stream.Write(frame)) break;
  }
  stream.WritesDone();
  v1::StreamResponse answer;
  const bool answered = stream.Read(&answer);
  const grpc::Status ended = stream.Finish();
  if (!answered) return ended;
  if (answer.id() != id) {
    return grpc::Status(grpc::StatusCode::INTERNAL, absl::StrCat("answer for id ", answer.id()));
  }
  if (!answer.has_error()) return grpc::Status::OK;
  return StatusOf(answer.error());
}

// A Watch request, as raw bytes with chosen metadata: the call's status
// when it ends before its first event, OK when an event came (the row then
// fails on its code).
grpc::Status SendWatch(World& w, const std::string& request_bytes,
                       const std::vector<std::pair<std::string, std::string>>& metadata) {
  RawStream call(w.server.PlaintextChannel(), metadata, absl::Seconds(30),
                 "/orb.v1.ObjectBroker/Watch");
  if (call.Write(request_bytes)) call.WritesDone();
  v1::WatchEvent event;
  bool timed_out = false;
  if (call.Read(&event, absl::Seconds(10), &timed_out) || timed_out) {
    call.Cancel();
    call.Finish();
    return grpc::Status::OK;
  }
  return call.Finish();
}

v1::WatchRequest WatchOf(const std::string& session, const v1::HandleRef& handle,
                         std::vector<std::string> names) {
  v1::WatchRequest r;
  r.set_session(session);
  r.set_handle(handle.id());
  for (std::string& n : names) r.add_names(std::move(n));
  return r;
}

// A row's setup: w.prepared is the attacker's own entry restricted to
// reading its title.
void RestrictOwnEntryToTitle(World& w) {
  v1::RestrictRequest r;
  r.set_session(w.attacker.session());
  r.set_handle(w.own_entry.id());
  r.add_getattr("title");
  v1::RestrictResponse response;
  ASSERT_TRUE(w.attacker.Invoke(&v1::ObjectBroker::Stub::Restrict, r, &response).ok());
  w.prepared = response.handle();
}

// A frame's id field (5), in wire form.
const std::string kFrameId5("\x08\x05", 2);

// ------------------------------------------------------------------ rows

struct Row {
  std::string name;
  grpc::StatusCode code;
  std::string fragment;  // the message must contain it
  std::function<grpc::Status(World&)> send;
  std::function<void(World&)> setup;  // optional; runs before the snapshot
  std::string never;                  // when set, the message must not contain it
};

std::vector<Row> Rows() {
  using C = grpc::StatusCode;
  std::vector<Row> rows;
  const auto add = [&rows](std::string name, C code, std::string fragment,
                           std::function<grpc::Status(World&)> send,
                           std::function<void(World&)> setup = nullptr, std::string never = "") {
    rows.push_back(Row{std::move(name), code, std::move(fragment), std::move(send),
                       std::move(setup), std::move(never)});
  };

  // --- sessions: one wording for every session the caller cannot use.
  add("unknown_session", C::NOT_FOUND, "session not found", [](World& w) {
    v1::GetAttrRequest r = GetTitleOfBlog(w);
    r.set_session("5f0c2f5d9a4b6e7c8d1a2b3c4d5e6f70");
    return SendRaw(w, "GetAttr", r, w.AttackerMetadata());
  });
  add("empty_session", C::NOT_FOUND, "session not found", [](World& w) {
    v1::KeepAliveRequest r;
    return SendRaw(w, "KeepAlive", r, w.AttackerMetadata());
  });
  add("another_identitys_session", C::NOT_FOUND, "session not found", [](World& w) {
    v1::GetAttrRequest r;
    r.set_session(w.bystander.session());
    r.set_handle(w.bystander_entry.id());
    r.set_name("title");
    return SendRaw(w, "GetAttr", r, w.AttackerMetadata());
  });
  add("anonymous_uses_a_users_session", C::NOT_FOUND, "session not found", [](World& w) {
    v1::ListHandlesRequest r;
    r.set_session(w.bystander.session());
    return SendRaw(w, "ListHandles", r, {});
  });
  add("close_another_identitys_session", C::NOT_FOUND, "session not found", [](World& w) {
    v1::CloseSessionRequest r;
    r.set_session(w.bystander.session());
    return SendRaw(w, "CloseSession", r, w.AttackerMetadata());
  });
  add("keep_alive_another_identitys_session", C::NOT_FOUND, "session not found", [](World& w) {
    v1::KeepAliveRequest r;
    r.set_session(w.bystander.session());
    return SendRaw(w, "KeepAlive", r, w.AttackerMetadata());
  });

  // --- routing (docs/scale-out.md): a call meant for another broker, or a
  // session of an earlier run, never reaches a session here.
  add("route_names_another_broker", C::NOT_FOUND, "session not found", [](World& w) {
    v1::GetAttrRequest r = GetTitleOfBlog(w);
    auto metadata = w.AttackerMetadata();
    metadata.emplace_back("orb-route", "orbd-elsewhere");
    return SendRaw(w, "GetAttr", r, metadata);
  });
  add("close_with_route_of_another_broker", C::NOT_FOUND, "session not found", [](World& w) {
    v1::CloseSessionRequest r;
    r.set_session(w.attacker.session());
    auto metadata = w.AttackerMetadata();
    metadata.emplace_back("orb-route", "orbd-elsewhere");
    return SendRaw(w, "CloseSession", r, metadata);
  });
  add("two_route_headers", C::INVALID_ARGUMENT, "more than one orb-route", [](World& w) {
    auto metadata = w.AttackerMetadata();
    const std::string own(w.attacker.session().substr(0, w.attacker.session().find('~')));
    metadata.emplace_back("orb-route", own);
    metadata.emplace_back("orb-route", "orbd-elsewhere");
    return SendRaw(w, "GetAttr", GetTitleOfBlog(w), metadata);
  });
  add("session_of_an_earlier_run", C::NOT_FOUND, "restarted", [](World& w) {
    // The attacker's own session id with another incarnation.
    const std::string& id = w.attacker.session();
    const size_t tilde = id.find('~'), dot = id.find('.');
    v1::GetAttrRequest r = GetTitleOfBlog(w);
    r.set_session(id.substr(0, tilde + 1) + "00000000" + id.substr(dot));
    return SendRaw(w, "GetAttr", r, w.AttackerMetadata());
  });
  add("session_of_another_broker", C::NOT_FOUND, "session not found", [](World& w) {
    const std::string& id = w.attacker.session();
    v1::GetAttrRequest r = GetTitleOfBlog(w);
    r.set_session("orbd-elsewhere" + id.substr(id.find('~')));
    return SendRaw(w, "GetAttr", r, w.AttackerMetadata());
  });

  // --- request ids (docs/protocol.md): one id, one request; a bounded id.
  add("request_id_reused_for_another_request", C::FAILED_PRECONDITION,
      "was given to another request",
      [](World& w) { return AddEntryWithId(w, "other", "hostile-id"); },
      [](World& w) { ASSERT_TRUE(AddEntryWithId(w, "first", "hostile-id").ok()); });
  add("request_id_of_65_bytes", C::INVALID_ARGUMENT, "at most 64 bytes", [](World& w) {
    v1::SetAttrRequest r;
    r.set_session(w.attacker.session());
    r.set_handle(w.blog.id());
    r.set_name("title");
    *r.mutable_value() = Str("t");
    r.set_request_id(std::string(65, 'r'));
    return SendRaw(w, "SetAttr", r, w.AttackerMetadata());
  });
  add("request_id_on_anothers_session", C::NOT_FOUND, "session not found", [](World& w) {
    v1::DelAttrRequest r;
    r.set_session(w.bystander.session());
    r.set_handle(w.bystander_entry.id());
    r.set_name("body");
    r.set_request_id("stolen-session");
    return SendRaw(w, "DelAttr", r, w.AttackerMetadata());
  });

  // --- handles: valid only in the session that received them.
  add("foreign_handle", C::NOT_FOUND, "not found in this session", [](World& w) {
    return w.attacker.GetAttr(w.bystander_entry.id(), "title", nullptr);
  });
  add("released_handle", C::NOT_FOUND, "not found in this session",
      [](World& w) { return w.attacker.GetAttr(w.prepared.id(), "title", nullptr); },
      [](World& w) {
        w.prepared = MustCallForHandle(w.attacker, w.blog.id(), "add_entry",
                                       {Str("soon released"), Str("b")});
        ASSERT_TRUE(w.attacker.Release({w.prepared.id()}).ok());
      });
  add("invented_handle", C::NOT_FOUND, "not found in this session", [](World& w) {
    return w.attacker.GetAttr("00000000000000000000000000000001", "title", nullptr);
  });
  add("handle_id_with_control_characters", C::NOT_FOUND, "not found in this session",
      [](World& w) { return w.attacker.GetAttr(std::string("\x01\x1b[2J", 5), "title", nullptr); },
      nullptr, "\x1b");
  add("handle_id_of_100_kib", C::NOT_FOUND, "not found in this session", [](World& w) {
    return w.attacker.GetAttr(std::string(100 * 1024, 'h'), "title", nullptr);
  });
  add("release_foreign_handle", C::NOT_FOUND, "not found in this session",
      [](World& w) { return w.attacker.Release({w.bystander_entry.id()}); });
  add("release_one_reference_twice", C::NOT_FOUND,
      "is held 1 time in this session, but the request releases it 2 times; nothing was "
      "released",
      [](World& w) { return w.attacker.Release({w.own_entry.id(), w.own_entry.id()}); });
  add("release_already_released", C::NOT_FOUND, "not found in this session",
      [](World& w) { return w.attacker.Release({w.prepared.id()}); },
      [](World& w) {
        w.prepared = MustCallForHandle(w.attacker, w.blog.id(), "add_entry",
                                       {Str("released twice"), Str("b")});
        ASSERT_TRUE(w.attacker.Release({w.prepared.id()}).ok());
      });
  add("describe_foreign_handle", C::NOT_FOUND, "not found in this session", [](World& w) {
    v1::DescribeRequest r;
    r.set_session(w.attacker.session());
    r.set_handle(w.bystander_blog.id());
    return SendRaw(w, "Describe", r, w.AttackerMetadata());
  });
  add("restrict_foreign_handle", C::NOT_FOUND, "not found in this session", [](World& w) {
    v1::RestrictRequest r;
    r.set_session(w.attacker.session());
    r.set_handle(w.bystander_entry.id());
    r.add_getattr("title");
    return SendRaw(w, "Restrict", r, w.AttackerMetadata());
  });

  // --- names: hidden and absent read alike; nothing outside the OLP.
  add("empty_name", C::NOT_FOUND, "'demo.Blog' object has no attribute ''",
      [](World& w) { return w.attacker.GetAttr(w.blog.id(), "", nullptr); });
  add("name_not_utf8", C::INVALID_ARGUMENT, "not UTF-8", [](World& w) {
    std::string request = LengthDelimited(1, w.attacker.session()) +
                          LengthDelimited(2, w.blog.id()) + LengthDelimited(3, kNotUtf8);
    std::string ignored;
    return RawCall(w.server.address(), "/orb.v1.ObjectBroker/GetAttr", request, &ignored,
                   w.AttackerMetadata());
  });
  add("name_too_long", C::INVALID_ARGUMENT, "at most 256 bytes",
      [](World& w) { return w.attacker.GetAttr(w.blog.id(), std::string(300, 't'), nullptr); });
  add("name_of_100_kib_with_a_bad_value", C::INVALID_ARGUMENT, "at most 256 bytes",
      [](World& w) {
        return w.attacker.SetAttr(w.own_entry.id(), std::string(100 * 1024, 'n'), v1::Value());
      });
  add("method_error_quoting_100_kib", C::NOT_FOUND, "message cut at", [](World& w) {
    return w.attacker.Call(w.blog.id(), "entry", {Str(std::string(100 * 1024, 'e'))},
                           nullptr);
  });
  add("private_bound_name", C::NOT_FOUND, "'demo.Blog' object has no attribute '_secret'",
      [](World& w) { return w.attacker.GetAttr(w.blog.id(), "_secret", nullptr); });
  add("private_name_set", C::NOT_FOUND, "has no attribute '_secret'", [](World& w) {
    return w.attacker.SetAttr(w.blog.id(), "_secret", Str("x"));
  });
  add("dunder_class", C::NOT_FOUND, "'hostile.Lab' object has no attribute '__class__'",
      [](World& w) { return w.attacker.GetAttr(w.attacker.root(), "__class__", nullptr); });
  add("dunder_dict", C::NOT_FOUND, "'demo.Entry' object has no attribute '__dict__'",
      [](World& w) { return w.attacker.GetAttr(w.own_entry.id(), "__dict__", nullptr); });
  add("dunder_getattribute_call", C::NOT_FOUND, "has no attribute '__getattribute__'",
      [](World& w) {
        return w.attacker.Call(w.blog.id(), "__getattribute__", {Str("_secret")}, nullptr);
      });
  add("dotted_traversal", C::NOT_FOUND, "has no attribute 'blog._secret'",
      [](World& w) { return w.attacker.GetAttr(w.attacker.root(), "blog._secret", nullptr); });
  add("instance_member_on_class_handle", C::NOT_FOUND,
      "type object 'demo.Entry' has no attribute 'title'",
      [](World& w) { return w.attacker.GetAttr(w.entry_class.id(), "title", nullptr); });

  // --- member kinds: a member the OLP exposes for another operation only
  // does not exist for this one (the same answer as a missing name).
  add("call_on_non_callable", C::NOT_FOUND, "'demo.Blog' object has no attribute 'title'",
      [](World& w) { return w.attacker.Call(w.blog.id(), "title", {}, nullptr); });
  add("set_on_read_only", C::NOT_FOUND, "'demo.Blog' object has no attribute 'entry_count'",
      [](World& w) { return w.attacker.SetAttr(w.blog.id(), "entry_count", Int(0)); });
  add("getattr_on_method", C::NOT_FOUND, "'demo.Blog' object has no attribute 'add_entry'",
      [](World& w) { return w.attacker.GetAttr(w.blog.id(), "add_entry", nullptr); });
  add("delattr_without_deleter", C::NOT_FOUND, "'demo.Entry' object has no attribute 'title'",
      [](World& w) { return w.attacker.DelAttr(w.own_entry.id(), "title"); });

  // --- authorization: beyond the grant.
  add("anonymous_add_entry", C::PERMISSION_DENIED, "needs permission 'add'",
      [](World& w) {
        return w.anonymous.Call(w.prepared.id(), "add_entry", {Str("t"), Str("b")},
                                nullptr);
      },
      [](World& w) { w.prepared = MustGetHandle(w.anonymous, w.anonymous.root(), "blog"); });
  add("anonymous_call_needing_use", C::PERMISSION_DENIED, "needs permission 'use'",
      [](World& w) {
        return w.anonymous.Call(w.anonymous.root(), "scale", {Dbl(2)}, nullptr);
      });
  add("edit_another_users_entry", C::PERMISSION_DENIED, "needs permission 'edit'",
      [](World& w) { return w.attacker.SetAttr(w.alices_entry.id(), "title", Str("x")); });
  add("delete_another_users_entry", C::PERMISSION_DENIED, "needs permission 'delete'",
      [](World& w) { return w.attacker.Call(w.alices_entry.id(), "delete", {}, nullptr); });
  add("set_blog_title_without_edit", C::PERMISSION_DENIED, "needs permission 'edit'",
      [](World& w) { return w.attacker.SetAttr(w.blog.id(), "title", Str("pwned")); });

  // --- values: limits, kinds, encodings.
  add("value_nested_200_deep", C::INVALID_ARGUMENT, "max_value_depth (64)",
      [](World& w) { return w.attacker.Call(w.attacker.root(), "scale", {Nested(200)}, nullptr); });
  add("value_nested_65_deep", C::INVALID_ARGUMENT, "max_value_depth (64)", [](World& w) {
    return w.attacker.SetAttr(w.attacker.root(), "gain", Nested(65));
  });
  add("payload_10_mb", C::RESOURCE_EXHAUSTED, "larger than max", [](World& w) {
    return w.attacker.SetAttr(w.own_entry.id(), "body", Str(std::string(10 << 20, 'x')));
  });
  add("list_of_1000000_elements", C::RESOURCE_EXHAUSTED, "larger than max", [](World& w) {
    // 5 bytes per element on the wire: past the 4 MiB receive limit.
    v1::Value big = ListOf(1000000, Int(1000));
    EXPECT_GT(big.ByteSizeLong(), 4u << 20);
    return w.attacker.SetAttr(w.own_entry.id(), "body", big);
  });
  add("list_of_100001_elements", C::INVALID_ARGUMENT, "max_value_elements (100000)",
      [](World& w) {
        v1::Value big = ListOf(100001, Int(1));
        EXPECT_LT(big.ByteSizeLong(), 4u << 20);
        return w.attacker.SetAttr(w.own_entry.id(), "body", big);
      });
  add("unset_value_kind", C::INVALID_ARGUMENT, "a value has no kind set",
      [](World& w) { return w.attacker.SetAttr(w.own_entry.id(), "title", v1::Value()); });
  add("unset_kind_inside_a_list", C::INVALID_ARGUMENT, "a value has no kind set", [](World& w) {
    return w.attacker.Call(w.blog.id(), "add_entry", {Str("t"), ListOf(3, v1::Value())},
                           nullptr);
  });
  add("string_value_not_utf8", C::INVALID_ARGUMENT, "not UTF-8", [](World& w) {
    std::string value = LengthDelimited(5, kNotUtf8);  // Value.string_value
    std::string request = LengthDelimited(1, w.attacker.session()) +
                          LengthDelimited(2, w.own_entry.id()) + LengthDelimited(3, "title") +
                          LengthDelimited(4, value);
    std::string ignored;
    return RawCall(w.server.address(), "/orb.v1.ObjectBroker/SetAttr", request, &ignored,
                   w.AttackerMetadata());
  });
  add("nan_argument", C::INVALID_ARGUMENT, "NaN and infinities are not accepted", [](World& w) {
    return w.attacker.Call(w.attacker.root(), "scale",
                           {Dbl(std::numeric_limits<double>::quiet_NaN())}, nullptr);
  });
  add("infinite_attribute_value", C::INVALID_ARGUMENT, "NaN and infinities are not accepted",
      [](World& w) {
        return w.attacker.SetAttr(w.attacker.root(), "gain",
                                  Dbl(-std::numeric_limits<double>::infinity()));
      });
  add("int_out_of_range", C::INVALID_ARGUMENT, "is out of range", [](World& w) {
    return w.attacker.Call(w.attacker.root(), "set_level", {Int(int64_t{1} << 40)}, nullptr);
  });
  add("wrong_type", C::INVALID_ARGUMENT, "argument 'title': expected string, got int",
      [](World& w) {
        return w.attacker.Call(w.blog.id(), "add_entry", {Int(1), Str("b")}, nullptr);
      });
  add("wrong_type_for_attribute", C::INVALID_ARGUMENT, "expected double, got string",
      [](World& w) { return w.attacker.SetAttr(w.attacker.root(), "gain", Str("2")); });
  add("too_few_arguments", C::INVALID_ARGUMENT, "missing required argument 'body'",
      [](World& w) { return w.attacker.Call(w.blog.id(), "add_entry", {Str("t")}, nullptr); });
  add("too_many_arguments", C::INVALID_ARGUMENT, "takes 2 arguments but 3 were given",
      [](World& w) {
        return w.attacker.Call(w.blog.id(), "add_entry",
                               {Str("t"), Str("b"), Str("c")}, nullptr);
      });
  add("kwarg_duplicates_positional", C::INVALID_ARGUMENT,
      "got multiple values for argument 'title'", [](World& w) {
        return CallWith(w.attacker, w.blog.id(), "add_entry", {Str("t"), Str("b")},
                        {{"title", Str("again")}});
      });
  add("unknown_kwarg", C::INVALID_ARGUMENT, "got an unexpected keyword argument 'titel'",
      [](World& w) {
        return CallWith(w.attacker, w.blog.id(), "add_entry", {},
                        {{"titel", Str("t")}, {"body", Str("b")}});
      });
  add("method_refuses_its_argument", C::INVALID_ARGUMENT, "a title is at most 200 bytes",
      [](World& w) {
        return w.attacker.SetAttr(w.own_entry.id(), "title", Str(std::string(201, 't')));
      });

  // --- handles passed as arguments: the caller's own, of the right kind.
  add("handle_argument_from_another_session", C::NOT_FOUND, "not found in this session",
      [](World& w) {
        return w.attacker.Call(w.attacker.root(), "same_owner",
                               {Ref(w.bystander_entry), Ref(w.own_entry)}, nullptr);
      });
  add("class_handle_as_argument", C::INVALID_ARGUMENT, "got a class handle", [](World& w) {
    return w.attacker.Call(w.attacker.root(), "same_owner",
                           {Ref(w.entry_class), Ref(w.own_entry)}, nullptr);
  });
  add("restricted_handle_as_argument", C::INVALID_ARGUMENT,
      "a restricted handle cannot be passed as an argument",
      [](World& w) {
        return w.attacker.Call(w.attacker.root(), "same_owner",
                               {Ref(w.prepared), Ref(w.own_entry)}, nullptr);
      },
      RestrictOwnEntryToTitle);
  add("handle_of_the_wrong_type", C::INVALID_ARGUMENT,
      "expected a handle to 'demo.Entry', got 'demo.Blog'", [](World& w) {
        return w.attacker.Call(w.attacker.root(), "same_owner",
                               {Ref(w.blog), Ref(w.own_entry)}, nullptr);
      });

  // --- credentials and transport.
  add("bad_bearer_token", C::UNAUTHENTICATED, "unknown bearer token",
      [](World& w) {
        return SendRaw(w, "GetAttr", GetTitleOfBlog(w),
                       {{"authorization", "Bearer bob-demo-token-guess"}});
      },
      nullptr, "bob-demo-token-guess");
  add("empty_bearer_token", C::UNAUTHENTICATED, "empty bearer token", [](World& w) {
    return SendRaw(w, "GetAttr", GetTitleOfBlog(w), {{"authorization", "Bearer"}});
  });
  add("expired_ticket", C::UNAUTHENTICATED, "ticket expired at 2023-11-14T22:13:20Z", [](World& w) {
    // A fixed expiry: the row is sent twice (unary and on a stream), and
    // the answers, which quote it, must be the same.
    const std::string ticket =
        policy::MintTicket(DemoTicketKey(), "bob", absl::FromUnixSeconds(1700000000));
    return SendRaw(w, "GetAttr", GetTitleOfBlog(w), {{"authorization", "Ticket " + ticket}});
  });
  add("malformed_ticket", C::UNAUTHENTICATED, "malformed ticket", [](World& w) {
    return SendRaw(w, "GetAttr", GetTitleOfBlog(w), {{"authorization", "Ticket orb1.Ym9i"}});
  });
  add("forged_ticket", C::UNAUTHENTICATED, "ticket signature does not verify", [](World& w) {
    const std::string ticket = policy::MintTicket(std::string(32, 'k'), "alice",
                                                  absl::Now() + absl::Minutes(5));
    return SendRaw(w, "GetAttr", GetTitleOfBlog(w), {{"authorization", "Ticket " + ticket}});
  });
  add("unknown_auth_scheme", C::UNAUTHENTICATED, "unsupported authorization header",
      [](World& w) {
        return SendRaw(w, "GetAttr", GetTitleOfBlog(w),
                       {{"authorization", "Basic Ym9iOmh1bnRlcjI="}});
      },
      nullptr, "Ym9iOmh1bnRlcjI");
  // One credential per call: a second header never lets the first through.
  add("second_authorization_wrong_token", C::UNAUTHENTICATED, "2 authorization headers",
      [](World& w) {
        auto metadata = w.AttackerMetadata();
        metadata.emplace_back("authorization", "Bearer wrong-token");
        return SendRaw(w, "GetAttr", GetTitleOfBlog(w), metadata);
      });
  add("second_authorization_basic", C::UNAUTHENTICATED, "2 authorization headers",
      [](World& w) {
        auto metadata = w.AttackerMetadata();
        metadata.emplace_back("authorization", "Basic Ym9iOmh1bnRlcjI=");
        return SendRaw(w, "GetAttr", GetTitleOfBlog(w), metadata);
      },
      nullptr, "Ym9iOmh1bnRlcjI");
  add("bearer_then_ticket", C::UNAUTHENTICATED, "2 authorization headers", [](World& w) {
    auto metadata = w.AttackerMetadata();
    metadata.emplace_back("authorization", "Ticket orb1.Ym9i.1.00");
    return SendRaw(w, "GetAttr", GetTitleOfBlog(w), metadata);
  });
  add("oversized_metadata", C::RESOURCE_EXHAUSTED, "metadata size exceeds limit", [](World& w) {
    auto metadata = w.AttackerMetadata();
    metadata.emplace_back("x-padding", std::string(64 * 1024, 'p'));
    return SendRaw(w, "GetAttr", GetTitleOfBlog(w), metadata);
  });
  add("malformed_protobuf", C::INVALID_ARGUMENT, "is not a valid orb.v1.GetAttrRequest",
      [](World& w) {
        std::string ignored;
        return RawCall(w.server.address(), "/orb.v1.ObjectBroker/GetAttr",
                       std::string("\x0a\xff\xff\xff\x0f\x12", 6), &ignored, w.AttackerMetadata());
      });
  add("unknown_method", C::UNIMPLEMENTED, "unknown method '/orb.v1.ObjectBroker/Eval'", [](World& w) {
    std::string ignored;
    return RawCall(w.server.address(), "/orb.v1.ObjectBroker/Eval", "", &ignored,
                   w.AttackerMetadata());
  });
  // --- Batch: a malformed batch is refused whole and runs nothing (the
  // first operation of each would change the blog's title).
  const auto batch = [](World& w, std::vector<v1::BatchOperation> more) {
    v1::BatchRequest r;
    r.set_session(w.attacker.session());
    v1::BatchOperation* first = r.add_operations();
    first->mutable_set_attr()->set_handle(w.own_entry.id());
    first->mutable_set_attr()->set_name("title");
    *first->mutable_set_attr()->mutable_value() = Str("changed by a refused batch");
    for (v1::BatchOperation& op : more) *r.add_operations() = std::move(op);
    return r;
  };
  const auto title_of = [](uint32_t target) {
    v1::BatchOperation op;
    op.mutable_get_attr()->set_name("title");
    op.mutable_target()->set_result(target);
    return op;
  };
  add("batch_refers_to_itself", C::INVALID_ARGUMENT, "only an earlier operation",
      [batch, title_of](World& w) { return SendRaw(w, "Batch", batch(w, {title_of(1)}), w.AttackerMetadata()); });
  add("batch_refers_to_a_later_operation", C::INVALID_ARGUMENT, "only an earlier operation",
      [batch, title_of](World& w) {
        return SendRaw(w, "Batch", batch(w, {title_of(2), title_of(0)}), w.AttackerMetadata());
      });
  add("batch_reference_out_of_range", C::INVALID_ARGUMENT, "only an earlier operation",
      [batch, title_of](World& w) {
        return SendRaw(w, "Batch", batch(w, {title_of(4000000000)}), w.AttackerMetadata());
      });
  add("batch_uses_a_result_that_is_no_value", C::INVALID_ARGUMENT, "returns no value",
      [batch, title_of](World& w) { return SendRaw(w, "Batch", batch(w, {title_of(0)}), w.AttackerMetadata()); });
  add("batch_argument_refers_ahead", C::INVALID_ARGUMENT, "only an earlier operation",
      [batch](World& w) {
        v1::BatchOperation call;
        call.mutable_call()->set_handle(w.blog.id());
        call.mutable_call()->set_name("add_entry");
        call.mutable_call()->add_args()->set_result(7);
        call.mutable_call()->add_args()->set_result(1);
        return SendRaw(w, "Batch", batch(w, {call}), w.AttackerMetadata());
      });
  add("batch_over_the_limit", C::INVALID_ARGUMENT, "max_batch_operations", [batch](World& w) {
    std::vector<v1::BatchOperation> more(64);
    for (v1::BatchOperation& op : more) {
      op.mutable_get_attr()->set_handle(w.blog.id());
      op.mutable_get_attr()->set_name("title");
    }
    return SendRaw(w, "Batch", batch(w, std::move(more)), w.AttackerMetadata());
  });
  add("batch_with_an_empty_operation", C::INVALID_ARGUMENT, "is empty", [batch](World& w) {
    return SendRaw(w, "Batch", batch(w, {v1::BatchOperation()}), w.AttackerMetadata());
  });
  add("batch_operation_names_another_session", C::INVALID_ARGUMENT, "another session",
      [batch](World& w) {
        v1::BatchOperation op;
        op.mutable_get_attr()->set_session(w.bystander.session());
        op.mutable_get_attr()->set_handle(w.bystander_entry.id());
        op.mutable_get_attr()->set_name("title");
        return SendRaw(w, "Batch", batch(w, {op}), w.AttackerMetadata());
      });
  add("result_reference_outside_a_batch", C::INVALID_ARGUMENT, "only inside a Batch",
      [](World& w) {
        v1::Value ref;
        ref.set_result(0);
        return w.attacker.Call(w.blog.id(), "add_entry", {ref, Str("b")}, nullptr);
      });

  // --- GetAttrs: each name gated; the whole call fails only as documented.
  const auto snapshot = [](World& w, std::vector<std::string> names) {
    v1::GetAttrsRequest r;
    r.set_session(w.attacker.session());
    r.set_handle(w.blog.id());
    for (std::string& n : names) r.add_names(std::move(n));
    return r;
  };
  add("get_attrs_of_hidden_names_only", C::NOT_FOUND, "has no attribute '_secret'",
      [snapshot](World& w) {
        return SendRaw(w, "GetAttrs", snapshot(w, {"_secret", "nope"}), w.AttackerMetadata());
      });
  add("get_attrs_with_no_names", C::INVALID_ARGUMENT, "at least one", [snapshot](World& w) {
    return SendRaw(w, "GetAttrs", snapshot(w, {}), w.AttackerMetadata());
  });
  add("get_attrs_over_the_limit", C::INVALID_ARGUMENT, "max_batch_operations",
      [snapshot](World& w) {
        return SendRaw(w, "GetAttrs", snapshot(w, std::vector<std::string>(65, "title")),
                       w.AttackerMetadata());
      });
  add("get_attrs_on_another_identitys_session", C::NOT_FOUND, "session not found",
      [](World& w) {
        v1::GetAttrsRequest r;
        r.set_session(w.bystander.session());
        r.set_handle(w.bystander_entry.id());
        r.add_names("title");
        r.add_names("body");
        return SendRaw(w, "GetAttrs", r, w.AttackerMetadata());
      });
  add("get_attrs_name_not_utf8", C::INVALID_ARGUMENT, "orb.v1.GetAttrsRequest", [](World& w) {
    std::string raw = LengthDelimited(1, w.attacker.session()) + LengthDelimited(2, w.blog.id()) +
                      LengthDelimited(3, "title") + LengthDelimited(3, kNotUtf8);
    std::string ignored;
    return RawCall(w.server.address(), "/orb.v1.ObjectBroker/GetAttrs", raw, &ignored,
                   w.AttackerMetadata());
  });

  // --- Watch: refused before any event, with the unary call's errors.
  add("watch_of_hidden_names_only", C::NOT_FOUND, "has no attribute '_secret'", [](World& w) {
    return SendWatch(
        w, WatchOf(w.attacker.session(), w.blog, {"_secret", "nope"}).SerializeAsString(),
        w.AttackerMetadata());
  });
  add("watch_with_no_names", C::INVALID_ARGUMENT, "names no attribute", [](World& w) {
    return SendWatch(w, WatchOf(w.attacker.session(), w.blog, {}).SerializeAsString(),
                     w.AttackerMetadata());
  });
  add("watch_over_the_names_limit", C::INVALID_ARGUMENT, "max_names_per_watch", [](World& w) {
    return SendWatch(w,
                     WatchOf(w.attacker.session(), w.blog, std::vector<std::string>(65, "title"))
                         .SerializeAsString(),
                     w.AttackerMetadata());
  });
  add("watch_of_a_class_handle", C::INVALID_ARGUMENT, "a class handle cannot be watched",
      [](World& w) {
        return SendWatch(
            w, WatchOf(w.attacker.session(), w.entry_class, {"max_title_length"})
                   .SerializeAsString(),
            w.AttackerMetadata());
      });
  add("watch_on_another_identitys_session", C::NOT_FOUND, "session not found", [](World& w) {
    return SendWatch(
        w, WatchOf(w.bystander.session(), w.bystander_entry, {"title"}).SerializeAsString(),
        w.AttackerMetadata());
  });
  add("watch_without_credentials", C::NOT_FOUND, "session not found", [](World& w) {
    return SendWatch(w, WatchOf(w.attacker.session(), w.blog, {"title"}).SerializeAsString(),
                     {});
  });
  add("watch_with_a_bad_token", C::UNAUTHENTICATED, "unknown bearer token", [](World& w) {
    return SendWatch(w, WatchOf(w.attacker.session(), w.blog, {"title"}).SerializeAsString(),
                     {{"authorization", "Bearer bob-demo-token-guess"}});
  });
  add("watch_outside_a_restricted_handles_subset", C::NOT_FOUND,
      "has no attribute 'body'",
      [](World& w) {
        return SendWatch(w, WatchOf(w.attacker.session(), w.prepared, {"body"}).SerializeAsString(),
                         w.AttackerMetadata());
      },
      RestrictOwnEntryToTitle);
  add("watch_request_that_does_not_parse", C::INVALID_ARGUMENT, "orb.v1.WatchRequest",
      [](World& w) {
        return SendWatch(w, LengthDelimited(1, w.attacker.session()) + "\xff\xff\xff",
                         w.AttackerMetadata());
      });
  add("watch_name_not_utf8", C::INVALID_ARGUMENT, "orb.v1.WatchRequest", [](World& w) {
    return SendWatch(w,
                     LengthDelimited(1, w.attacker.session()) + LengthDelimited(2, w.blog.id()) +
                         LengthDelimited(3, kNotUtf8),
                     w.AttackerMetadata());
  });

  // --- Stream frames: each a clear error on that operation.
  add("stream_frame_that_does_not_parse", C::INVALID_ARGUMENT, "orb.v1.StreamRequest",
      [](World& w) {
        return FirstStreamAnswer(w, {kFrameId5 + std::string("\xff\xff\xff", 3)}, 5);
      });
  add("stream_operation_that_does_not_parse", C::INVALID_ARGUMENT, "orb.v1.GetAttrRequest",
      [](World& w) {
        return FirstStreamAnswer(
            w, {kFrameId5 + LengthDelimited(6, std::string("\x0a\xff\xff", 3))}, 5);
      });
  add("stream_frame_names_no_operation", C::INVALID_ARGUMENT, "names no operation",
      [](World& w) { return FirstStreamAnswer(w, {kFrameId5}, 5); });
  add("stream_cancel_of_an_unknown_id_gets_no_answer", C::INVALID_ARGUMENT,
      "names no operation", [](World& w) {
        v1::StreamRequest cancel;
        cancel.set_id(77);
        cancel.mutable_cancel();
        return FirstStreamAnswer(w, {cancel.SerializeAsString(), kFrameId5}, 5);
      });
  add("stream_operation_without_a_session", C::NOT_FOUND, "session not found", [](World& w) {
    v1::StreamRequest frame;
    frame.set_id(5);
    frame.mutable_get_attr()->set_handle(w.blog.id());
    frame.mutable_get_attr()->set_name("title");
    return FirstStreamAnswer(w, {frame.SerializeAsString()}, 5);
  });

  // --- session admin: a permission each; a session is named by reference.
  add("admin_list_sessions_without_permission", C::PERMISSION_DENIED, "sessions.view",
      [](World& w) { return SendAdmin(w, "ListSessions", v1::ListSessionsRequest(), w.AttackerMetadata()); });
  add("admin_close_anothers_session_without_permission", C::PERMISSION_DENIED, "sessions.close",
      [](World& w) {
        return SendAdmin(w, "CloseSession", CloseByRef(broker::RedactId(w.bystander.session())),
                         w.AttackerMetadata());
      });
  add("admin_close_anonymously", C::PERMISSION_DENIED, "sessions.close", [](World& w) {
    return SendAdmin(w, "CloseSession", CloseByRef(broker::RedactId(w.attacker.session())), {});
  });
  add("admin_close_by_whole_session_id", C::INVALID_ARGUMENT, "12 hex digits",
      [](World& w) {
        return SendAdmin(w, "CloseSession", CloseByRef(w.attacker.session()), AdminMetadata());
      });
  add("admin_close_unknown_reference", C::NOT_FOUND, "no live session has the reference",
      [](World& w) { return SendAdmin(w, "CloseSession", CloseByRef("0123456789ab"), AdminMetadata()); });
  add("admin_close_reference_of_100_kib", C::INVALID_ARGUMENT, "12 hex digits",
      [](World& w) {
        return SendAdmin(w, "CloseSession", CloseByRef(std::string(100 * 1024, 'a')),
                         AdminMetadata());
      },
      nullptr, "aaaaaaaaaaaaa");
  add("admin_malformed_protobuf", C::INVALID_ARGUMENT, "is not a valid orb.v1.ListSessionsRequest",
      [](World& w) {
        // The bytes a fuzzer found: a field number 0, which no message has.
        std::string ignored;
        return RawCall(w.server.address(), "/orb.v1.BrokerAdmin/ListSessions",
                       std::string("\x00\x02\x08\x09", 4), &ignored, AdminMetadata());
      });
  add("admin_list_sessions_userid_and_anonymous", C::INVALID_ARGUMENT, "either userid or anonymous",
      [](World& w) {
        v1::ListSessionsRequest r;
        r.set_userid("bob");
        r.set_anonymous(true);
        return SendAdmin(w, "ListSessions", r, AdminMetadata());
      });
  return rows;
}

const std::vector<Row>& AllRows() {
  static const std::vector<Row>* const rows = new std::vector<Row>(Rows());
  return *rows;
}

// ------------------------------------------------------------- snapshot

std::vector<std::string> HandlesOf(Caller& c) {
  v1::ListHandlesRequest request;
  request.set_session(c.session());
  v1::ListHandlesResponse response;
  grpc::Status s = c.Invoke(&v1::ObjectBroker::Stub::ListHandles, request, &response);
  EXPECT_TRUE(s.ok()) << s.error_message();
  std::vector<std::string> out;
  for (const v1::HandleInfo& h : response.handles()) {
    out.push_back(absl::StrCat(h.ref().id(), " ", h.ref().type_name(), " refs=", h.references(),
                               h.restricted() ? " restricted" : ""));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string ReadString(Caller& c, const std::string& handle, const std::string& name) {
  v1::Value v;
  grpc::Status s = c.GetAttr(handle, name, &v);
  EXPECT_TRUE(s.ok()) << name << ": " << s.error_message();
  return v.DebugString();
}

struct Snapshot {
  std::vector<std::string> attacker_handles, bystander_handles;
  size_t sessions = 0, handles = 0;
  std::string blog_title, entry_count, gain, level;

  static Snapshot Take(World& w) {
    Snapshot s;
    s.attacker_handles = HandlesOf(w.attacker);
    s.bystander_handles = HandlesOf(w.bystander);
    s.sessions = w.server.core().session_count();
    s.handles = w.server.core().handle_count();
    s.blog_title = ReadString(w.bystander, w.bystander_blog.id(), "title");
    s.entry_count = ReadString(w.bystander, w.bystander_blog.id(), "entry_count");
    s.gain = ReadString(w.bystander, w.bystander.root(), "gain");
    s.level = ReadString(w.bystander, w.bystander.root(), "level");
    return s;
  }
};

// ----------------------------------------------------------------- test

class HostileRequests : public ::testing::TestWithParam<size_t> {
 protected:
  static void SetUpTestSuite() {
    server_ = new BrokerServer(DemoPolicy(), RegisterLab, MakeLab());
    world_ = new World(*server_);
    World& w = *world_;
    ASSERT_TRUE(w.attacker.Open().ok());
    ASSERT_TRUE(w.anonymous.Open().ok());
    ASSERT_TRUE(w.bystander.Open().ok());
    w.bystander_blog = MustGetHandle(w.bystander, w.bystander.root(), "blog");
    w.bystander_entry = MustCallForHandle(w.bystander, w.bystander_blog.id(), "add_entry",
                                          {Str("bystander entry"), Str("mine")});
    w.blog = MustGetHandle(w.attacker, w.attacker.root(), "blog");
    w.own_entry = MustCallForHandle(w.attacker, w.blog.id(), "add_entry",
                                    {Str("attacker entry"), Str("b")});
    w.entry_class = MustGetHandle(w.attacker, w.blog.id(), "Entry");
    // Bob may look up alice's entry by name (everyone may view); he holds
    // it in his own session, without the right to edit or delete it.
    w.alices_entry = MustCallForHandle(w.attacker, w.blog.id(), "entry", {Str("entry-1")});
    v1::Value owner;
    ASSERT_TRUE(w.attacker.GetAttr(w.alices_entry.id(), "owner", &owner).ok());
    ASSERT_EQ(owner.string_value(), "alice");
  }
  static void TearDownTestSuite() {
    delete world_;
    delete server_;
  }

  static BrokerServer* server_;
  static World* world_;
};

BrokerServer* HostileRequests::server_ = nullptr;
World* HostileRequests::world_ = nullptr;

// Sends the row over `transport`, checks its answer and that it changed
// nothing; returns the answer.
grpc::Status SendAndCheck(const Row& row, World& w, Transport transport) {
  const Snapshot before = Snapshot::Take(w);

  SetTransport(transport);
  const grpc::Status status = row.send(w);
  SetTransport(Transport::kUnary);
  EXPECT_EQ(status.error_code(), row.code) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr(row.fragment));
  if (!row.never.empty()) {
    EXPECT_THAT(status.error_message(), Not(HasSubstr(row.never)));
  }

  EXPECT_TRUE(IsServing(w.server.address()));
  // The bystander reads her own entry, through the handle she had.
  v1::Value title;
  grpc::Status read = w.bystander.GetAttr(w.bystander_entry.id(), "title", &title);
  EXPECT_TRUE(read.ok()) << read.error_message();
  EXPECT_EQ(title.string_value(), "bystander entry");
  const Snapshot after = Snapshot::Take(w);
  EXPECT_EQ(after.bystander_handles, before.bystander_handles);
  EXPECT_EQ(after.attacker_handles, before.attacker_handles);
  EXPECT_EQ(after.sessions, before.sessions);
  EXPECT_EQ(after.handles, before.handles);
  EXPECT_EQ(after.blog_title, before.blog_title);
  EXPECT_EQ(after.entry_count, before.entry_count);
  EXPECT_EQ(after.gain, before.gain);
  EXPECT_EQ(after.level, before.level);
  return status;
}

TEST_P(HostileRequests, AnswersClearlyAndChangesNothing) {
  const Row& row = AllRows()[GetParam()];
  World& w = *world_;
  if (row.setup) row.setup(w);
  ASSERT_FALSE(HasFailure()) << "the row's setup failed";
  SendAndCheck(row, w, Transport::kUnary);
}

// gRPC's own refusal of an oversized message names its size, and a frame
// is a few bytes longer than the request it carries (its id and the
// operation's tag): "Received message larger than max (N vs. LIMIT)".
std::string WithoutReceivedSize(const std::string& message) {
  return std::regex_replace(message, std::regex(R"(\(\d+ vs\. )"), "(N vs. ");
}

// The same request as one frame of a Stream: the same code, message and
// ErrorInfo as the unary call, and again nothing changed.
TEST_P(HostileRequests, OnAStreamAnswersExactlyAsUnary) {
  const Row& row = AllRows()[GetParam()];
  World& w = *world_;
  if (row.setup) row.setup(w);
  ASSERT_FALSE(HasFailure()) << "the row's setup failed";
  const grpc::Status unary = SendAndCheck(row, w, Transport::kUnary);
  const grpc::Status streamed = SendAndCheck(row, w, Transport::kStream);
  EXPECT_EQ(streamed.error_code(), unary.error_code());
  EXPECT_EQ(WithoutReceivedSize(streamed.error_message()),
            WithoutReceivedSize(unary.error_message()));
  EXPECT_EQ(ErrorInfoOf(streamed).SerializeAsString(), ErrorInfoOf(unary).SerializeAsString())
      << "stream: " << ErrorInfoOf(streamed).DebugString()
      << "unary: " << ErrorInfoOf(unary).DebugString();
}

INSTANTIATE_TEST_SUITE_P(Table, HostileRequests, ::testing::Range<size_t>(0, AllRows().size()),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           return AllRows()[info.param].name;
                         });

TEST(HostileRequestTable, HasAtLeastThirtyDistinctRows) {
  std::set<std::string> names;
  for (const Row& row : AllRows()) names.insert(row.name);
  EXPECT_EQ(names.size(), AllRows().size());
  EXPECT_GE(AllRows().size(), 30u);
}

}  // namespace
}  // namespace orb::testing
