// orb.v1.ObjectBroker/Stream against a real server: ids and answers out of
// order, duplicate ids, cancel frames, per-operation deadlines,
// back-pressure at the in-flight limit, half-close and client cancellation,
// authentication at open, another identity's session, a reload between
// operations, and one stream's trouble leaving another alone. The unary
// and stream answers to every hostile request are compared in
// hostile_requests_test.cc.
#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/caller.h"
#include "tests/integration/gadget.h"
#include "tests/testing/joining_thread.h"
#include "tests/testing/raw_stream.h"

namespace orb::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kEveryoneRuns[] =
    R"(ace { action: ALLOW principal: "system.Everyone" permission: "run" })";
constexpr char kOnlyAliceRuns[] =
    R"(ace { action: ALLOW principal: "alice" permission: "run" })";

std::vector<std::pair<std::string, std::string>> Bearer(const std::string& token) {
  return {{"authorization", "Bearer " + token}};
}

v1::StreamRequest OpenFrame(uint64_t id) {
  v1::StreamRequest frame;
  frame.set_id(id);
  frame.mutable_open_session()->set_client_name("stream-test");
  return frame;
}

v1::StreamRequest CallFrame(uint64_t id, const std::string& session, const std::string& handle,
                            const std::string& name, uint32_t timeout_ms = 0) {
  v1::StreamRequest frame;
  frame.set_id(id);
  frame.set_timeout_ms(timeout_ms);
  frame.mutable_call()->set_session(session);
  frame.mutable_call()->set_handle(handle);
  frame.mutable_call()->set_name(name);
  return frame;
}

v1::StreamRequest CancelFrame(uint64_t id) {
  v1::StreamRequest frame;
  frame.set_id(id);
  frame.mutable_cancel();
  return frame;
}

// The string a successful call answered, or "<code>: <message>".
std::string Outcome(const v1::StreamResponse& answer) {
  if (answer.has_error()) {
    return absl::StrCat(answer.error().code_name(), ": ", answer.error().message());
  }
  return answer.call().result().string_value();
}

class StreamTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(""); }
  void TearDown() override {
    board_->Release();  // nothing may stay blocked past the test
  }

  // (Re)starts the broker with the gadget policy plus `extra`.
  void Start(const std::string& extra, const std::string& run_acl = kEveryoneRuns) {
    broker_.reset();
    broker_ = std::make_unique<BrokerServer>(GadgetRegistry(), std::make_shared<Gadget>(board_),
                                             CompilePolicy(GadgetPolicy(run_acl, extra)));
    ASSERT_TRUE(broker_->started());
  }

  std::unique_ptr<RawStream> NewStream(const std::string& token = kBobToken) {
    return std::make_unique<RawStream>(broker_->PlaintextChannel(), Bearer(token));
  }

  // Reads the next answer; fails the test when none comes.
  static v1::StreamResponse Next(RawStream& stream) {
    v1::StreamResponse answer;
    EXPECT_TRUE(stream.Read(&answer)) << "no answer";
    return answer;
  }

  // Opens a session on `stream` and spawns `gadgets` gadgets of its own;
  // fills session_ and gadgets_. Uses ids 1..gadgets+1.
  void OpenWithGadgets(RawStream& stream, int gadgets) {
    ASSERT_TRUE(stream.Write(OpenFrame(1)));
    v1::StreamResponse opened = Next(stream);
    ASSERT_EQ(opened.id(), 1u);
    ASSERT_TRUE(opened.has_open_session()) << opened.DebugString();
    session_ = opened.open_session().session();
    root_ = opened.open_session().root().id();
    gadgets_.clear();
    for (int i = 0; i < gadgets; ++i) {
      ASSERT_TRUE(stream.Write(CallFrame(2 + i, session_, root_, "spawn")));
      v1::StreamResponse spawned = Next(stream);
      ASSERT_EQ(spawned.id(), static_cast<uint64_t>(2 + i));
      ASSERT_TRUE(spawned.call().result().has_handle()) << spawned.DebugString();
      gadgets_.push_back(spawned.call().result().handle().id());
    }
  }

  std::shared_ptr<Switchboard> board_ = std::make_shared<Switchboard>();
  std::unique_ptr<BrokerServer> broker_;
  std::string session_;
  std::string root_;
  std::vector<std::string> gadgets_;
};

TEST_F(StreamTest, AnswersCarryTheirIdsAndComeAsEachOperationFinishes) {
  auto stream = NewStream();
  OpenWithGadgets(*stream, 2);
  ASSERT_TRUE(stream->Write(CallFrame(10, session_, gadgets_[0], "wait")));
  ASSERT_TRUE(board_->AwaitStarted(1));
  ASSERT_TRUE(stream->Write(CallFrame(11, session_, gadgets_[1], "ping")));
  v1::StreamResponse first = Next(*stream);
  EXPECT_EQ(first.id(), 11u);
  EXPECT_EQ(Outcome(first), "pong");
  board_->Release();
  v1::StreamResponse second = Next(*stream);
  EXPECT_EQ(second.id(), 10u);
  EXPECT_EQ(Outcome(second), "released");
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(StreamTest, TheLimitIsAnnouncedWhenTheStreamOpens) {
  auto stream = NewStream();
  EXPECT_EQ(stream->InitialMetadata("orb-max-operations-in-flight"), "32");
  Start("limits { max_stream_operations_in_flight: 3 }");
  auto limited = NewStream();
  EXPECT_EQ(limited->InitialMetadata("orb-max-operations-in-flight"), "3");
}

TEST_F(StreamTest, AnIdStillInFlightIsRefusedAndTheFirstOperationStillAnswers) {
  auto stream = NewStream();
  OpenWithGadgets(*stream, 2);
  ASSERT_TRUE(stream->Write(CallFrame(10, session_, gadgets_[0], "wait")));
  ASSERT_TRUE(board_->AwaitStarted(1));
  ASSERT_TRUE(stream->Write(CallFrame(10, session_, gadgets_[1], "ping")));
  v1::StreamResponse refused = Next(*stream);
  EXPECT_EQ(refused.id(), 10u);
  ASSERT_TRUE(refused.has_error()) << refused.DebugString();
  EXPECT_EQ(refused.error().code_name(), "INVALID_ARGUMENT");
  EXPECT_EQ(refused.error().info().reason(), "DUPLICATE_OPERATION_ID");
  EXPECT_THAT(refused.error().message(), HasSubstr("already in flight"));
  board_->Release();
  v1::StreamResponse first = Next(*stream);
  EXPECT_EQ(first.id(), 10u);
  EXPECT_EQ(Outcome(first), "released");
  // Answered, the id is free again.
  ASSERT_TRUE(stream->Write(CallFrame(10, session_, gadgets_[1], "ping")));
  EXPECT_EQ(Outcome(Next(*stream)), "pong");
}

TEST_F(StreamTest, ACancelFrameCancelsThatOperationOnly) {
  auto stream = NewStream();
  OpenWithGadgets(*stream, 2);
  ASSERT_TRUE(stream->Write(CallFrame(10, session_, gadgets_[0], "wait")));
  ASSERT_TRUE(stream->Write(CallFrame(11, session_, gadgets_[1], "wait")));
  ASSERT_TRUE(board_->AwaitStarted(2));
  ASSERT_TRUE(stream->Write(CancelFrame(10)));
  // An id nobody uses: ignored, no answer.
  ASSERT_TRUE(stream->Write(CancelFrame(999)));
  v1::StreamResponse cancelled = Next(*stream);
  EXPECT_EQ(cancelled.id(), 10u);
  EXPECT_EQ(cancelled.error().code_name(), "CANCELLED") << cancelled.DebugString();
  board_->Release();
  v1::StreamResponse other = Next(*stream);
  EXPECT_EQ(other.id(), 11u);
  EXPECT_EQ(Outcome(other), "released");
  ASSERT_TRUE(stream->WritesDone());
  v1::StreamResponse none;
  EXPECT_FALSE(stream->Read(&none)) << "unexpected answer " << none.DebugString();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(StreamTest, AnOperationsOwnTimeoutEndsItAndNotTheStream) {
  auto stream = NewStream();
  OpenWithGadgets(*stream, 1);
  ASSERT_TRUE(stream->Write(CallFrame(10, session_, gadgets_[0], "wait", /*timeout_ms=*/100)));
  v1::StreamResponse timed_out = Next(*stream);
  EXPECT_EQ(timed_out.id(), 10u);
  EXPECT_EQ(timed_out.error().code_name(), "DEADLINE_EXCEEDED") << timed_out.DebugString();
  ASSERT_TRUE(stream->Write(CallFrame(11, session_, gadgets_[0], "ping")));
  EXPECT_EQ(Outcome(Next(*stream)), "pong");
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(StreamTest, AtTheLimitACancelStillGetsThroughAndTheNextFrameWaits) {
  Start("limits { max_stream_operations_in_flight: 3 }");
  auto stream = NewStream();
  OpenWithGadgets(*stream, 4);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(stream->Write(CallFrame(10 + i, session_, gadgets_[i], "wait")));
  }
  ASSERT_TRUE(board_->AwaitStarted(3));
  // Three in flight, the limit: a cancel frame needs no answer and is
  // still taken up.
  ASSERT_TRUE(stream->Write(CancelFrame(11)));
  v1::StreamResponse cancelled = Next(*stream);
  EXPECT_EQ(cancelled.id(), 11u);
  EXPECT_EQ(cancelled.error().code_name(), "CANCELLED") << cancelled.DebugString();
  // Back at the limit; the frame after is held, not run, and nothing more
  // is read until an answer has gone out.
  ASSERT_TRUE(stream->Write(CallFrame(13, session_, gadgets_[3], "wait")));
  ASSERT_TRUE(board_->AwaitStarted(4));
  ASSERT_TRUE(stream->Write(CallFrame(20, session_, gadgets_[1], "ping")));
  v1::StreamResponse early;
  bool timed_out = false;
  EXPECT_FALSE(stream->Read(&early, absl::Milliseconds(300), &timed_out))
      << "answered at the limit: " << early.DebugString();
  EXPECT_TRUE(timed_out);
  board_->Release();
  std::vector<uint64_t> order;
  for (int i = 0; i < 4; ++i) {
    v1::StreamResponse answer = Next(*stream);
    EXPECT_EQ(Outcome(answer), answer.id() == 20 ? "pong" : "released") << answer.DebugString();
    order.push_back(answer.id());
  }
  ASSERT_EQ(order.size(), 4u);
  EXPECT_NE(order.front(), 20u) << "the held frame ran before any room was made";
  std::sort(order.begin(), order.end());
  EXPECT_EQ(order, (std::vector<uint64_t>{10, 12, 13, 20}));
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(StreamTest, ManyFramesSentAtOnceAreEachAnsweredOnce) {
  Start("limits { max_stream_operations_in_flight: 4 }");
  auto stream = NewStream();
  OpenWithGadgets(*stream, 1);
  constexpr uint64_t kFrames = 300;
  for (uint64_t id = 100; id < 100 + kFrames; ++id) {
    ASSERT_TRUE(stream->Write(CallFrame(id, session_, gadgets_[0], "ping")));
  }
  ASSERT_TRUE(stream->WritesDone());
  std::set<uint64_t> ids;
  v1::StreamResponse answer;
  while (stream->Read(&answer)) {
    EXPECT_EQ(Outcome(answer), "pong");
    EXPECT_TRUE(ids.insert(answer.id()).second) << "answered twice: " << answer.id();
  }
  EXPECT_EQ(ids.size(), kFrames);
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(StreamTest, HalfClosingAnswersWhatIsInFlightThenEndsOk) {
  auto stream = NewStream();
  OpenWithGadgets(*stream, 1);
  ASSERT_TRUE(stream->Write(CallFrame(10, session_, gadgets_[0], "wait")));
  ASSERT_TRUE(board_->AwaitStarted(1));
  ASSERT_TRUE(stream->WritesDone());
  board_->Release();
  v1::StreamResponse answer = Next(*stream);
  EXPECT_EQ(answer.id(), 10u);
  EXPECT_EQ(Outcome(answer), "released");
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(StreamTest, AStreamThatEndsCancelsWhatIsInFlight) {
  auto stream = NewStream();
  OpenWithGadgets(*stream, 1);
  ASSERT_TRUE(stream->Write(CallFrame(10, session_, gadgets_[0], "wait")));
  ASSERT_TRUE(board_->AwaitStarted(1));
  stream->Cancel();
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  // The member saw the cancellation (bounded wait: the broker answers it
  // on its own thread).
  const absl::Time until = absl::Now() + absl::Seconds(10);
  while (board_->last_exit() != "cancelled" && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(board_->last_exit(), "cancelled");
  // The session lives on (a stream is no session): a new stream uses it.
  auto again = NewStream();
  ASSERT_TRUE(again->Write(CallFrame(1, session_, gadgets_[0], "ping")));
  EXPECT_EQ(Outcome(Next(*again)), "pong");
}

TEST_F(StreamTest, BadCredentialsEndTheStreamWhenItOpens) {
  auto stream = NewStream("not-a-token");
  stream->Write(OpenFrame(1));
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ErrorInfoOf(status).reason(), "UNAUTHENTICATED");
  EXPECT_THAT(status.error_message(), Not(HasSubstr("not-a-token")));
}

TEST_F(StreamTest, AnotherIdentitysSessionIsNotFound) {
  auto alices = NewStream(kAliceToken);
  OpenWithGadgets(*alices, 1);
  auto bobs = NewStream(kBobToken);
  ASSERT_TRUE(bobs->Write(CallFrame(5, session_, gadgets_[0], "ping")));
  v1::StreamResponse answer = Next(*bobs);
  EXPECT_EQ(answer.id(), 5u);
  EXPECT_EQ(answer.error().code_name(), "NOT_FOUND");
  EXPECT_EQ(answer.error().info().reason(), "SESSION_NOT_FOUND");
}

TEST_F(StreamTest, APolicyReloadAppliesToOperationsThatStartAfterIt) {
  auto stream = NewStream(kBobToken);
  OpenWithGadgets(*stream, 1);
  ASSERT_TRUE(stream->Write(CallFrame(10, session_, gadgets_[0], "ping")));
  EXPECT_EQ(Outcome(Next(*stream)), "pong");
  broker_->core().SetPolicy(CompilePolicy(GadgetPolicy(kOnlyAliceRuns)));
  ASSERT_TRUE(stream->Write(CallFrame(11, session_, gadgets_[0], "ping")));
  v1::StreamResponse denied = Next(*stream);
  EXPECT_EQ(denied.error().code_name(), "PERMISSION_DENIED") << denied.DebugString();
  EXPECT_EQ(denied.error().info().reason(), "ACL_DENIED");
}

TEST_F(StreamTest, ARevokedTokenStopsWorkingOnAStreamOpenBeforeTheReload) {
  auto stream = NewStream(kBobToken);
  OpenWithGadgets(*stream, 1);
  // The same policy without bob's token (unversioned, as the first).
  std::string without_bob = GadgetPolicy(kEveryoneRuns);
  const size_t bob = without_bob.find("  bearer_token {\n    userid: \"bob\"");
  ASSERT_NE(bob, std::string::npos);
  without_bob.erase(bob, without_bob.find("}\n", bob) + 2 - bob);
  broker_->core().SetPolicy(CompilePolicy(without_bob));
  ASSERT_TRUE(stream->Write(CallFrame(10, session_, gadgets_[0], "ping")));
  v1::StreamResponse refused = Next(*stream);
  EXPECT_EQ(refused.error().code_name(), "UNAUTHENTICATED") << refused.DebugString();
}

TEST_F(StreamTest, OneStreamsBadFramesLeaveAnotherAlone) {
  auto good = NewStream(kAliceToken);
  OpenWithGadgets(*good, 1);
  auto bad = NewStream(kBobToken);
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(bad->Write(std::string("\xff\xff\xff\xff", 4)));
    v1::StreamResponse refused = Next(*bad);
    EXPECT_EQ(refused.error().info().reason(), "MALFORMED_REQUEST");
    ASSERT_TRUE(good->Write(CallFrame(100 + i, session_, gadgets_[0], "ping")));
    EXPECT_EQ(Outcome(Next(*good)), "pong");
  }
  EXPECT_TRUE(bad->Finish().ok());
  EXPECT_TRUE(good->Finish().ok());
}

TEST_F(StreamTest, ADrainAnswersWhatRunsAndRunsNothingNew) {
  auto stream = NewStream();
  OpenWithGadgets(*stream, 2);
  ASSERT_TRUE(stream->Write(CallFrame(10, session_, gadgets_[0], "wait")));
  ASSERT_TRUE(board_->AwaitStarted(1));
  JoiningThread drain([this] { broker_->server().Shutdown(absl::Seconds(60)); },
                      [board = board_] { board->Release(); });
  // The health status turns NOT_SERVING only once the drain has begun.
  const absl::Time until = absl::Now() + absl::Seconds(10);
  while (IsServing(broker_->address()) && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_TRUE(stream->Write(CallFrame(11, session_, gadgets_[1], "ping")));
  board_->Release();
  v1::StreamResponse answered = Next(*stream);
  EXPECT_EQ(answered.id(), 10u);
  EXPECT_EQ(Outcome(answered), "released");
  v1::StreamResponse more;
  EXPECT_FALSE(stream->Read(&more)) << "ran during the drain: " << more.DebugString();
  const grpc::Status ended = stream->Finish();
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::UNAVAILABLE) << ended.error_message();
  EXPECT_THAT(ended.error_message(), HasSubstr("did not run"));
}

}  // namespace
}  // namespace orb::testing
