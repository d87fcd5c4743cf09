// Session admin end to end: orb::client::Admin against a real broker on an
// ephemeral loopback port. ListSessions shows every identity's live
// sessions by reference, never by id; CloseSession revokes one (its owner's
// next call is NOT_FOUND, its handles are released); both need their admin
// permission and are audited.
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orb/broker/audit.h"
#include "orb/client/admin.h"
#include "orb/client/client.h"
#include "base/sync.h"
#include "orb/demo/blog.h"
#include "tests/client/connect.h"
#include "tests/testing/broker_server.h"
#include "tests/testing/test_support.h"

namespace orb::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kAlice[] = "alice-demo-token";  // the demo's admin
constexpr char kBob[] = "bob-demo-token";      // no admin permission

class SessionAdminTest : public ::testing::Test {
 protected:
  SessionAdminTest()
      : server_(BrokerServer::BlogRegistry(), demo::MakeBlog(), DemoPolicy(), {},
                AuditingOptions()) {}

  broker::BrokerCore::Options AuditingOptions() {
    broker::BrokerCore::Options options;
    options.audit = [this](const broker::AuditRecord& r) {
      orb::MutexHold lock(&mu_);
      audit_.push_back(broker::AuditRecordToJson(r));
    };
    return options;
  }

  orb::client::Client Connect(const std::string& token, const std::string& name = "") {
    orb::client::ClientOptions options;
    options.target = server_.address();
    options.token = token;
    if (!name.empty()) options.client_name = name;
    return ConnectOrFail(options);
  }

  orb::client::Session Open(const orb::client::Client& client) { return OpenOrFail(client); }

  std::vector<v1::SessionInfo> List(const v1::ListSessionsRequest& request = {}) {
    absl::StatusOr<v1::ListSessionsResponse> list =
        orb::client::Admin(Connect(kAlice)).ListSessions(request);
    EXPECT_THAT(list, IsOk());
    if (!list.ok()) return {};
    return {list->sessions().begin(), list->sessions().end()};
  }

  std::string Audit() {
    orb::MutexHold lock(&mu_);
    std::string all;
    for (const std::string& line : audit_) absl::StrAppend(&all, line, "\n");
    return all;
  }

  absl::Mutex mu_;
  std::vector<std::string> audit_ ABSL_GUARDED_BY(mu_);
  BrokerServer server_;
};

TEST_F(SessionAdminTest, ListsEverySessionByReferenceWithoutItsId) {
  orb::client::Client bob = Connect(kBob, "bob's tool");
  orb::client::Session bobs = Open(bob);
  absl::StatusOr<orb::client::Value> entry =
      bobs.root().Call("add_entry", {}, {{"title", "Hi"}, {"body", "There"}});
  ASSERT_THAT(entry, IsOk());
  orb::client::Session anonymous = Open(Connect(""));

  const std::vector<v1::SessionInfo> live = List();
  ASSERT_EQ(live.size(), 2u);
  const v1::SessionInfo& b = live[0];  // oldest first
  EXPECT_EQ(b.ref(), broker::RedactId(bobs.id()));
  EXPECT_EQ(b.userid(), "bob");
  EXPECT_EQ(b.authn(), "bearer");
  EXPECT_EQ(b.client_name(), "bob's tool");
  EXPECT_EQ(b.handle_count(), 2u);  // the root and the entry
  EXPECT_GT(b.lease_left_ms(), 0);
  EXPECT_LE(b.lease_left_ms(), int64_t{1000} * DemoPolicy()->limits().session_ttl_seconds);
  EXPECT_FALSE(b.opened_at().empty());
  EXPECT_GE(b.last_activity_at_unix_seconds(), b.opened_at_unix_seconds());
  const v1::SessionInfo& a = live[1];
  EXPECT_EQ(a.ref(), broker::RedactId(anonymous.id()));
  EXPECT_EQ(a.userid(), "");
  EXPECT_EQ(a.authn(), "anonymous");
  EXPECT_EQ(a.handle_count(), 1u);
  for (const v1::SessionInfo& s : live) {
    EXPECT_EQ(s.ref().size(), 12u);
    EXPECT_THAT(s.DebugString(), AllOf(Not(HasSubstr(bobs.id())), Not(HasSubstr(anonymous.id()))));
  }
}

TEST_F(SessionAdminTest, FiltersByUseridOrAnonymousAndCountsBeyondTheLimit) {
  orb::client::Client bob = Connect(kBob);
  orb::client::Session first = Open(bob);
  orb::client::Session second = Open(bob);
  orb::client::Session anonymous = Open(Connect(""));

  v1::ListSessionsRequest bobs;
  bobs.set_userid("bob");
  EXPECT_EQ(List(bobs).size(), 2u);
  v1::ListSessionsRequest nobody;
  nobody.set_anonymous(true);
  const std::vector<v1::SessionInfo> anonymous_only = List(nobody);
  ASSERT_EQ(anonymous_only.size(), 1u);
  EXPECT_EQ(anonymous_only[0].ref(), broker::RedactId(anonymous.id()));

  v1::ListSessionsRequest one;
  one.set_limit(1);
  absl::StatusOr<v1::ListSessionsResponse> cut = orb::client::Admin(Connect(kAlice)).ListSessions(one);
  ASSERT_THAT(cut, IsOk());
  EXPECT_EQ(cut->sessions_size(), 1);
  EXPECT_EQ(cut->total(), 3u);
  EXPECT_EQ(cut->sessions(0).ref(), broker::RedactId(first.id()));

  v1::ListSessionsRequest both;
  both.set_userid("bob");
  both.set_anonymous(true);
  EXPECT_THAT(orb::client::Admin(Connect(kAlice)).ListSessions(both),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("either userid or anonymous")));
}

TEST_F(SessionAdminTest, CloseRevokesTheOwnersSessionAndReleasesItsHandles) {
  orb::client::Client bob = Connect(kBob);
  orb::client::Session doomed = Open(bob);
  orb::client::Session kept = Open(bob);
  ASSERT_THAT(doomed.root().Call("add_entry", {}, {{"title", "Hi"}, {"body", "There"}}), IsOk());
  const size_t handles_before = server_.core().handle_count();

  absl::StatusOr<v1::AdminCloseSessionResponse> closed =
      orb::client::Admin(Connect(kAlice)).CloseSession(broker::RedactId(doomed.id()));
  ASSERT_THAT(closed, IsOk());
  EXPECT_EQ(closed->released_handles(), 2u);
  EXPECT_EQ(closed->session().userid(), "bob");
  EXPECT_EQ(closed->session().ref(), broker::RedactId(doomed.id()));
  EXPECT_EQ(server_.core().handle_count(), handles_before - 2);

  // The owner's next call is NOT_FOUND, as after its own CloseSession.
  EXPECT_THAT(doomed.root().Get("title"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("session not found")));
  // The owner's other session is untouched.
  EXPECT_THAT(kept.root().Get("title"), IsOk());
  // Closing it again: it is gone.
  EXPECT_THAT(orb::client::Admin(Connect(kAlice)).CloseSession(broker::RedactId(doomed.id())),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no live session has the reference")));

  const std::string audit = Audit();
  EXPECT_THAT(audit, HasSubstr(absl::StrCat(R"("user":"alice","authn":"bearer","session":")",
                                            broker::RedactId(doomed.id()),
                                            R"(","op":"close_session","decision":"allowed",)"
                                            R"("permission":"sessions.close")")));
  EXPECT_THAT(audit, HasSubstr(absl::StrCat(R"("event":"close_session","user":"bob",)"
                                            R"("authn":"bearer","session":")",
                                            broker::RedactId(doomed.id()))));
  EXPECT_THAT(audit, HasSubstr("closed by an admin (alice), handles released: 2"));
  EXPECT_THAT(audit, Not(HasSubstr(doomed.id())));
}

TEST_F(SessionAdminTest, AMalformedReferenceIsRefusedAndClosesNothing) {
  orb::client::Session bobs = Open(Connect(kBob));
  orb::client::Admin admin(Connect(kAlice));
  const std::string ref = broker::RedactId(bobs.id());
  for (const std::string& bad : {std::string(), std::string("xyz"), ref + "0", ref.substr(1),
                                 std::string("zzzzzzzzzzzz"), bobs.id()}) {
    EXPECT_THAT(admin.CloseSession(bad),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("12 hex digits")))
        << bad;
  }
  EXPECT_THAT(bobs.root().Get("title"), IsOk());
  // Upper case is the same reference.
  EXPECT_THAT(admin.CloseSession(absl::AsciiStrToUpper(ref)), IsOk());
  EXPECT_THAT(bobs.root().Get("title"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Audit(), Not(HasSubstr(bobs.id())));
}

TEST_F(SessionAdminTest, EachCallNeedsItsPermission) {
  orb::client::Session bobs = Open(Connect(kBob));
  const std::string ref = broker::RedactId(bobs.id());
  for (const std::string& token : {std::string(kBob), std::string()}) {
    orb::client::Admin admin(Connect(token));
    EXPECT_THAT(admin.ListSessions(),
                StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("sessions.view")));
    // Not even one's own session, and a refused close changes nothing.
    EXPECT_THAT(admin.CloseSession(ref),
                StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("sessions.close")));
  }
  EXPECT_THAT(bobs.root().Get("title"), IsOk());
  EXPECT_THAT(Audit(), HasSubstr(R"("user":"bob","authn":"bearer","op":"list_sessions","decision":"denied")"));
  // A refused caller's ref is recorded too: the record says what was tried.
  EXPECT_THAT(Audit(), HasSubstr(absl::StrCat(R"("session":")", ref,
                                              R"(","op":"close_session","decision":"denied")")));
}

TEST_F(SessionAdminTest, ABadCredentialIsUnauthenticated) {
  orb::client::Admin admin(Connect("not-a-demo-token"));
  EXPECT_THAT(admin.ListSessions(), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(admin.CloseSession("0123456789ab"), StatusIs(absl::StatusCode::kUnauthenticated));
}

}  // namespace
}  // namespace orb::testing
