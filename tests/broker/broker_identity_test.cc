// Broker ids and incarnations in session ids, and the orb-route check:
// a session of another broker, of an earlier run of this one, or a call
// routed for another broker, each answered as the contract says
// (docs/scale-out.md), driven through BrokerCore.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "broker/broker_identity.h"
#include "orb/broker/audit.h"
#include "tests/testing/broker_fixture.h"
#include "tests/testing/test_support.h"

namespace orb::testing {

using orb::broker::BrokerIdentity;
using orb::broker::kErrorInfoTypeUrl;
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

std::function<void(BrokerCore::Options&)> Named(std::string broker_id,
                                                std::string incarnation = "") {
  return [broker_id, incarnation](BrokerCore::Options& options) {
    options.broker_id = broker_id;
    options.incarnation = incarnation;
  };
}

TEST(BrokerId, ValidIdsAreShortNamesOfLettersDigitsDotsDashesAndUnderscores) {
  for (const std::string& id : {std::string("a"), std::string("orbd-1"),
                                std::string("orbd-a.lab_2"), std::string("0"),
                                std::string(63, 'x')}) {
    EXPECT_TRUE(broker::ValidateBrokerId(id).ok()) << id;
  }
  for (std::string id : {std::string(), std::string("-a"), std::string(".a"),
                         std::string("a~b"), std::string("a b"), std::string("a/b"),
                         std::string("\xc3\xa9t\xc3\xa9"), std::string(64, 'x')}) {
    absl::Status s = broker::ValidateBrokerId(id);
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("broker id"))) << id;
  }
}

TEST(BrokerId, DefaultsAreRandomAndDifferAcrossBrokers) {
  Harness one, two;
  EXPECT_THAT(one.core().broker_id(), MatchesRegex("orbd-[0-9a-f]{6}"));
  EXPECT_THAT(one.core().incarnation(), MatchesRegex("[0-9a-f]{8}"));
  EXPECT_NE(one.core().incarnation(), two.core().incarnation());
  EXPECT_TRUE(broker::ValidateBrokerId(one.core().broker_id()).ok());
}

TEST(BrokerId, SessionIdsCarryTheBrokerIdAndIncarnationBeforeTheSecret) {
  Harness h(kBasePolicy, nullptr, nullptr, Named("orbd-a", "0badcafe"));
  Client bob(h, Bob());
  bob.Open();
  EXPECT_EQ(bob.open_response().route(), "orbd-a");
  EXPECT_THAT(bob.session(), MatchesRegex("orbd-a~0badcafe\\.[0-9a-f]{32}"));
  EXPECT_EQ(broker::BrokerIdOf(bob.session()), "orbd-a");
  EXPECT_THAT(bob.root().id(), MatchesRegex("[0-9a-f]{32}")) << "handle ids carry no prefix";
}

TEST(BrokerId, TheReferenceOfASessionIdIsTheReferenceOfItsSecretPart) {
  // Audit records name a session by RedactId(id); free text quoting the id
  // has its 32 hex digits replaced: both must give the same reference.
  const std::string secret = "0123456789abcdef0123456789abcdef";
  const std::string id = "orbd-a~0badcafe." + secret;
  EXPECT_EQ(broker::RedactId(id), broker::RedactId(secret));
  EXPECT_EQ(broker::RedactIdsInText("session " + id),
            "session orbd-a~0badcafe.<id:" + broker::RedactId(id) + ">");
}

TEST(BrokerId, ASessionOfAnEarlierRunIsBrokerRestarted) {
  Harness first(kBasePolicy, nullptr, nullptr, Named("orbd-a", "00000001"));
  Client bob(first, Bob());
  bob.Open();
  Harness restarted(kBasePolicy, nullptr, nullptr, Named("orbd-a", "00000002"));
  Client again(restarted, Bob());
  again.set_session(bob.session());
  absl::Status s = again.Get(bob.root(), "title").status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound, HasSubstr("restarted")));
  EXPECT_THAT(std::string(s.message()), HasSubstr("open a new session"));
  EXPECT_EQ(Reason(s), "BROKER_RESTARTED");
}

TEST(BrokerId, ASessionOfAnotherBrokerIsNotFoundLikeAnUnknownOne) {
  Harness a(kBasePolicy, nullptr, nullptr, Named("orbd-a"));
  Harness b(kBasePolicy, nullptr, nullptr, Named("orbd-b"));
  Client bob(a, Bob());
  bob.Open();
  Client at_b(b, Bob());
  at_b.set_session(bob.session());
  absl::Status foreign = at_b.Get(bob.root(), "title").status();
  at_b.set_session("orbd-b~" + b.core().incarnation() + ".0123456789abcdef0123456789abcdef");
  absl::Status unknown = at_b.Get(bob.root(), "title").status();
  at_b.set_session("0123456789abcdef0123456789abcdef");
  absl::Status unprefixed = at_b.Get(bob.root(), "title").status();
  EXPECT_THAT(foreign, StatusIs(absl::StatusCode::kNotFound, "session not found"));
  EXPECT_EQ(Reason(foreign), "SESSION_NOT_FOUND");
  for (const absl::Status& other : {unknown, unprefixed}) {
    EXPECT_EQ(foreign.message(), other.message());
    EXPECT_EQ(foreign.GetPayload(kErrorInfoTypeUrl), other.GetPayload(kErrorInfoTypeUrl));
  }
}

TEST(BrokerId, ACallRoutedForAnotherBrokerIsNotFoundAndChangesNothing) {
  Harness h(kBasePolicy, nullptr, nullptr, Named("orbd-a"));
  Client bob(h, Bob());
  bob.Open();
  Client mallory_route(h, Bob());
  mallory_route.set_session(bob.session());
  mallory_route.ctx().route = "orbd-b";
  absl::Status misrouted = mallory_route.Set(bob.root(), "title", Str("changed"));
  EXPECT_THAT(misrouted, StatusIs(absl::StatusCode::kNotFound, "session not found"));
  EXPECT_EQ(Reason(misrouted), "SESSION_NOT_FOUND");
  // Closing is refused the same way: the session lives on.
  v1::CloseSessionRequest close;
  close.set_session(bob.session());
  v1::CloseSessionResponse closed;
  EXPECT_THAT(h.core().CloseSession(mallory_route.ctx(), close, &closed),
              StatusIs(absl::StatusCode::kNotFound, "session not found"));
  EXPECT_EQ(h.core().session_count(), 1u);

  bob.ctx().route = "orbd-a";
  auto title = bob.Get(bob.root(), "title");
  ASSERT_TRUE(title.ok()) << title.status();
  EXPECT_EQ(title->string_value(), "Pyramid blog") << "the misrouted SetAttr did not run";
}

TEST(BrokerId, ACallWithoutRouteIsServed) {
  Harness h(kBasePolicy, nullptr, nullptr, Named("orbd-a"));
  Client bob(h, Bob());
  bob.Open();
  EXPECT_TRUE(bob.ctx().route.empty());
  EXPECT_TRUE(bob.Get(bob.root(), "title").ok());
}

}  // namespace
}  // namespace orb::testing
