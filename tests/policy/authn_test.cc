#include "orb/policy/authn.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "google/protobuf/text_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orb/v1/policy.pb.h"
#include "tests/testing/test_support.h"

namespace orb::policy {
namespace {

using ::orb::testing::IsOk;
using ::orb::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kAliceToken[] = "alice-demo-token";
constexpr char kBobToken[] = "bob-demo-token";
// 32 bytes of key, as hex.
constexpr char kKeyHex[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

std::string KeyBytes() {
  std::string key;
  EXPECT_TRUE(DecodeLowerHex(kKeyHex, &key));
  return key;
}

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

orb::v1::Policy ParsePolicy(const std::string& text) {
  orb::v1::Policy policy;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &policy)) << text;
  return policy;
}

orb::v1::Policy DemoPolicy() {
  orb::v1::Policy policy = ParsePolicy(R"pb(
    authentication {
      allow_anonymous: true
      tickets { max_lifetime_seconds: 7200 }
      mtls {}
    }
    user { userid: "alice" group: "group:editors" group: "group:staff" }
    user { userid: "bob" }
  )pb");
  auto* alice = policy.mutable_authentication()->add_bearer_token();
  alice->set_userid("alice");
  alice->set_sha256(Sha256Hex(kAliceToken));
  auto* bob = policy.mutable_authentication()->add_bearer_token();
  bob->set_userid("bob");
  bob->set_sha256(Sha256Hex(kBobToken));
  policy.mutable_authentication()->mutable_tickets()->set_hmac_key_hex(kKeyHex);
  return policy;
}

std::unique_ptr<const Authenticator> Make(const orb::v1::Policy& policy) {
  auto authenticator = Authenticator::Create(policy);
  EXPECT_THAT(authenticator, IsOk());
  return authenticator.ok() ? std::move(*authenticator) : nullptr;
}

CallCredentials Header(std::string value) {
  CallCredentials credentials;
  credentials.authorization = std::move(value);
  return credentials;
}

TEST(Sha256Hex, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ConstantTimeEquals, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
}

TEST(DecodeLowerHex, AcceptsOnlyLowerCaseEvenLength) {
  std::string bytes;
  EXPECT_TRUE(DecodeLowerHex("00ff7a", &bytes));
  EXPECT_EQ(bytes, std::string("\x00\xff\x7a", 3));
  EXPECT_FALSE(DecodeLowerHex("0", &bytes));
  EXPECT_FALSE(DecodeLowerHex("FF", &bytes));
  EXPECT_FALSE(DecodeLowerHex("zz", &bytes));
}

TEST(MintTicket, HasTheDocumentedShape) {
  std::string ticket = MintTicket("k", "alice", absl::FromUnixSeconds(1700003600));
  std::vector<std::string> parts = absl::StrSplit(ticket, '.');
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[0], "orb1");
  EXPECT_EQ(parts[1], "YWxpY2U");  // base64url("alice"), no padding
  EXPECT_EQ(parts[2], "1700003600");
  EXPECT_EQ(parts[3].size(), 64u);
}

TEST(Bearer, KnownTokensAuthenticateWithGroups) {
  auto authn = Make(DemoPolicy());
  auto alice = authn->Authenticate(Header(std::string("Bearer ") + kAliceToken), kNow);
  ASSERT_THAT(alice, IsOk());
  EXPECT_EQ(alice->userid, "alice");
  EXPECT_EQ(alice->method, "bearer");
  EXPECT_THAT(alice->groups, ElementsAre("group:editors", "group:staff"));

  auto bob = authn->Authenticate(Header(std::string("Bearer ") + kBobToken), kNow);
  ASSERT_THAT(bob, IsOk());
  EXPECT_EQ(bob->userid, "bob");
  EXPECT_THAT(bob->groups, IsEmpty());
}

TEST(Bearer, SchemeIsCaseInsensitive) {
  auto authn = Make(DemoPolicy());
  for (const char* scheme : {"bearer ", "BEARER ", "BeArEr   "}) {
    auto identity = authn->Authenticate(Header(scheme + std::string(kAliceToken)), kNow);
    ASSERT_THAT(identity, IsOk()) << scheme;
    EXPECT_EQ(identity->userid, "alice");
  }
}

TEST(Bearer, UnknownOrEmptyTokenIsRefusedNotAnonymous) {
  auto authn = Make(DemoPolicy());
  EXPECT_THAT(authn->Authenticate(Header("Bearer nope"), kNow),
              StatusIs(absl::StatusCode::kUnauthenticated, "unknown bearer token"));
  EXPECT_THAT(authn->Authenticate(Header("Bearer"), kNow),
              StatusIs(absl::StatusCode::kUnauthenticated, "empty bearer token"));
  EXPECT_THAT(authn->Authenticate(Header("Bearer    "), kNow),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(Bearer, NotConfigured) {
  orb::v1::Policy policy = DemoPolicy();
  policy.mutable_authentication()->clear_bearer_token();
  auto authn = Make(policy);
  EXPECT_THAT(authn->Authenticate(Header(std::string("Bearer ") + kAliceToken), kNow),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("bearer tokens are not configured")));
}

TEST(Authorization, UnsupportedSchemeNamesTheAcceptedOnes) {
  auto authn = Make(DemoPolicy());
  auto result = authn->Authenticate(Header("Basic YWxpY2U6cHc="), kNow);
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kUnauthenticated,
                               AllOf(HasSubstr("Bearer <token>"), HasSubstr("Ticket <ticket>"),
                                     Not(HasSubstr("Basic")), Not(HasSubstr("YWxp")))));
  // A bare token with no scheme: the "scheme" is the token, never echoed.
  result = authn->Authenticate(Header(kAliceToken), kNow);
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kUnauthenticated,
                               Not(HasSubstr(kAliceToken))));
}

TEST(Authorization, EmptyHeaderIsRefusedNotAnonymous) {
  auto authn = Make(DemoPolicy());
  ASSERT_TRUE(authn->allow_anonymous());
  CallCredentials empty;
  empty.has_authorization = true;
  EXPECT_THAT(authn->Authenticate(empty, kNow),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("empty authorization header")));
  EXPECT_THAT(authn->Authenticate(Header("   "), kNow),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("empty authorization header")));
}

TEST(Anonymous, AllowedOrRefused) {
  auto authn = Make(DemoPolicy());
  EXPECT_TRUE(authn->allow_anonymous());
  auto anonymous = authn->Authenticate(CallCredentials(), kNow);
  ASSERT_THAT(anonymous, IsOk());
  EXPECT_FALSE(anonymous->authenticated());
  EXPECT_EQ(anonymous->method, "anonymous");

  orb::v1::Policy policy = DemoPolicy();
  policy.mutable_authentication()->set_allow_anonymous(false);
  authn = Make(policy);
  EXPECT_FALSE(authn->allow_anonymous());
  EXPECT_THAT(authn->Authenticate(CallCredentials(), kNow),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       AllOf(HasSubstr("credentials required"), HasSubstr("Bearer <token>"),
                             HasSubstr("Ticket <ticket>"), HasSubstr("client certificate"))));

  authn = Make(orb::v1::Policy());
  EXPECT_THAT(authn->Authenticate(CallCredentials(), kNow),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("configures no way to authenticate")));
}

TEST(Ticket, ValidTicketAuthenticates) {
  auto authn = Make(DemoPolicy());
  std::string ticket = MintTicket(KeyBytes(), "alice", kNow + absl::Hours(1));
  auto identity = authn->Authenticate(Header("Ticket " + ticket), kNow);
  ASSERT_THAT(identity, IsOk());
  EXPECT_EQ(identity->userid, "alice");
  EXPECT_EQ(identity->method, "ticket");
  EXPECT_THAT(identity->groups, ElementsAre("group:editors", "group:staff"));
  // Scheme case-insensitive.
  EXPECT_THAT(authn->Authenticate(Header("ticket " + ticket), kNow), IsOk());
}

TEST(Ticket, UserNotInUsersTableAuthenticatesWithoutGroups) {
  auto authn = Make(DemoPolicy());
  std::string ticket = MintTicket(KeyBytes(), "carol@example.com", kNow + absl::Minutes(5));
  auto identity = authn->Authenticate(Header("Ticket " + ticket), kNow);
  ASSERT_THAT(identity, IsOk());
  EXPECT_EQ(identity->userid, "carol@example.com");
  EXPECT_THAT(identity->groups, IsEmpty());
}

TEST(Ticket, ExpiredTicketNamesTheExpiry) {
  auto authn = Make(DemoPolicy());
  std::string ticket = MintTicket(KeyBytes(), "alice", absl::FromUnixSeconds(1699999999));
  EXPECT_THAT(authn->Authenticate(Header("Ticket " + ticket), kNow),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "ticket expired at 2023-11-14T22:13:19Z"));
  // Expiring exactly now is expired.
  ticket = MintTicket(KeyBytes(), "alice", kNow);
  EXPECT_THAT(authn->Authenticate(Header("Ticket " + ticket), kNow),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("expired")));
}

TEST(Ticket, LifetimeBeyondMaximumIsRefused) {
  auto authn = Make(DemoPolicy());  // max 7200 s
  EXPECT_THAT(authn->Authenticate(
                  Header("Ticket " + MintTicket(KeyBytes(), "alice", kNow + absl::Seconds(7200))),
                  kNow),
              IsOk());
  EXPECT_THAT(authn->Authenticate(
                  Header("Ticket " + MintTicket(KeyBytes(), "alice", kNow + absl::Seconds(7201))),
                  kNow),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("maximum ticket lifetime of 7200 seconds")));
}

TEST(Ticket, DefaultMaximumLifetimeIsOneDay) {
  orb::v1::Policy policy = DemoPolicy();
  policy.mutable_authentication()->mutable_tickets()->clear_max_lifetime_seconds();
  auto authn = Make(policy);
  EXPECT_THAT(authn->Authenticate(
                  Header("Ticket " + MintTicket(KeyBytes(), "alice", kNow + absl::Hours(24))),
                  kNow),
              IsOk());
  EXPECT_THAT(authn->Authenticate(
                  Header("Ticket " + MintTicket(KeyBytes(), "alice", kNow + absl::Hours(25))),
                  kNow),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("86400 seconds")));
}

TEST(Ticket, ForgedOrAlteredTicketsAreRefused) {
  auto authn = Make(DemoPolicy());
  std::string good = MintTicket(KeyBytes(), "bob", kNow + absl::Hours(1));
  // Signed with another key.
  std::string other_key(32, 'x');
  EXPECT_THAT(authn->Authenticate(
                  Header("Ticket " + MintTicket(other_key, "bob", kNow + absl::Hours(1))), kNow),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("signature does not verify")));
  // Userid swapped for alice's, signature kept.
  std::vector<std::string> parts = absl::StrSplit(good, '.');
  std::string swapped = absl::StrCat("orb1.YWxpY2U.", parts[2], ".", parts[3]);
  EXPECT_THAT(authn->Authenticate(Header("Ticket " + swapped), kNow),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("signature does not verify")));
  // Expiry extended, signature kept.
  std::string extended = absl::StrCat("orb1.", parts[1], ".1700003601.", parts[3]);
  EXPECT_THAT(authn->Authenticate(Header("Ticket " + extended), kNow),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("signature does not verify")));
}

TEST(Ticket, MalformedTicketsSayWhatIsWrong) {
  auto authn = Make(DemoPolicy());
  std::string good = MintTicket(KeyBytes(), "bob", kNow + absl::Hours(1));
  std::vector<std::string> parts = absl::StrSplit(good, '.');
  struct Case {
    std::string ticket;
    std::string message;
  } cases[] = {
      {"garbage", "malformed ticket: expected orb1."},
      {"a.b.c", "malformed ticket: expected orb1."},
      {good + ".x", "malformed ticket: expected orb1."},
      {"orb2." + parts[1] + "." + parts[2] + "." + parts[3], "unsupported ticket version"},
      {"orb1.." + parts[2] + "." + parts[3], "userid part"},
      {"orb1.!!." + parts[2] + "." + parts[3], "userid part"},
      {"orb1." + parts[1] + ".-5." + parts[3], "expiry part"},
      {"orb1." + parts[1] + ".12x." + parts[3], "expiry part"},
      {"orb1." + parts[1] + ".99999999999999999999." + parts[3], "expiry part"},
      {"orb1." + parts[1] + "." + parts[2] + "." + absl::AsciiStrToUpper(parts[3]),
       "signature part"},
      {"orb1." + parts[1] + "." + parts[2] + ".abc", "signature part"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(authn->Authenticate(Header("Ticket " + c.ticket), kNow),
                StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr(c.message)))
        << c.ticket;
  }
  EXPECT_THAT(authn->Authenticate(Header("Ticket "), kNow),
              StatusIs(absl::StatusCode::kUnauthenticated, "empty ticket"));
}

TEST(Ticket, ReservedUseridIsRefused) {
  auto authn = Make(DemoPolicy());
  std::string ticket = MintTicket(KeyBytes(), "system.Everyone", kNow + absl::Hours(1));
  EXPECT_THAT(authn->Authenticate(Header("Ticket " + ticket), kNow),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("reserved")));
}

TEST(Ticket, NotConfigured) {
  orb::v1::Policy policy = DemoPolicy();
  policy.mutable_authentication()->clear_tickets();
  auto authn = Make(policy);
  std::string ticket = MintTicket(KeyBytes(), "bob", kNow + absl::Hours(1));
  EXPECT_THAT(authn->Authenticate(Header("Ticket " + ticket), kNow),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("tickets are not configured")));
}

CallCredentials Peer(std::string cn, std::vector<std::string> dns = {},
                     std::vector<std::string> uri = {}, std::vector<std::string> email = {}) {
  CallCredentials credentials;
  credentials.peer.verified = true;
  credentials.peer.subject_cn = std::move(cn);
  credentials.peer.san_dns = std::move(dns);
  credentials.peer.san_uri = std::move(uri);
  credentials.peer.san_email = std::move(email);
  return credentials;
}

TEST(Mtls, SubjectCommonNameByDefault) {
  auto authn = Make(DemoPolicy());
  auto identity = authn->Authenticate(Peer("alice"), kNow);
  ASSERT_THAT(identity, IsOk());
  EXPECT_EQ(identity->userid, "alice");
  EXPECT_EQ(identity->method, "mtls");
  EXPECT_THAT(identity->groups, ElementsAre("group:editors", "group:staff"));
  EXPECT_THAT(authn->Authenticate(Peer(""), kNow),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("has no subject common name")));
}

TEST(Mtls, SubjectAltNamesTakeTheFirst) {
  orb::v1::Policy policy = DemoPolicy();
  policy.mutable_authentication()->mutable_mtls()->set_userid_from(orb::v1::MtlsAuth::SAN_DNS);
  auto identity = Make(policy)->Authenticate(Peer("cn", {"a.example", "b.example"}), kNow);
  ASSERT_THAT(identity, IsOk());
  EXPECT_EQ(identity->userid, "a.example");

  policy.mutable_authentication()->mutable_mtls()->set_userid_from(orb::v1::MtlsAuth::SAN_URI);
  identity = Make(policy)->Authenticate(Peer("cn", {}, {"spiffe://x/y"}), kNow);
  ASSERT_THAT(identity, IsOk());
  EXPECT_EQ(identity->userid, "spiffe://x/y");

  policy.mutable_authentication()->mutable_mtls()->set_userid_from(orb::v1::MtlsAuth::SAN_EMAIL);
  identity = Make(policy)->Authenticate(Peer("cn", {}, {}, {"bob@example.com"}), kNow);
  ASSERT_THAT(identity, IsOk());
  EXPECT_EQ(identity->userid, "bob@example.com");
  EXPECT_THAT(Make(policy)->Authenticate(Peer("cn"), kNow),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("has no e-mail subjectAltName")));
}

TEST(Mtls, MapTranslatesAndRefusesUnmapped) {
  orb::v1::Policy policy = DemoPolicy();
  auto* m = policy.mutable_authentication()->mutable_mtls()->add_map();
  m->set_certificate_name("CN-Alice-Laptop");
  m->set_userid("alice");
  auto authn = Make(policy);
  auto identity = authn->Authenticate(Peer("CN-Alice-Laptop"), kNow);
  ASSERT_THAT(identity, IsOk());
  EXPECT_EQ(identity->userid, "alice");
  EXPECT_THAT(authn->Authenticate(Peer("alice"), kNow),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("is not mapped")));
}

TEST(Mtls, UnverifiedOrUnconfiguredCertificateIsNotUsed) {
  auto authn = Make(DemoPolicy());
  CallCredentials unverified = Peer("alice");
  unverified.peer.verified = false;
  auto identity = authn->Authenticate(unverified, kNow);
  ASSERT_THAT(identity, IsOk());
  EXPECT_FALSE(identity->authenticated());

  orb::v1::Policy policy = DemoPolicy();
  policy.mutable_authentication()->clear_mtls();
  identity = Make(policy)->Authenticate(Peer("alice"), kNow);
  ASSERT_THAT(identity, IsOk());
  EXPECT_FALSE(identity->authenticated());
}

TEST(OneCredential, HeaderWithAVerifiedCertificateIsRefused) {
  auto authn = Make(DemoPolicy());
  CallCredentials both = Peer("alice");
  both.authorization = std::string("Bearer ") + kBobToken;
  both.has_authorization = true;
  both.authorization_count = 1;
  EXPECT_THAT(authn->Authenticate(both, kNow),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("two credentials")));
  both.authorization = "Bearer wrong";
  EXPECT_THAT(authn->Authenticate(both, kNow), StatusIs(absl::StatusCode::kUnauthenticated));
  // Without the header, the certificate alone authenticates.
  EXPECT_EQ(authn->Authenticate(Peer("alice"), kNow)->userid, "alice");
}

TEST(OneCredential, TwoAuthorizationEntriesAreRefusedWhateverTheFirst) {
  auto authn = Make(DemoPolicy());
  // A valid token first, then a wrong one, a Basic header, a ticket.
  CallCredentials two = Header(std::string("Bearer ") + kAliceToken);
  two.has_authorization = true;
  two.authorization_count = 2;
  auto refused = authn->Authenticate(two, kNow);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kUnauthenticated,
                                HasSubstr("2 authorization headers")));
  EXPECT_THAT(std::string(refused.status().message()), Not(HasSubstr(kAliceToken)));
}

TEST(OneCredential, AMiscasedAuthorizationHeaderIsRefusedNotAnonymous) {
  auto authn = Make(DemoPolicy());  // allows anonymous callers
  CallCredentials miscased;
  miscased.miscased_header = "Authorization";
  EXPECT_THAT(authn->Authenticate(miscased, kNow),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("'Authorization'")));
  // Also next to a valid lower-case header.
  miscased.authorization = std::string("Bearer ") + kAliceToken;
  miscased.has_authorization = true;
  miscased.authorization_count = 1;
  EXPECT_THAT(authn->Authenticate(miscased, kNow), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(Create, RefusesMalformedSecretsWithoutNamingThem) {
  orb::v1::Policy policy = DemoPolicy();
  const std::string bad_hash = absl::AsciiStrToUpper(Sha256Hex(kAliceToken));
  policy.mutable_authentication()->mutable_bearer_token(0)->set_sha256(bad_hash);
  EXPECT_THAT(Authenticator::Create(policy),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("bearer_token[0].sha256"), Not(HasSubstr(bad_hash)))));
  policy = DemoPolicy();
  policy.mutable_authentication()->mutable_tickets()->set_hmac_key_hex("abcd");
  EXPECT_THAT(Authenticator::Create(policy),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("hmac_key_hex"), Not(HasSubstr("abcd")))));
}

// Every error message any failing call produces is checked for every secret.
TEST(Secrets, NeverAppearInErrorMessages) {
  orb::v1::Policy policy = DemoPolicy();
  policy.mutable_authentication()->set_allow_anonymous(false);
  auto authn = Make(policy);
  const std::string key = KeyBytes();
  const std::string good_ticket = MintTicket(key, "alice", kNow + absl::Hours(1));
  const std::string expired_ticket = MintTicket(key, "alice", kNow - absl::Hours(1));
  const std::string long_ticket = MintTicket(key, "alice", kNow + absl::Hours(100));
  const std::string forged_ticket = MintTicket("other-key-other-key-other-key-00", "alice",
                                               kNow + absl::Hours(1));
  std::vector<std::string> secrets = {kAliceToken,
                                      kBobToken,
                                      Sha256Hex(kAliceToken),
                                      Sha256Hex(kBobToken),
                                      kKeyHex,
                                      key,
                                      good_ticket,
                                      expired_ticket,
                                      long_ticket,
                                      forged_ticket,
                                      good_ticket.substr(good_ticket.rfind('.') + 1),
                                      expired_ticket.substr(expired_ticket.rfind('.') + 1),
                                      "alice-demo-tokenX",
                                      "wrong-token-value"};
  std::vector<std::string> headers = {
      "Bearer alice-demo-tokenX",
      "Bearer wrong-token-value",
      "alice-demo-token",
      "alice-demo-token extra",
      "Token alice-demo-token",
      "Basic alice-demo-token",
      "Ticket " + expired_ticket,
      "Ticket " + long_ticket,
      "Ticket " + forged_ticket,
      "Ticket " + good_ticket + "0",
      "Ticket " + good_ticket.substr(0, good_ticket.size() - 1),
      "Ticket alice-demo-token",
      "Bearer " + good_ticket,
      good_ticket,
      "",
  };
  int errors = 0;
  for (const std::string& header : headers) {
    auto result = authn->Authenticate(Header(header), kNow);
    ASSERT_FALSE(result.ok()) << header;
    ++errors;
    const std::string message(result.status().message());
    for (const std::string& secret : secrets) {
      EXPECT_THAT(message, Not(HasSubstr(secret))) << "header: " << header;
    }
  }
  EXPECT_EQ(errors, static_cast<int>(headers.size()));
}

}  // namespace
}  // namespace orb::policy
