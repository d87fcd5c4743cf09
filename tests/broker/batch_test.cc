// BrokerCore::Batch: operations run in order through their unary twins,
// result references, per-operation errors, and batches refused whole.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/broker_fixture.h"

namespace orb::testing {
namespace {

using ::testing::HasSubstr;

v1::Value ResultValue(uint32_t index) {
  v1::Value v;
  v.set_result(index);
  return v;
}

v1::BatchOperation CallOp(const std::string& handle, const std::string& name,
                          std::vector<v1::Value> args = {}) {
  v1::BatchOperation op;
  v1::CallRequest* call = op.mutable_call();
  call->set_handle(handle);
  call->set_name(name);
  for (v1::Value& a : args) *call->add_args() = std::move(a);
  return op;
}
v1::BatchOperation GetOp(const std::string& handle, const std::string& name) {
  v1::BatchOperation op;
  op.mutable_get_attr()->set_handle(handle);
  op.mutable_get_attr()->set_name(name);
  return op;
}
v1::BatchOperation SetOp(const std::string& handle, const std::string& name, v1::Value value) {
  v1::BatchOperation op;
  op.mutable_set_attr()->set_handle(handle);
  op.mutable_set_attr()->set_name(name);
  *op.mutable_set_attr()->mutable_value() = std::move(value);
  return op;
}
// `op` addressed to the handle that operation `index` returned.
v1::BatchOperation On(uint32_t index, v1::BatchOperation op) {
  op.mutable_target()->set_result(index);
  return op;
}

absl::StatusOr<v1::BatchResponse> RunBatch(Harness& h, Client& c,
                                           std::vector<v1::BatchOperation> ops,
                                           bool stop_on_error = false) {
  v1::BatchRequest req;
  req.set_session(c.session());
  req.set_stop_on_error(stop_on_error);
  for (v1::BatchOperation& op : ops) *req.add_operations() = std::move(op);
  v1::BatchResponse resp;
  absl::Status s = h.core().Batch(c.ctx(), req, &resp);
  if (!s.ok()) return s;
  return resp;
}

TEST(Batch, AChainRunsInOneRequestAndUsesEachResult) {
  Harness h;
  Client bob(h, Bob());
  bob.Open();
  const std::string blog = bob.root().id();
  auto resp = RunBatch(h, bob,
                       {CallOp(blog, "add_entry", {Str("T"), Str("B")}),
                        On(0, GetOp("", "owner")), On(0, SetOp("", "body", Str("changed"))),
                        On(0, GetOp("", "body"))});
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->results_size(), 4);
  ASSERT_TRUE(resp->results(0).has_call());
  EXPECT_EQ(resp->results(0).call().result().handle().type_name(), "demo.Entry");
  EXPECT_EQ(resp->results(1).get_attr().value().string_value(), "bob");
  EXPECT_TRUE(resp->results(2).has_set_attr());
  EXPECT_EQ(resp->results(3).get_attr().value().string_value(), "changed");
  ASSERT_EQ(h.blog()->Entries().size(), 1u);
}

TEST(Batch, HandlesMadeInsideBelongToTheSession) {
  Harness h;
  Client bob(h, Bob());
  bob.Open();
  auto resp = RunBatch(h, bob, {CallOp(bob.root().id(), "add_entry", {Str("T"), Str("B")})});
  ASSERT_TRUE(resp.ok()) << resp.status();
  const std::string id = resp->results(0).call().result().handle().id();
  auto owner = bob.Get(resp->results(0).call().result().handle(), "owner");
  ASSERT_TRUE(owner.ok()) << owner.status();
  EXPECT_EQ(owner->string_value(), "bob");
  auto released = bob.Release({id});
  ASSERT_TRUE(released.ok()) << released.status();
  EXPECT_EQ(*released, 1u);
}

TEST(Batch, AnArgumentMayBeAnEarlierResult) {
  Harness h;
  Client bob(h, Bob());
  bob.Open();
  const std::string blog = bob.root().id();
  auto resp = RunBatch(h, bob,
                       {GetOp(blog, "title"),
                        CallOp(blog, "add_entry", {ResultValue(0), Str("body")}),
                        On(1, GetOp("", "title"))});
  ASSERT_TRUE(resp.ok()) << resp.status();
  const std::string blog_title = resp->results(0).get_attr().value().string_value();
  ASSERT_FALSE(blog_title.empty());
  EXPECT_EQ(resp->results(2).get_attr().value().string_value(), blog_title);
}

TEST(Batch, EachOperationIsAnsweredExactlyAsItsUnaryTwin) {
  Harness h;
  Client anon(h, Anonymous());
  anon.Open();
  const v1::HandleRef blog = anon.root();
  const absl::Status unary_denied =
      anon.Call(blog, "add_entry", {Str("T"), Str("B")}).status();
  const absl::Status unary_missing = anon.Get(blog, "no_such_name").status();
  ASSERT_EQ(unary_denied.code(), absl::StatusCode::kPermissionDenied);
  ASSERT_EQ(unary_missing.code(), absl::StatusCode::kNotFound);

  auto resp = RunBatch(h, anon,
                       {CallOp(blog.id(), "add_entry", {Str("T"), Str("B")}),
                        GetOp(blog.id(), "no_such_name"), GetOp(blog.id(), "title")});
  ASSERT_TRUE(resp.ok()) << resp.status();
  for (auto [i, unary] : {std::pair<int, absl::Status>{0, unary_denied}, {1, unary_missing}}) {
    ASSERT_TRUE(resp->results(i).has_error()) << i;
    const v1::OperationError& e = resp->results(i).error();
    EXPECT_EQ(e.code(), static_cast<int>(unary.code())) << i;
    EXPECT_EQ(e.code_name(), absl::StatusCodeToString(unary.code())) << i;
    EXPECT_EQ(e.message(), unary.message()) << i;
    EXPECT_EQ(e.info().reason(), Reason(unary)) << i;
    EXPECT_EQ(e.info().gate(), GetErrorInfo(unary)->gate()) << i;
  }
  EXPECT_TRUE(resp->results(2).has_get_attr()) << "the rest go on after a failure";
}

TEST(Batch, UsingAFailedResultFailsWithFailedPreconditionNamingIt) {
  Harness h;
  Client anon(h, Anonymous());
  anon.Open();
  auto resp = RunBatch(h, anon,
                       {CallOp(anon.root().id(), "add_entry", {Str("T"), Str("B")}),
                        On(0, GetOp("", "owner")), GetOp(anon.root().id(), "title")});
  ASSERT_TRUE(resp.ok()) << resp.status();
  const v1::OperationError& e = resp->results(1).error();
  EXPECT_EQ(e.code(), static_cast<int>(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(e.info().reason(), "RESULT_UNAVAILABLE");
  EXPECT_THAT(e.message(), HasSubstr("operation 0"));
  EXPECT_THAT(e.message(), HasSubstr("PERMISSION_DENIED"));
  EXPECT_TRUE(resp->results(2).has_get_attr());
}

TEST(Batch, StopOnErrorAbortsTheRest) {
  Harness h;
  Client anon(h, Anonymous());
  anon.Open();
  const std::string blog = anon.root().id();
  auto resp = RunBatch(h, anon, {GetOp(blog, "title"), GetOp(blog, "missing"), GetOp(blog, "title")},
                       /*stop_on_error=*/true);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_TRUE(resp->results(0).has_get_attr());
  EXPECT_EQ(resp->results(1).error().code(), static_cast<int>(absl::StatusCode::kNotFound));
  EXPECT_EQ(resp->results(2).error().code(), static_cast<int>(absl::StatusCode::kAborted));
  EXPECT_EQ(resp->results(2).error().info().reason(), "BATCH_STOPPED");
}

TEST(Batch, BadReferencesRefuseTheWholeBatchAndRunNothing) {
  Harness h;
  Client alice(h, Alice());
  alice.Open();
  const std::string blog = alice.root().id();
  const std::string before = alice.Get(alice.root(), "title")->string_value();
  struct Case {
    std::string what;
    std::vector<v1::BatchOperation> ops;
  };
  const std::vector<Case> cases = {
      {"self", {SetOp(blog, "title", Str("x")), On(1, GetOp("", "title"))}},
      {"later", {SetOp(blog, "title", Str("x")), On(2, GetOp("", "title")), GetOp(blog, "title")}},
      {"out of range", {SetOp(blog, "title", Str("x")), On(99, GetOp("", "title"))}},
      {"no value", {SetOp(blog, "title", Str("x")), On(0, GetOp("", "title"))}},
      {"argument later", {SetOp(blog, "title", Str("x")), SetOp(blog, "title", ResultValue(5))}},
      {"handle and target", {GetOp(blog, "title"), On(0, GetOp(blog, "title"))}},
  };
  for (const Case& c : cases) {
    auto resp = RunBatch(h, alice, c.ops);
    ASSERT_FALSE(resp.ok()) << c.what;
    EXPECT_EQ(resp.status().code(), absl::StatusCode::kInvalidArgument) << c.what;
    EXPECT_EQ(Reason(resp.status()), "BAD_RESULT_REFERENCE") << c.what;
    EXPECT_EQ(alice.Get(alice.root(), "title")->string_value(), before) << c.what;
  }
}

TEST(Batch, EmptyOperationsAndForeignSessionsAreRefusedWhole) {
  Harness h;
  Client bob(h, Bob());
  bob.Open();
  auto empty = RunBatch(h, bob, {GetOp(bob.root().id(), "title"), v1::BatchOperation()});
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(empty.status().message(), HasSubstr("operation 1 is empty"));

  v1::BatchOperation other = GetOp(bob.root().id(), "title");
  other.mutable_get_attr()->set_session("another-session");
  auto foreign = RunBatch(h, bob, {other});
  EXPECT_EQ(foreign.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(foreign.status().message(), HasSubstr("another session"));
}

TEST(Batch, ALongerBatchThanThePolicyAllowsIsRefused) {
  Harness h(PolicyWithLimits("max_batch_operations: 3"));
  Client bob(h, Bob());
  bob.Open();
  const std::string blog = bob.root().id();
  auto ok = RunBatch(h, bob, {GetOp(blog, "title"), GetOp(blog, "title"), GetOp(blog, "title")});
  ASSERT_TRUE(ok.ok()) << ok.status();
  auto over = RunBatch(h, bob, {GetOp(blog, "title"), GetOp(blog, "title"), GetOp(blog, "title"),
                                GetOp(blog, "title")});
  EXPECT_EQ(over.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(over.status().message(), HasSubstr("max_batch_operations"));
}

TEST(Batch, ASessionOfAnotherIdentityIsNotFoundPerOperation) {
  Harness h;
  Client bob(h, Bob());
  bob.Open();
  Client alice(h, Alice());
  alice.Open();
  v1::BatchRequest req;
  req.set_session(bob.session());
  *req.add_operations() = GetOp(bob.root().id(), "title");
  v1::BatchResponse resp;
  ASSERT_TRUE(h.core().Batch(alice.ctx(), req, &resp).ok());
  EXPECT_EQ(resp.results(0).error().code(), static_cast<int>(absl::StatusCode::kNotFound));
  EXPECT_EQ(resp.results(0).error().info().reason(), "SESSION_NOT_FOUND");
}

TEST(Batch, AResultReferenceOutsideABatchIsRefused) {
  Harness h;
  Client bob(h, Bob());
  bob.Open();
  auto s = bob.Call(bob.root(), "add_entry", {ResultValue(0), Str("B")});
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(), HasSubstr("only inside a Batch"));
  EXPECT_TRUE(h.blog()->Entries().empty());
}

}  // namespace
}  // namespace orb::testing
