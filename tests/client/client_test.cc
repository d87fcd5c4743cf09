// orb::client::Client against a real broker on an ephemeral loopback port: the blog
// demo's scenarios, release batching, async forms, threads, error detail.
#include <future>
#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orb/client/client.h"
#include "tests/client/connect.h"
#include "tests/integration/caller.h"
#include "tests/testing/joining_thread.h"
#include "tests/testing/test_support.h"

namespace orb::testing {

using orb::client::Value;
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

// Every test runs twice: operations over the Stream (the default) and as
// unary calls (ClientOptions::use_stream = false).
class ClientTest : public ::testing::TestWithParam<bool> {
 protected:
  orb::client::Client Connect(const std::string& token, absl::Duration release_delay = absl::ZeroDuration(),
                              absl::Duration timeout = absl::Seconds(30)) {
    orb::client::ClientOptions options;
    options.use_stream = GetParam();
    options.target = server_.address();
    options.token = token;
    options.release_delay = release_delay;
    options.timeout = timeout;
    return ConnectOrFail(options);
  }

  orb::client::Session Open(const orb::client::Client& client) { return OpenOrFail(client); }

  // The handles the broker holds for `session`, asked through a separate
  // raw stub so that asking sends none of the session's queued releases.
  int BrokerHandleCount(const orb::client::Session& session, const std::string& token) {
    Caller raw(server_, token);
    raw.set_session(session.id());
    v1::ListHandlesRequest request;
    request.set_session(session.id());
    v1::ListHandlesResponse response;
    grpc::Status status = raw.Invoke(&v1::ObjectBroker::Stub::ListHandles, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    int total = 0;
    for (const auto& h : response.handles()) total += h.references();
    return total;
  }

  BrokerServer server_;
};

TEST_P(ClientTest, AnonymousReadsTheBlog) {
  orb::client::Client client = Connect("");
  auto session = Open(client);
  EXPECT_EQ(session.userid(), "");
  EXPECT_THAT(session.principals(), ::testing::ElementsAre("system.Everyone"));
  orb::client::Ref blog = session.root();
  EXPECT_EQ(blog.type_name(), "demo.Blog");
  EXPECT_FALSE(blog.is_class());
  absl::StatusOr<std::string> title = blog.GetAs<std::string>("title");
  ASSERT_THAT(title, IsOk());
  EXPECT_EQ(*title, "orb demo blog");
  absl::Status denied = blog.Call("add_entry", {"t", "b"}).status();
  EXPECT_THAT(denied, StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_P(ClientTest, BobAddsAndEditsHisOwnEntry) {
  orb::client::Client client = Connect(kBobToken);
  auto session = Open(client);
  EXPECT_EQ(session.userid(), "bob");
  absl::StatusOr<orb::client::Value> added =
      session.root().Call("add_entry", {}, {{"title", "Hi"}, {"body", "There"}});
  ASSERT_THAT(added, IsOk());
  ASSERT_TRUE(added->is_ref());
  absl::StatusOr<orb::client::Ref> entry = added->AsRef();
  ASSERT_THAT(entry, IsOk());
  EXPECT_EQ(entry->type_name(), "demo.Entry");
  EXPECT_EQ(entry->GetAs<std::string>("owner").value_or(""), "bob");
  EXPECT_THAT(entry->Set("title", "Hello"), IsOk());
  EXPECT_THAT(entry->Del("body"), IsOk());
  absl::StatusOr<orb::client::Value> body = entry->Get("body");
  ASSERT_THAT(body, IsOk());
  EXPECT_TRUE(body->is_null());
  EXPECT_EQ(entry->GetAs<std::string>("title").value_or(""), "Hello");
  EXPECT_EQ(session.root().GetAs<int64_t>("entry_count").value_or(-1), 1);
}

TEST_P(ClientTest, BobIsDeniedOnAlicesEntryWithStructuredDetail) {
  orb::client::Client alice = Connect(kAliceToken);
  auto alice_session = Open(alice);
  ASSERT_THAT(alice_session.root().Call("add_entry", {"alice writes", "text"}), IsOk());

  orb::client::Client bob = Connect(kBobToken);
  auto bob_session = Open(bob);
  absl::StatusOr<std::vector<orb::client::Ref>> entries =
      bob_session.root().CallAs<std::vector<orb::client::Ref>>("entries");
  ASSERT_THAT(entries, IsOk());
  ASSERT_THAT(*entries, SizeIs(1));
  orb::client::Ref alices = (*entries)[0];
  EXPECT_EQ(alices.GetAs<std::string>("title").value_or(""), "alice writes");
  absl::Status denied = alices.Set("title", "hijack");
  EXPECT_THAT(denied, StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("edit")));
  std::optional<orb::client::ErrorInfo> info = orb::client::ErrorInfoOf(denied);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason, "ACL_DENIED");
  EXPECT_EQ(info->gate, "acl");
  EXPECT_THAT(alices.Call("delete").status(), StatusIs(absl::StatusCode::kPermissionDenied));
  // Alice, an editor, may edit it; so may she edit bob's.
  EXPECT_THAT(alice_session.root().Set("title", "Alice's blog"), IsOk());
}

TEST_P(ClientTest, SecretIsNotFoundLikeAMissingName) {
  orb::client::Client client = Connect(kAliceToken);
  auto session = Open(client);
  absl::Status secret = session.root().Get("_secret").status();
  absl::Status missing = session.root().Get("no_such_name").status();
  EXPECT_THAT(secret, StatusIs(absl::StatusCode::kNotFound, HasSubstr("_secret")));
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kNotFound));
  std::optional<orb::client::ErrorInfo> a = orb::client::ErrorInfoOf(secret);
  std::optional<orb::client::ErrorInfo> b = orb::client::ErrorInfoOf(missing);
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(a->reason, "NAME_NOT_FOUND");
  EXPECT_EQ(a->gate, "olp");
  EXPECT_EQ(a->reason, b->reason);
  EXPECT_EQ(a->gate, b->gate);
}

TEST_P(ClientTest, ClassHandleIsARefWithTheClassView) {
  orb::client::Client client = Connect(kBobToken);
  auto session = Open(client);
  absl::StatusOr<orb::client::Ref> cls = session.root().GetAs<orb::client::Ref>("Entry");
  ASSERT_THAT(cls, IsOk());
  EXPECT_TRUE(cls->is_class());
  EXPECT_EQ(cls->type_name(), "demo.Entry");
  EXPECT_GT(cls->GetAs<int64_t>("max_title_length").value_or(0), 0);
  EXPECT_THAT(cls->Get("title").status(), StatusIs(absl::StatusCode::kNotFound));
  absl::StatusOr<orb::client::Description> d = cls->Describe();
  ASSERT_THAT(d, IsOk());
  EXPECT_TRUE(d->is_class);
  EXPECT_EQ(d->view, "class");
}

TEST_P(ClientTest, MethodErrorsAndBadArgumentsCarryTheirDetail) {
  orb::client::Client client = Connect(kBobToken);
  auto session = Open(client);
  absl::Status arity = session.root().Call("add_entry", {"only a title"}).status();
  EXPECT_THAT(arity, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("body")));
  ASSERT_TRUE(orb::client::ErrorInfoOf(arity).has_value());
  EXPECT_EQ(orb::client::ErrorInfoOf(arity)->gate, "arguments");
  // The method's own error: the blog refuses an empty title.
  absl::Status method = session.root().Call("add_entry", {"", "body"}).status();
  EXPECT_THAT(method, StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_TRUE(orb::client::ErrorInfoOf(method).has_value());
  EXPECT_EQ(orb::client::ErrorInfoOf(method)->gate, "method");
  EXPECT_EQ(orb::client::ErrorInfoOf(method)->method_error_type, "INVALID_ARGUMENT");
  // A client-side error carries no detail.
  EXPECT_FALSE(orb::client::ErrorInfoOf(absl::InvalidArgumentError("x")).has_value());
  EXPECT_FALSE(orb::client::ErrorInfoOf(absl::OkStatus()).has_value());
}

TEST_P(ClientTest, WrongTokenIsUnauthenticated) {
  orb::client::Client client = Connect("mallory-guess");
  absl::StatusOr<orb::client::Session> session = client.OpenSession();
  EXPECT_THAT(session, StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_P(ClientTest, ConnectRefusesContradictoryOptions) {
  orb::client::ClientOptions both;
  both.token = "a";
  both.ticket = "b";
  EXPECT_THAT(orb::client::Client::Connect(both), StatusIs(absl::StatusCode::kInvalidArgument));
  orb::client::ClientOptions half;
  half.tls_cert_file = "/nonexistent.pem";
  EXPECT_THAT(orb::client::Client::Connect(half), StatusIs(absl::StatusCode::kInvalidArgument));
  orb::client::ClientOptions unreadable;
  unreadable.tls_ca_file = "/nonexistent/ca.pem";
  EXPECT_THAT(orb::client::Client::Connect(unreadable),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("/nonexistent/ca.pem")));
}

TEST_P(ClientTest, DestroyedRefsAreQueuedNotReleasedOneByOne) {
  orb::client::Client client = Connect(kBobToken);
  auto session = Open(client);
  {
    std::vector<orb::client::Value> entries;
    for (int i = 0; i < 5; ++i) {
      absl::StatusOr<orb::client::Value> e = session.root().Call("add_entry", {absl::StrCat("t", i), "b"});
      ASSERT_THAT(e, IsOk());
      entries.push_back(*std::move(e));
    }
    EXPECT_EQ(BrokerHandleCount(session, kBobToken), 6);
  }
  // Five Refs are gone, and no RPC went out for them.
  EXPECT_EQ(BrokerHandleCount(session, kBobToken), 6);
  ASSERT_THAT(session.Flush(), IsOk());
  EXPECT_EQ(BrokerHandleCount(session, kBobToken), 1);
  // Nothing left to send: Flush() is a no-op.
  EXPECT_THAT(session.Flush(), IsOk());
}

TEST_P(ClientTest, QueuedReleasesGoOutWithTheNextOperation) {
  orb::client::Client client = Connect(kBobToken);  // no background flushing
  auto session = Open(client);
  ASSERT_THAT(session.root().Call("add_entry", {"t", "b"}), IsOk());
  EXPECT_EQ(BrokerHandleCount(session, kBobToken), 2);
  // The next operation starts the Release alongside itself (no Flush()).
  ASSERT_THAT(session.root().Get("title"), IsOk());
  int count = -1;
  for (int i = 0; i < 250 && count != 1; ++i) {
    count = BrokerHandleCount(session, kBobToken);
    if (count != 1) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(count, 1);
}

TEST_P(ClientTest, BackgroundFlushReleasesAfterTheDelay) {
  orb::client::Client client = Connect(kBobToken, absl::Milliseconds(20));
  auto session = Open(client);
  ASSERT_THAT(session.root().Call("add_entry", {"t", "b"}), IsOk());
  int count = -1;
  for (int i = 0; i < 250 && count != 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    count = BrokerHandleCount(session, kBobToken);
  }
  EXPECT_EQ(count, 1);
}

TEST_P(ClientTest, CopiesShareOneReferenceAndTwoResultsAreTwo) {
  orb::client::Client client = Connect(kBobToken);
  auto session = Open(client);
  ASSERT_THAT(session.root().Call("add_entry", {"t", "b"}), IsOk());
  ASSERT_THAT(session.Flush(), IsOk());
  absl::StatusOr<orb::client::Ref> first = session.root().CallAs<orb::client::Ref>("entry", {"entry-1"});
  absl::StatusOr<orb::client::Ref> second = session.root().CallAs<orb::client::Ref>("entry", {"entry-1"});
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  orb::client::Ref copy = *first;
  EXPECT_EQ(copy, *first);
  EXPECT_EQ(BrokerHandleCount(session, kBobToken), 3);
  *first = orb::client::Ref();
  ASSERT_THAT(session.Flush(), IsOk());
  EXPECT_EQ(BrokerHandleCount(session, kBobToken), 3);  // `copy` still holds it
  copy = orb::client::Ref();
  ASSERT_THAT(session.Flush(), IsOk());
  EXPECT_EQ(BrokerHandleCount(session, kBobToken), 2);
  EXPECT_EQ(second->GetAs<std::string>("title").value_or(""), "t");
}

TEST_P(ClientTest, AsyncFormsWithFuturesAndCallbacks) {
  orb::client::Client client = Connect(kBobToken);
  std::future<absl::StatusOr<orb::client::Session>> opening = client.OpenSessionAsync();
  absl::StatusOr<orb::client::Session> session = opening.get();
  ASSERT_THAT(session, IsOk());
  orb::client::Ref blog = session->root();

  std::future<absl::StatusOr<orb::client::Value>> title = blog.GetAsync("title");
  std::future<absl::StatusOr<orb::client::Value>> added = blog.CallAsync("add_entry", {"async", "b"});
  absl::StatusOr<orb::client::Value> t = title.get();
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(t->AsString().value_or(""), "orb demo blog");
  absl::StatusOr<orb::client::Value> a = added.get();
  ASSERT_THAT(a, IsOk());
  orb::client::Ref entry = *a->AsRef();
  EXPECT_THAT(entry.SetAsync("body", "async body").get(), IsOk());
  EXPECT_THAT(entry.DelAsync("body").get(), IsOk());
  EXPECT_THAT(blog.SetAsync("title", "x").get(), StatusIs(absl::StatusCode::kPermissionDenied));

  // A promise: its hand-over is visible to ThreadSanitizer.
  std::promise<absl::StatusOr<orb::client::Value>> done;
  entry.GetAsync("owner", [&](absl::StatusOr<orb::client::Value> v) { done.set_value(std::move(v)); });
  absl::StatusOr<orb::client::Value> owner = done.get_future().get();
  ASSERT_THAT(owner, IsOk());
  EXPECT_EQ(owner->AsString().value_or(""), "bob");

  absl::StatusOr<orb::client::Description> described = blog.DescribeAsync().get();
  ASSERT_THAT(described, IsOk());
  EXPECT_EQ(described->type_name, "demo.Blog");
  orb::client::Restriction keep;
  keep.getattr = {"title"};
  absl::StatusOr<orb::client::Ref> narrowed = blog.RestrictAsync(keep).get();
  ASSERT_THAT(narrowed, IsOk());
  EXPECT_THAT(narrowed->Get("title"), IsOk());
  EXPECT_THAT(narrowed->Get("entry_count"), StatusIs(absl::StatusCode::kNotFound));

  // An async operation keeps its target alive: the Ref may go at once.
  std::future<absl::StatusOr<orb::client::Value>> pending = orb::client::Ref(entry).GetAsync("title");
  entry = orb::client::Ref();
  EXPECT_THAT(pending.get(), IsOk());
}

TEST_P(ClientTest, ManyThreadsShareOneSession) {
  orb::client::Client client = Connect(kAliceToken, absl::Milliseconds(5));
  auto session = Open(client);
  constexpr int kThreads = 8;
  constexpr int kOps = 40;
  std::atomic<int> failures{0};
  std::vector<JoiningThread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      orb::client::Ref blog = session.root();
      for (int i = 0; i < kOps; ++i) {
        absl::StatusOr<orb::client::Ref> entry =
            blog.CallAs<orb::client::Ref>("add_entry", {absl::StrCat("t", t, "-", i), "b"});
        if (!entry.ok()) {
          ++failures;
          continue;
        }
        if (!entry->Set("body", "x").ok()) ++failures;
        if (i % 2 == 0) {
          if (!entry->GetAsync("title").get().ok()) ++failures;
        } else if (!entry->Get("title").ok()) {
          ++failures;
        }
      }
    });
  }
  for (JoiningThread& th : threads) th.Join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_THAT(session.Flush(), IsOk());
  EXPECT_EQ(BrokerHandleCount(session, kAliceToken), 1);
  EXPECT_EQ(session.root().GetAs<int64_t>("entry_count").value_or(0), kThreads * kOps);
}

TEST_P(ClientTest, ClosedSessionFailsFastAndForeignRefsAreRefused) {
  orb::client::Client client = Connect(kBobToken);
  auto first = Open(client);
  auto second = Open(client);
  orb::client::Ref other_root = second.root();
  absl::Status foreign = first.root().Call("add_entry", {other_root, "b"}).status();
  EXPECT_THAT(foreign, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("another session")));
  EXPECT_FALSE(orb::client::ErrorInfoOf(foreign).has_value());  // nothing was sent

  orb::client::Ref root = first.root();
  const std::string id = first.id();
  ASSERT_THAT(first.Close(), IsOk());
  EXPECT_THAT(first.Close(), IsOk());
  EXPECT_THAT(root.Get("title"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(root.GetAsync("title").get(), StatusIs(absl::StatusCode::kFailedPrecondition));
  // The broker forgot the session.
  Caller raw(server_, kBobToken);
  raw.set_session(id);
  EXPECT_EQ(raw.GetAttr(root.id(), "title", nullptr).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(orb::client::Ref().Get("x"), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(ClientTest, SessionMayOutliveItsClientAndMovesClose) {
  std::optional<orb::client::Session> kept;
  {
    orb::client::Client client = Connect(kBobToken, absl::Milliseconds(10));
    kept.emplace(Open(client));
    ASSERT_THAT(kept->root().Call("add_entry", {"t", "b"}), IsOk());
  }
  EXPECT_THAT(kept->root().GetAs<std::string>("title"), IsOk());
  ASSERT_THAT(kept->Flush(), IsOk());
  EXPECT_EQ(BrokerHandleCount(*kept, kBobToken), 1);
  orb::client::Session moved = std::move(*kept);
  EXPECT_THAT(moved.KeepAlive(), IsOk());
  absl::StatusOr<std::vector<orb::client::HandleInfo>> handles = moved.ListHandles();
  ASSERT_THAT(handles, IsOk());
  ASSERT_THAT(*handles, SizeIs(1));
  EXPECT_EQ((*handles)[0].type_name, "demo.Blog");
}

// ---- orb::client::Value ----

TEST(Value, ConversionsRoundTrip) {
  orb::client::Value list = std::vector<int>{1, 2, 3};
  EXPECT_EQ(list.As<std::vector<int64_t>>().value(), (std::vector<int64_t>{1, 2, 3}));
  orb::client::Value map = std::map<std::string, std::string>{{"a", "x"}};
  EXPECT_EQ((map.As<std::map<std::string, std::string>>().value().at("a")), "x");
  EXPECT_EQ(orb::client::Value(2.5).As<double>().value(), 2.5);
  EXPECT_EQ(orb::client::Value(7).As<double>().value(), 7.0);  // int -> double is allowed
  EXPECT_TRUE(orb::client::Value(nullptr).is_null());
  EXPECT_EQ(orb::client::Value(true).As<bool>().value(), true);
  EXPECT_EQ(orb::client::Value(orb::client::Value::Bytes{"\x01\x02"}).AsBytes().value(), "\x01\x02");
  EXPECT_EQ(orb::client::Value(std::optional<int>()).As<std::optional<int>>().value(), std::nullopt);
  EXPECT_EQ(orb::client::Value(std::optional<int>(4)).As<std::optional<int>>().value(), 4);
  EXPECT_EQ(orb::client::Value(orb::client::Value::List{1, "a", nullptr}).DebugString(), "[1, \"a\", null]");
  EXPECT_EQ(orb::client::Value("a"), orb::client::Value(std::string("a")));
  EXPECT_NE(orb::client::Value(1), orb::client::Value(1.0));
}

TEST(Value, WrongKindsAreClearErrors) {
  EXPECT_THAT(orb::client::Value("x").As<int64_t>(),
              StatusIs(absl::StatusCode::kInvalidArgument, "expected int, got string"));
  EXPECT_THAT(orb::client::Value(1).As<std::string>(),
              StatusIs(absl::StatusCode::kInvalidArgument, "expected string, got int"));
  EXPECT_THAT(orb::client::Value(1.5).As<int>(),
              StatusIs(absl::StatusCode::kInvalidArgument, "expected int, got double"));
  EXPECT_THAT((orb::client::Value(orb::client::Value::List{1, 2, "three"}).As<std::vector<int>>()),
              StatusIs(absl::StatusCode::kInvalidArgument, "element 2: expected int, got string"));
  EXPECT_THAT((orb::client::Value(std::map<std::string, int>{{"k", 1}}).As<std::map<std::string, bool>>()),
              StatusIs(absl::StatusCode::kInvalidArgument, "key 'k': expected bool, got int"));
  EXPECT_THAT(orb::client::Value(int64_t{1} << 40).As<int>(), StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(orb::client::Value(-1).As<uint32_t>(), StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(orb::client::Value("x").AsRef(),
              StatusIs(absl::StatusCode::kInvalidArgument, "expected handle, got string"));
  EXPECT_THAT(orb::client::Value(1).As<std::nullptr_t>(),
              StatusIs(absl::StatusCode::kInvalidArgument, "expected null, got int"));
}

TEST_P(ClientTest, TypedGetOfTheWrongKindSaysSo) {
  orb::client::Client client = Connect("");
  auto session = Open(client);
  EXPECT_THAT(session.root().GetAs<int64_t>("title"),
              StatusIs(absl::StatusCode::kInvalidArgument, "expected int, got string"));
}

// ---- Batch ----

TEST_P(ClientTest, ABatchChainIsOneRoundTripAndItsHandlesAreRefs) {
  orb::client::Client client = Connect(kBobToken);
  auto session = Open(client);
  auto outcomes = session.Batch()
                      .Call(session.root(), "add_entry", {"a", "b"})
                      .Get(orb::client::Result{0}, "owner")
                      .Set(orb::client::Result{0}, "title", "renamed")
                      .Get(orb::client::Result{0}, "title")
                      .Run();
  ASSERT_THAT(outcomes, IsOk());
  ASSERT_THAT(*outcomes, SizeIs(4));
  ASSERT_THAT((*outcomes)[0], IsOk());
  absl::StatusOr<orb::client::Ref> entry = (*outcomes)[0]->AsRef();
  ASSERT_THAT(entry, IsOk());
  EXPECT_EQ(entry->type_name(), "demo.Entry");
  EXPECT_EQ((*outcomes)[1]->As<std::string>().value_or(""), "bob");
  EXPECT_TRUE((*outcomes)[2]->is_null());
  EXPECT_EQ((*outcomes)[3]->As<std::string>().value_or(""), "renamed");
  // The entry's handle is a Ref like any other: it still works after the
  // batch, and dropping it releases the one reference the batch made.
  EXPECT_EQ(entry->GetAs<std::string>("title").value_or(""), "renamed");
  const int with_entry = BrokerHandleCount(session, kBobToken);
  outcomes = absl::StatusOr<std::vector<absl::StatusOr<Value>>>();
  entry = orb::client::Ref();
  ASSERT_THAT(session.Flush(), IsOk());
  EXPECT_EQ(BrokerHandleCount(session, kBobToken), with_entry - 1);
}

TEST_P(ClientTest, ABatchResultCanBeAnArgument) {
  orb::client::Client client = Connect(kBobToken);
  auto session = Open(client);
  auto outcomes = session.Batch()
                      .Get(session.root(), "title")
                      .Call(session.root(), "add_entry", {orb::client::Result{0}, "body"})
                      .Get(orb::client::Result{1}, "title")
                      .Run();
  ASSERT_THAT(outcomes, IsOk());
  ASSERT_THAT(*outcomes, SizeIs(3));
  EXPECT_EQ((*outcomes)[2]->As<std::string>().value_or(""), "orb demo blog");
}

TEST_P(ClientTest, ABatchOperationsErrorIsItsRefMethodsError) {
  orb::client::Client client = Connect(kBobToken);
  auto session = Open(client);
  absl::Status unary = session.root().Get("_secret").status();
  auto outcomes = session.Batch()
                      .Get(session.root(), "_secret")
                      .Get(orb::client::Result{0}, "title")
                      .Get(session.root(), "title")
                      .Run();
  ASSERT_THAT(outcomes, IsOk());
  ASSERT_THAT(*outcomes, SizeIs(3));
  EXPECT_EQ((*outcomes)[0].status(), unary);
  EXPECT_EQ(orb::client::ErrorInfoOf((*outcomes)[0].status())->reason, "NAME_NOT_FOUND");
  EXPECT_THAT((*outcomes)[1], StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(orb::client::ErrorInfoOf((*outcomes)[1].status())->reason, "RESULT_UNAVAILABLE");
  EXPECT_EQ((*outcomes)[2]->As<std::string>().value_or(""), "orb demo blog");

  auto stopped = session.Batch()
                     .StopOnError()
                     .Get(session.root(), "_secret")
                     .Get(session.root(), "title")
                     .Run();
  ASSERT_THAT(stopped, IsOk());
  EXPECT_THAT((*stopped)[1], StatusIs(absl::StatusCode::kAborted));
}

TEST_P(ClientTest, ABadBatchIsRefusedWholeAndNothingRuns) {
  orb::client::Client client = Connect(kBobToken);
  auto session = Open(client);
  auto forward = session.Batch()
                     .Call(orb::client::Result{1}, "add_entry", {"a", "b"})
                     .Get(session.root(), "title")
                     .Run();
  EXPECT_THAT(forward, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(session.root().GetAs<int64_t>("entry_count").value_or(-1), 0);
  // A Ref of another session is refused before anything is sent.
  auto other = Open(client);
  auto foreign = session.Batch().Get(other.root(), "title").Run();
  EXPECT_THAT(foreign, StatusIs(absl::StatusCode::kInvalidArgument));
  auto empty_ref = session.Batch().Get(orb::client::Ref(), "title").Run();
  EXPECT_THAT(empty_ref, StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(ClientTest, RunBatchJsonTakesTheProtocolsJsonAndActsOnTheRoot) {
  orb::client::Client client = Connect(kBobToken);
  auto session = Open(client);
  absl::StatusOr<std::string> answer = session.RunBatchJson(R"({"operations": [
      {"call": {"name": "add_entry", "args": [{"stringValue": "j"}, {"stringValue": "b"}]}},
      {"target": {"result": 0}, "getAttr": {"name": "owner"}}]})");
  ASSERT_THAT(answer, IsOk());
  EXPECT_THAT(*answer, HasSubstr(R"({"string_value":"bob"})"));
  EXPECT_THAT(session.RunBatchJson("{\"operations\": 7}"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(ClientTest, GetManyReadsASnapshotAndLeavesOutWhatItMayNotRead) {
  orb::client::Client client = Connect(kBobToken);
  auto session = Open(client);
  auto values = session.root().GetMany({"title", "_secret", "entry_count", "title"});
  ASSERT_THAT(values, IsOk());
  ASSERT_THAT(*values, SizeIs(2));
  EXPECT_EQ(values->at("title").As<std::string>().value_or(""), "orb demo blog");
  EXPECT_EQ(values->at("entry_count").As<int64_t>().value_or(-1), 0);
  auto none = session.root().GetMany({"_secret"});
  EXPECT_THAT(none, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(orb::client::ErrorInfoOf(none.status())->reason, "NAME_NOT_FOUND");
}

TEST_P(ClientTest, CallByValueAnswersAnObjectAsAMapOfItsAttributesAndKeepsNoHandle) {
  orb::client::Client client = Connect(kBobToken);
  auto session = Open(client);
  auto before = session.ListHandles();
  ASSERT_THAT(before, IsOk());
  auto entry = session.root().CallByValue("add_entry", {"T", "B"});
  ASSERT_THAT(entry, IsOk());
  ASSERT_EQ(entry->kind(), Value::Kind::kMap) << entry->DebugString();
  auto fields = entry->As<std::map<std::string, Value>>();
  ASSERT_THAT(fields, IsOk());
  EXPECT_EQ(fields->at("title").As<std::string>().value_or(""), "T");
  EXPECT_EQ(fields->at("body").As<std::string>().value_or(""), "B");
  EXPECT_EQ(fields->at("owner").As<std::string>().value_or(""), "bob");
  EXPECT_EQ(fields->count("delete"), 0u) << "a method is no attribute";
  auto after = session.ListHandles();
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(after->size(), before->size()) << "by value leaves no handle in the session";
  // The same call without by_value makes a handle; the async forms ask the same.
  auto ref = session.root().Call("add_entry", {"U", "C"});
  ASSERT_THAT(ref, IsOk());
  EXPECT_EQ(ref->kind(), Value::Kind::kRef);
  std::future<absl::StatusOr<Value>> later = session.root().CallByValueAsync("entry", {"entry-2"});
  absl::StatusOr<Value> by_future = later.get();
  ASSERT_THAT(by_future, IsOk());
  EXPECT_EQ(by_future->kind(), Value::Kind::kMap);
  // A result that is no object comes as it is.
  auto list = session.root().CallByValue("entries");
  ASSERT_THAT(list, IsOk());
  EXPECT_EQ(list->kind(), Value::Kind::kList);
  // Errors are Call's.
  EXPECT_THAT(session.root().CallByValue("no_such_method"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(orb::client::Ref().CallByValue("entries"), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(ClientTest, OperationsGoOverTheStreamUnlessTurnedOff) {
  orb::client::Client client = Connect(kBobToken);
  EXPECT_EQ(client.transport(), "unary") << "nothing is known before the first session";
  auto session = Open(client);
  EXPECT_EQ(client.transport(), GetParam() ? "stream" : "unary");
  EXPECT_EQ(session.root().GetAs<std::string>("title").value_or(""), "orb demo blog");
}

TEST_P(ClientTest, ABrokerThatStopsFailsTheNextOperationClearlyAndNothingHangs) {
  // A read is retried on UNAVAILABLE until the client's timeout: a short
  // one makes "nothing hangs" mean "gives up within it".
  orb::client::Client client = Connect(kBobToken, absl::ZeroDuration(), absl::Seconds(2));
  auto session = Open(client);
  ASSERT_THAT(session.root().Get("title"), IsOk());
  server_.server().Shutdown(absl::ZeroDuration());
  absl::StatusOr<Value> after = session.root().Get("title");
  EXPECT_THAT(after, StatusIs(absl::StatusCode::kUnavailable));
  std::future<absl::StatusOr<Value>> later = session.root().GetAsync("title");
  EXPECT_THAT(later.get(), StatusIs(absl::StatusCode::kUnavailable));
}

INSTANTIATE_TEST_SUITE_P(Transport, ClientTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Stream" : "Unary";
                         });

}  // namespace
}  // namespace orb::testing
