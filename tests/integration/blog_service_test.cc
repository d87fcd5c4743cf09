// The blog demo over real gRPC on loopback: every operation, every error
// code, and the demo's whole permission matrix.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/caller.h"
#include "tests/testing/joining_thread.h"
#include "tests/testing/test_support.h"

namespace orb::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class BlogServiceTest : public ::testing::Test {
 protected:
  BlogServiceTest() : anonymous_(server_, ""), bob_(server_, kBobToken), alice_(server_, kAliceToken) {
    EXPECT_TRUE(anonymous_.Open().ok());
    EXPECT_TRUE(bob_.Open().ok());
    EXPECT_TRUE(alice_.Open().ok());
  }

  // Adds an entry as `who` and returns its handle id in who's session.
  std::string AddEntry(Caller& who, const std::string& title) {
    v1::Value result;
    grpc::Status status = who.Call(who.root(), "add_entry",
                                   {Str(title), Str("body of " + title)}, &result);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(result.has_handle());
    EXPECT_EQ(result.handle().type_name(), "demo.Entry");
    return result.handle().id();
  }

  // The same entry as seen from `who`'s session, looked up by name.
  std::string EntryIn(Caller& who, const std::string& owner_handle, Caller& owner) {
    v1::Value name;
    EXPECT_TRUE(owner.GetAttr(owner_handle, "title", &name).ok());
    v1::Value entries;
    grpc::Status status = who.Call(who.root(), "entries", {}, &entries);
    EXPECT_TRUE(status.ok()) << status.error_message();
    for (const auto& e : entries.list_value().values()) {
      v1::Value title;
      if (who.GetAttr(e.handle().id(), "title", &title).ok() &&
          title.string_value() == name.string_value()) {
        return e.handle().id();
      }
    }
    ADD_FAILURE() << "entry not found from the other session";
    return "";
  }

  BrokerServer server_;
  Caller anonymous_;
  Caller bob_;
  Caller alice_;
};

TEST_F(BlogServiceTest, OpenSessionReportsIdentityProtocolAndRoot) {
  v1::OpenSessionRequest request;
  v1::OpenSessionResponse response;
  ASSERT_TRUE(bob_.Invoke(&v1::ObjectBroker::Stub::OpenSession, request, &response).ok());
  EXPECT_EQ(response.userid(), "bob");
  EXPECT_EQ(response.protocol(), "orb.v1");
  EXPECT_GE(response.protocol_revision(), 1u);
  EXPECT_EQ(response.root().type_name(), "demo.Blog");
  EXPECT_THAT(response.principals(), ::testing::Contains("system.Authenticated"));
  EXPECT_GT(response.lease_seconds(), 0u);
  // 128-bit ids, hex: at least 32 characters of entropy-bearing text.
  EXPECT_GE(response.session().size(), 32u);
  EXPECT_GE(response.root().id().size(), 32u);
}

TEST_F(BlogServiceTest, EveryoneMayReadTheBlogTitle) {
  for (Caller* who : {&anonymous_, &bob_, &alice_}) {
    v1::Value title;
    grpc::Status status = who->GetAttr(who->root(), "title", &title);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(title.has_string_value());
  }
}

TEST_F(BlogServiceTest, OnlyEditorsMaySetTheBlogTitle) {
  EXPECT_EQ(anonymous_.SetAttr(anonymous_.root(), "title", Str("x")).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(bob_.SetAttr(bob_.root(), "title", Str("x")).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(alice_.SetAttr(alice_.root(), "title", Str("Alice's blog")).ok());
  v1::Value title;
  ASSERT_TRUE(bob_.GetAttr(bob_.root(), "title", &title).ok());
  EXPECT_EQ(title.string_value(), "Alice's blog");
}

TEST_F(BlogServiceTest, AnonymousMayNotAddEntries) {
  grpc::Status status = anonymous_.Call(anonymous_.root(), "add_entry",
                                        {Str("t"), Str("b")}, nullptr);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ErrorInfoOf(status).gate(), "acl");
}

TEST_F(BlogServiceTest, AuthenticatedUsersAddEntriesTheyOwn) {
  std::string entry = AddEntry(bob_, "Bob's first");
  v1::Value owner;
  ASSERT_TRUE(bob_.GetAttr(entry, "owner", &owner).ok());
  EXPECT_EQ(owner.string_value(), "bob");
  v1::Value count;
  ASSERT_TRUE(anonymous_.GetAttr(anonymous_.root(), "entry_count", &count).ok());
  EXPECT_EQ(count.int_value(), 1);
}

TEST_F(BlogServiceTest, OwnerMayEditAndDeleteOwnEntry) {
  std::string entry = AddEntry(bob_, "mine");
  EXPECT_TRUE(bob_.SetAttr(entry, "title", Str("still mine")).ok());
  EXPECT_TRUE(bob_.SetAttr(entry, "body", Str("new body")).ok());
  EXPECT_TRUE(bob_.DelAttr(entry, "body").ok());
  EXPECT_TRUE(bob_.Call(entry, "delete", {}, nullptr).ok());
  v1::Value count;
  ASSERT_TRUE(bob_.GetAttr(bob_.root(), "entry_count", &count).ok());
  EXPECT_EQ(count.int_value(), 0);
}

TEST_F(BlogServiceTest, BobMayNotEditOrDeleteAlicesEntry) {
  std::string alices = AddEntry(alice_, "alice writes");
  std::string seen_by_bob = EntryIn(bob_, alices, alice_);
  v1::Value title;
  EXPECT_TRUE(bob_.GetAttr(seen_by_bob, "title", &title).ok());
  EXPECT_EQ(bob_.SetAttr(seen_by_bob, "title", Str("hijack")).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(bob_.DelAttr(seen_by_bob, "body").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(bob_.Call(seen_by_bob, "delete", {}, nullptr).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(BlogServiceTest, EditorMayEditAndDeleteAnyonesEntry) {
  std::string bobs = AddEntry(bob_, "bob writes");
  std::string seen_by_alice = EntryIn(alice_, bobs, bob_);
  EXPECT_TRUE(alice_.SetAttr(seen_by_alice, "title", Str("edited")).ok());
  EXPECT_TRUE(alice_.DelAttr(seen_by_alice, "body").ok());
  EXPECT_TRUE(alice_.Call(seen_by_alice, "delete", {}, nullptr).ok());
}

TEST_F(BlogServiceTest, AnonymousMayReadButNotWriteEntries) {
  std::string bobs = AddEntry(bob_, "public");
  std::string seen = EntryIn(anonymous_, bobs, bob_);
  for (const char* name : {"title", "body", "owner"}) {
    EXPECT_TRUE(anonymous_.GetAttr(seen, name, nullptr).ok()) << name;
  }
  EXPECT_EQ(anonymous_.SetAttr(seen, "title", Str("x")).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(anonymous_.DelAttr(seen, "body").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(anonymous_.Call(seen, "delete", {}, nullptr).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(BlogServiceTest, SecretAnswersExactlyLikeAMissingName) {
  for (Caller* who : {&anonymous_, &bob_, &alice_}) {
    grpc::Status secret = who->GetAttr(who->root(), "_secret", nullptr);
    grpc::Status missing = who->GetAttr(who->root(), "no_such_name", nullptr);
    EXPECT_EQ(secret.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
    // Same text once the name itself is taken out, same structured detail.
    std::string secret_text = secret.error_message();
    std::string missing_text = missing.error_message();
    secret_text.replace(secret_text.find("_secret"), 7, "NAME");
    missing_text.replace(missing_text.find("no_such_name"), 12, "NAME");
    EXPECT_EQ(secret_text, missing_text);
    EXPECT_EQ(ErrorInfoOf(secret).SerializeAsString(), ErrorInfoOf(missing).SerializeAsString());
    EXPECT_EQ(who->SetAttr(who->root(), "_secret", Str("x")).error_code(),
              grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(who->Call(who->root(), "_secret", {}, nullptr).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
}

TEST_F(BlogServiceTest, NameExposedOnlyForAnotherOperationDoesNotExistForThisOne) {
  // add_entry is exposed for call, not getattr; entry_count for getattr, not
  // delattr or call: each answers exactly like a name that does not exist.
  grpc::Status read_method = bob_.GetAttr(bob_.root(), "add_entry", nullptr);
  grpc::Status delete_property = bob_.DelAttr(bob_.root(), "entry_count");
  grpc::Status call_property = bob_.Call(bob_.root(), "entry_count", {}, nullptr);
  grpc::Status missing = bob_.GetAttr(bob_.root(), "no_such_name", nullptr);
  for (const grpc::Status* s : {&read_method, &delete_property, &call_property}) {
    EXPECT_EQ(s->error_code(), grpc::StatusCode::NOT_FOUND) << s->error_message();
    EXPECT_THAT(s->error_message(), HasSubstr("has no attribute"));
    EXPECT_EQ(ErrorInfoOf(*s).SerializeAsString(), ErrorInfoOf(missing).SerializeAsString());
  }
}

TEST_F(BlogServiceTest, ClassHandleExposesOnlyClassView) {
  v1::Value cls;
  ASSERT_TRUE(bob_.GetAttr(bob_.root(), "Entry", &cls).ok());
  ASSERT_TRUE(cls.has_handle());
  EXPECT_TRUE(cls.handle().is_class());
  EXPECT_EQ(cls.handle().type_name(), "demo.Entry");
  v1::Value max_length;
  ASSERT_TRUE(bob_.GetAttr(cls.handle().id(), "max_title_length", &max_length).ok());
  EXPECT_GT(max_length.int_value(), 0);
  EXPECT_EQ(bob_.Call(cls.handle().id(), "delete", {}, nullptr).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(bob_.GetAttr(cls.handle().id(), "title", nullptr).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(BlogServiceTest, HandleFromAnotherSessionIsNotFound) {
  std::string bobs = AddEntry(bob_, "bob's");
  grpc::Status status = alice_.GetAttr(bobs, "title", nullptr);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  // Bob's own second session cannot use it either.
  Caller bob_again(server_, kBobToken);
  ASSERT_TRUE(bob_again.Open().ok());
  EXPECT_EQ(bob_again.GetAttr(bobs, "title", nullptr).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(BlogServiceTest, ReleasedAndInventedHandlesAreNotFound) {
  std::string entry = AddEntry(bob_, "short-lived");
  ASSERT_TRUE(bob_.Release({entry}).ok());
  EXPECT_EQ(bob_.GetAttr(entry, "title", nullptr).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(bob_.GetAttr(std::string(32, '0'), "title", nullptr).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(bob_.GetAttr("", "title", nullptr).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(BlogServiceTest, SessionOfAnotherIdentityIsNotFound) {
  Caller alice_in_bobs_session(server_, kAliceToken);
  alice_in_bobs_session.set_session(bob_.session());
  grpc::Status status = alice_in_bobs_session.GetAttr(bob_.root(), "title", nullptr);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  Caller unknown(server_, kBobToken);
  unknown.set_session(std::string(32, 'a'));
  grpc::Status unknown_status = unknown.GetAttr(bob_.root(), "title", nullptr);
  EXPECT_EQ(unknown_status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), unknown_status.error_message());
}

TEST_F(BlogServiceTest, WrongTokenIsUnauthenticatedAndNeverEchoed) {
  Caller mallory(server_, "mallory-guess-token");
  grpc::Status status = mallory.Open();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), Not(HasSubstr("mallory-guess-token")));
}

TEST_F(BlogServiceTest, WrongArityAndTypeAreInvalidArgument) {
  grpc::Status arity = bob_.Call(bob_.root(), "add_entry", {Str("only title")}, nullptr);
  EXPECT_EQ(arity.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(arity.error_message(), HasSubstr("body"));
  grpc::Status type = bob_.Call(bob_.root(), "add_entry", {Int(1), Str("b")}, nullptr);
  EXPECT_EQ(type.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(type.error_message(), HasSubstr("title"));
}

TEST_F(BlogServiceTest, ValueNested200DeepIsInvalidArgumentWithClearMessage) {
  v1::Value deep = Str("bottom");
  for (int i = 0; i < 200; ++i) {
    v1::Value outer;
    *outer.mutable_list_value()->add_values() = std::move(deep);
    deep = std::move(outer);
  }
  grpc::Status status = alice_.SetAttr(alice_.root(), "title", deep);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("64"));
}

TEST_F(BlogServiceTest, KeepAliveAndListHandlesAndDescribe) {
  v1::KeepAliveRequest keep;
  keep.set_session(bob_.session());
  v1::KeepAliveResponse kept;
  ASSERT_TRUE(bob_.Invoke(&v1::ObjectBroker::Stub::KeepAlive, keep, &kept).ok());
  EXPECT_GT(kept.lease_seconds(), 0u);

  std::string entry = AddEntry(bob_, "listed");
  v1::ListHandlesRequest list;
  list.set_session(bob_.session());
  v1::ListHandlesResponse listed;
  ASSERT_TRUE(bob_.Invoke(&v1::ObjectBroker::Stub::ListHandles, list, &listed).ok());
  std::vector<std::string> ids;
  for (const auto& h : listed.handles()) ids.push_back(h.ref().id());
  EXPECT_THAT(ids, ::testing::UnorderedElementsAre(bob_.root(), entry));

  v1::DescribeRequest describe;
  describe.set_session(bob_.session());
  describe.set_handle(bob_.root());
  v1::DescribeResponse described;
  ASSERT_TRUE(bob_.Invoke(&v1::ObjectBroker::Stub::Describe, describe, &described).ok());
  EXPECT_EQ(described.type_name(), "demo.Blog");
  EXPECT_FALSE(described.is_class());
  bool saw_add = false, saw_set_title = false;
  for (const auto& m : described.members()) {
    EXPECT_NE(m.name(), "_secret");
    if (m.op() == "call" && m.name() == "add_entry") {
      saw_add = true;
      EXPECT_TRUE(m.allowed());  // bob is authenticated
    }
    if (m.op() == "setattr" && m.name() == "title") {
      saw_set_title = true;
      EXPECT_FALSE(m.allowed());  // only editors
    }
  }
  EXPECT_TRUE(saw_add);
  EXPECT_TRUE(saw_set_title);
}

TEST_F(BlogServiceTest, RestrictedHandleOnlyNarrows) {
  v1::RestrictRequest request;
  request.set_session(alice_.session());
  request.set_handle(alice_.root());
  request.add_getattr("title");
  request.add_getattr("_secret");  // not exposed before: still not after
  v1::RestrictResponse response;
  ASSERT_TRUE(alice_.Invoke(&v1::ObjectBroker::Stub::Restrict, request, &response).ok());
  const std::string narrowed = response.handle().id();
  EXPECT_NE(narrowed, alice_.root());
  EXPECT_TRUE(alice_.GetAttr(narrowed, "title", nullptr).ok());
  EXPECT_EQ(alice_.GetAttr(narrowed, "entry_count", nullptr).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(alice_.GetAttr(narrowed, "_secret", nullptr).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(alice_.SetAttr(narrowed, "title", Str("x")).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(BlogServiceTest, CloseSessionReleasesEverything) {
  AddEntry(bob_, "a");
  AddEntry(bob_, "b");
  v1::CloseSessionRequest request;
  request.set_session(bob_.session());
  v1::CloseSessionResponse response;
  ASSERT_TRUE(bob_.Invoke(&v1::ObjectBroker::Stub::CloseSession, request, &response).ok());
  EXPECT_EQ(response.released_handles(), 3u);
  EXPECT_EQ(bob_.GetAttr(bob_.root(), "title", nullptr).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(BlogServiceTest, HealthCheckIsServing) {
  std::string response;
  // HealthCheckRequest{service: ""} encodes to no bytes.
  grpc::Status status = RawCall(server_.address(), "/grpc.health.v1.Health/Check", "", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response, std::string("\x08\x01", 2));  // status: SERVING
  EXPECT_TRUE(IsServing(server_.address()));
}

TEST_F(BlogServiceTest, ConcurrentClientsDoNotDisturbEachOther) {
  constexpr int kThreads = 8;
  constexpr int kOps = 150;
  std::vector<JoiningThread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Caller me(server_, t % 2 == 0 ? kBobToken : kAliceToken);
      if (!me.Open().ok()) {
        ++failures;
        return;
      }
      for (int i = 0; i < kOps; ++i) {
        v1::Value entry;
        if (!me.Call(me.root(), "add_entry",
                     {Str(absl::StrCat("t", t, "-", i)), Str("b")}, &entry)
                 .ok()) {
          ++failures;
          continue;
        }
        if (!me.GetAttr(entry.handle().id(), "title", nullptr).ok()) ++failures;
        if (!me.SetAttr(entry.handle().id(), "body", Str("x")).ok()) ++failures;
        if (!me.Release({entry.handle().id()}).ok()) ++failures;
      }
    });
  }
  for (JoiningThread& th : threads) th.Join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(NarrowedBlog, OperatorPolicyReplacesCompiledOlp) {
  std::string text = ReadSourceFile("examples/blog/narrowed-blog.textproto");
  policy::LoadResult loaded = policy::CompilePolicyText(text, "narrowed-blog.textproto");
  ASSERT_TRUE(loaded.errors.empty()) << loaded.errors.front().ToString();
  BrokerServer server(loaded.policy);
  Caller alice(server, kAliceToken);
  ASSERT_TRUE(alice.Open().ok());
  EXPECT_TRUE(alice.GetAttr(alice.root(), "title", nullptr).ok());
  EXPECT_TRUE(alice.Call(alice.root(), "entries", {}, nullptr).ok());
  // Alice is an editor, but the operator took add_entry and setattr away.
  EXPECT_EQ(alice.Call(alice.root(), "add_entry", {Str("t"), Str("b")}, nullptr)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(alice.SetAttr(alice.root(), "title", Str("x")).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace orb::testing
