#include "orb/policy/identity.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orb/policy/symbols.h"

namespace orb::policy {
namespace {

using ::testing::ElementsAre;

TEST(Identity, AnonymousHasOnlyEveryone) {
  Identity anonymous;
  EXPECT_FALSE(anonymous.authenticated());
  EXPECT_EQ(anonymous.method, "anonymous");
  Principals principals = anonymous.EffectivePrincipals();
  EXPECT_THAT(principals.as_given(), ElementsAre("system.Everyone"));
  EXPECT_TRUE(principals.Contains(SymbolTable::Global().Intern(kEveryone)));
  EXPECT_FALSE(principals.Contains(SymbolTable::Global().Intern(kAuthenticated)));
  EXPECT_EQ(anonymous.OwnerKey(), "anonymous");
}

TEST(Identity, AuthenticatedUserHasEveryoneAuthenticatedUseridAndGroupsInOrder) {
  Identity alice;
  alice.userid = "alice";
  alice.groups = {"group:editors", "group:staff"};
  alice.method = "bearer";
  EXPECT_TRUE(alice.authenticated());
  Principals principals = alice.EffectivePrincipals();
  EXPECT_THAT(principals.as_given(), ElementsAre("system.Everyone", "system.Authenticated",
                                                 "alice", "group:editors", "group:staff"));
  for (const char* name : {"system.Everyone", "system.Authenticated", "alice", "group:editors",
                           "group:staff"}) {
    EXPECT_TRUE(principals.Contains(SymbolTable::Global().Intern(name))) << name;
  }
  EXPECT_FALSE(principals.Contains(SymbolTable::Global().Intern("bob")));
}

TEST(Identity, OwnerKeyDependsOnlyOnTheUserid) {
  Identity by_token;
  by_token.userid = "alice";
  by_token.method = "bearer";
  Identity by_ticket;
  by_ticket.userid = "alice";
  by_ticket.method = "ticket";
  by_ticket.groups = {"group:x"};
  EXPECT_EQ(by_token.OwnerKey(), "user:alice");
  EXPECT_EQ(by_token.OwnerKey(), by_ticket.OwnerKey());
  Identity bob;
  bob.userid = "bob";
  EXPECT_NE(bob.OwnerKey(), by_token.OwnerKey());
  // A userid that spells the anonymous key still differs from anonymous.
  Identity tricky;
  tricky.userid = "anonymous";
  EXPECT_NE(tricky.OwnerKey(), Identity().OwnerKey());
}

}  // namespace
}  // namespace orb::policy
