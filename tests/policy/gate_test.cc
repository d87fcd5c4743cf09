// The gate: OLP then ACL, one decision, with the deciding permission and an
// explanation. This binary replaces the global operator new to count
// allocations, so the decision path can be shown to allocate nothing.
#include "policy/gate.h"

#include <atomic>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orb/policy/acl.h"
#include "orb/policy/olp.h"
#include "orb/policy/symbols.h"
#include "tests/testing/allocation_counting.h"
#include "tests/testing/joining_thread.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

ORB_REPLACE_OPERATOR_NEW_COUNTING(g_allocations)

namespace orb::policy {
namespace {

using ::orb::testing::JoiningThread;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr View kInst = View::kInstance;
constexpr View kCls = View::kClass;
constexpr Op kGet = Op::kGetAttr;
constexpr Op kSet = Op::kSetAttr;
constexpr Op kCall = Op::kCall;

Lock P(absl::string_view permission) { return Lock::Permission(permission); }

SymbolId Id(absl::string_view permission) { return SymbolTable::Global().Intern(permission); }

// A blog entry owned by alice, under a blog where editors may edit and
// everyone may view. alice: view (blog), edit and delete (entry). bob: view.
// "admin" is denied to everyone on the entry.
class Gate : public ::testing::Test {
 protected:
  AccessRequest Request(View v, Op o, absl::string_view name, const Principals* who) const {
    AccessRequest r;
    r.view = v;
    r.op = o;
    r.name = name;
    r.lineage = absl::MakeConstSpan(lineage_);
    r.principals = who;
    r.session_id = "session-1";
    return r;
  }
  GateDecision As(const Principals& who, const Olp& olp, absl::string_view name,
                  Op o = kGet) const {
    return Decide(olp, Request(kInst, o, name, &who));
  }

  AclPtr entry_acl_ = Acl::Compile({AceSpec::Deny(std::string(kEveryone), "admin"),
                                    AceSpec::Allow("alice", std::vector<std::string>{"edit",
                                                                                     "delete"})});
  AclPtr blog_acl_ = Acl::Compile({AceSpec::Allow(std::string(kEveryone), "view"),
                                   AceSpec::Allow("group:editors", "edit")});
  std::vector<LineageNode> lineage_ = {LineageNode{entry_acl_.get(), "entry-1", "Entry"},
                                       LineageNode{nullptr, "entries", "Folder"},
                                       LineageNode{blog_acl_.get(), "blog", "Blog"}};
  const Principals alice_{{std::string(kEveryone), std::string(kAuthenticated), "alice"}};
  const Principals bob_{{std::string(kEveryone), std::string(kAuthenticated), "bob"}};
};

// A custom lock that records how often it ran and answers `answer`.
Lock Counting(std::string display, int* calls, bool answer) {
  return Lock::Custom(std::move(display), [calls, answer](const LockQuery&) {
    ++*calls;
    return answer;
  });
}

// --- Outcomes --------------------------------------------------------------

TEST_F(Gate, AllowedWhenAclGrantsPermission) {
  const OlpPtr olp = Olp::Builder().Expose(kInst, kGet, "title", P("view")).Build();
  const GateDecision d = As(bob_, *olp, "title");
  EXPECT_EQ(d.outcome, GateOutcome::kAllowed);
  EXPECT_TRUE(d.allowed());
  EXPECT_EQ(d.permission, Id("view"));
  EXPECT_TRUE(d.acl.allowed());
  // Granted by the blog's ACL, two nodes up the lineage.
  EXPECT_EQ(d.acl.acl_node(), 2);
  EXPECT_EQ(d.acl.ace_index(), 0);
}

TEST_F(Gate, DeniedWhenAclRefusesPermission) {
  const OlpPtr olp = Olp::Builder().Expose(kInst, kSet, "title", P("edit")).Build();
  const GateDecision d = As(bob_, *olp, "title", kSet);
  EXPECT_EQ(d.outcome, GateOutcome::kDenied);
  EXPECT_FALSE(d.allowed());
  EXPECT_EQ(d.permission, Id("edit"));
  EXPECT_FALSE(d.acl.allowed());
  EXPECT_TRUE(d.acl.default_deny());

  // An explicit Deny ACE is reported as such.
  const OlpPtr admin = Olp::Builder().Expose(kInst, kGet, "audit", P("admin")).Build();
  const GateDecision denied = As(alice_, *admin, "audit");
  EXPECT_EQ(denied.outcome, GateOutcome::kDenied);
  EXPECT_EQ(denied.permission, Id("admin"));
  EXPECT_FALSE(denied.acl.default_deny());
  EXPECT_EQ(denied.acl.acl_node(), 0);
  EXPECT_EQ(denied.acl.ace_index(), 0);
}

TEST_F(Gate, SamePermissionDecidedPerPrincipal) {
  const OlpPtr olp = Olp::Builder().Expose(kInst, kCall, "delete", P("delete")).Build();
  EXPECT_EQ(As(alice_, *olp, "delete", kCall).outcome, GateOutcome::kAllowed);
  EXPECT_EQ(As(bob_, *olp, "delete", kCall).outcome, GateOutcome::kDenied);
}

TEST_F(Gate, NotExposedNeverConsultsAcl) {
  int and_calls = 0;
  const OlpPtr olp = Olp::Builder()
                         .Expose(kInst, kGet, "title", P("view"))
                         .Expose(kInst, kGet, "&", Counting("audit", &and_calls, true))
                         .Build();
  const GateDecision d = As(alice_, *olp, "body");
  EXPECT_EQ(d.outcome, GateOutcome::kNotExposed);
  EXPECT_EQ(d.permission, kNoSymbol);
  // A result that came from Permits() over this lineage would name the
  // node whose ACL it reports; an untouched one names none.
  EXPECT_EQ(d.acl.msg_acl_node(), -1);
  EXPECT_EQ(and_calls, 0);
  EXPECT_FALSE(d.locks.exposed());

  // The same name on the class view, and a hidden "_" name, likewise.
  EXPECT_EQ(Decide(*olp, Request(kCls, kGet, "title", &alice_)).outcome,
            GateOutcome::kNotExposed);
  EXPECT_EQ(As(alice_, *olp, "_title").outcome, GateOutcome::kNotExposed);
  EXPECT_EQ(and_calls, 0);
}

TEST_F(Gate, NotExposedIsTheSameForEveryCaller) {
  // Whether a name exists must not depend on who asks (no probing oracle).
  const OlpPtr olp = Olp::Builder().Expose(kInst, kGet, "title", P("admin")).Build();
  const Principals nobody;
  for (const Principals* who : {&alice_, &bob_, &nobody}) {
    EXPECT_EQ(As(*who, *olp, "secret").outcome, GateOutcome::kNotExposed);
    EXPECT_EQ(As(*who, *olp, "title").outcome, GateOutcome::kDenied);
  }
}

TEST_F(Gate, NoPermissionRequiredAllowsWithoutAcl) {
  const OlpPtr olp =
      Olp::Builder().Expose(kInst, kGet, "version", Lock::NoPermissionRequired()).Build();
  const Principals nobody;
  const GateDecision d = As(nobody, *olp, "version");
  EXPECT_EQ(d.outcome, GateOutcome::kAllowed);
  EXPECT_EQ(d.permission, kNoSymbol);
}

TEST_F(Gate, NullPrincipalsOrEmptyLineageFailClosed) {
  const OlpPtr olp = Olp::Builder().Expose(kInst, kGet, "title", P("view")).Build();
  AccessRequest no_principals = Request(kInst, kGet, "title", nullptr);
  EXPECT_EQ(Decide(*olp, no_principals).outcome, GateOutcome::kDenied);
  AccessRequest no_lineage = Request(kInst, kGet, "title", &alice_);
  no_lineage.lineage = {};
  const GateDecision d = Decide(*olp, no_lineage);
  EXPECT_EQ(d.outcome, GateOutcome::kDenied);
  EXPECT_EQ(d.permission, kNoSymbol);
}

// --- Custom locks ----------------------------------------------------------

TEST_F(Gate, ThrowingCustomLockFailsClosed) {
  const OlpPtr olp =
      Olp::Builder()
          .Expose(kInst, kGet, "title",
                  Lock::Custom("explodes",
                               [](const LockQuery&) -> absl::StatusOr<bool> {
                                 throw std::runtime_error("lock failure");
                               }))
          .Expose(kInst, kGet, "body",
                  Lock::Custom("throws_int",
                               [](const LockQuery&) -> absl::StatusOr<bool> { throw 42; }))
          .Build();
  GateDecision d;
  EXPECT_NO_THROW(d = As(alice_, *olp, "title"));
  EXPECT_EQ(d.outcome, GateOutcome::kDenied);
  EXPECT_NO_THROW(d = As(alice_, *olp, "body"));
  EXPECT_EQ(d.outcome, GateOutcome::kDenied);
}

TEST_F(Gate, ErroringCustomLockFailsClosed) {
  const OlpPtr olp =
      Olp::Builder()
          .Expose(kInst, kGet, "title",
                  Lock::Custom("unavailable",
                               [](const LockQuery&) -> absl::StatusOr<bool> {
                                 return absl::UnavailableError("directory down");
                               }))
          .Expose(kInst, kGet, "body", Lock::Custom("no_predicate", nullptr))
          .Build();
  EXPECT_EQ(As(alice_, *olp, "title").outcome, GateOutcome::kDenied);
  EXPECT_EQ(As(alice_, *olp, "body").outcome, GateOutcome::kDenied);
}

TEST_F(Gate, LockSeesPrincipalsAndSession) {
  LockQuery seen;
  std::vector<std::string> principals_seen;
  std::string session_seen, name_seen;
  const OlpPtr olp =
      Olp::Builder()
          .Expose(kCls, kSet, "limit",
                  Lock::Custom("record",
                               [&](const LockQuery& c) -> absl::StatusOr<bool> {
                                 seen = c;
                                 principals_seen = c.principals->as_given();
                                 session_seen = std::string(c.session_id);
                                 name_seen = std::string(c.name);
                                 return true;
                               }))
          .Build();
  const GateDecision d = Decide(*olp, Request(kCls, kSet, "limit", &bob_));
  EXPECT_EQ(d.outcome, GateOutcome::kAllowed);
  EXPECT_EQ(seen.principals, &bob_);
  EXPECT_EQ(principals_seen, bob_.as_given());
  EXPECT_EQ(session_seen, "session-1");
  EXPECT_EQ(name_seen, "limit");
  EXPECT_EQ(seen.op, kSet);
  EXPECT_EQ(seen.view, kCls);
}

TEST_F(Gate, CustomLockCanDecideByCaller) {
  const SymbolId alice = SymbolTable::Global().Intern("alice");
  const OlpPtr olp =
      Olp::Builder()
          .Expose(kInst, kGet, "diary", Lock::Custom("is_alice", [alice](const LockQuery& c) {
                    return c.principals->Contains(alice);
                  }))
          .Build();
  EXPECT_EQ(As(alice_, *olp, "diary").outcome, GateOutcome::kAllowed);
  EXPECT_EQ(As(bob_, *olp, "diary").outcome, GateOutcome::kDenied);
}

// --- Short-circuits --------------------------------------------------------

TEST_F(Gate, AllOfStopsAtFirstFailureAnyOfAtFirstSuccess) {
  int after_failure = 0, after_success = 0;
  const OlpPtr olp =
      Olp::Builder()
          .Expose(kInst, kGet, "a",
                  Lock::AllOf({P("view"), P("admin"), Counting("later", &after_failure, true)}))
          .Expose(kInst, kGet, "b",
                  Lock::AnyOf({P("admin"), P("view"), Counting("later", &after_success, true)}))
          .Build();
  EXPECT_EQ(As(bob_, *olp, "a").outcome, GateOutcome::kDenied);
  EXPECT_EQ(As(bob_, *olp, "b").outcome, GateOutcome::kAllowed);
  EXPECT_EQ(after_failure, 0);
  EXPECT_EQ(after_success, 0);
}

TEST_F(Gate, AmpersandOnlyAfterOwnHoldsPipeOnlyAfterFailure) {
  int amp = 0, pipe = 0;
  const OlpPtr olp = Olp::Builder()
                         .Expose(kInst, kGet, "open", P("view"))
                         .Expose(kInst, kGet, "shut", P("admin"))
                         .Expose(kInst, kGet, "&", Counting("amp", &amp, true))
                         .Expose(kInst, kGet, "|", Counting("pipe", &pipe, false))
                         .Build();
  EXPECT_EQ(As(bob_, *olp, "open").outcome, GateOutcome::kAllowed);
  EXPECT_EQ(amp, 1);
  EXPECT_EQ(pipe, 0);
  EXPECT_EQ(As(bob_, *olp, "shut").outcome, GateOutcome::kDenied);
  EXPECT_EQ(amp, 1);  // own lock failed: "&" not asked
  EXPECT_EQ(pipe, 1);
}

// --- Which permission is reported ------------------------------------------

TEST_F(Gate, DenialReportsFirstFailingPermissionOfAllOf) {
  const OlpPtr olp = Olp::Builder()
                         .Expose(kInst, kGet, "x", Lock::AllOf({P("view"), P("admin"), P("edit")}))
                         .Build();
  const GateDecision d = As(alice_, *olp, "x");
  EXPECT_EQ(d.outcome, GateOutcome::kDenied);
  EXPECT_EQ(d.permission, Id("admin"));
  EXPECT_FALSE(d.acl.allowed());
}

TEST_F(Gate, AllowReportsFirstGrantOfAnyOf) {
  const OlpPtr olp = Olp::Builder()
                         .Expose(kInst, kGet, "x", Lock::AnyOf({P("admin"), P("edit"), P("view")}))
                         .Build();
  const GateDecision d = As(alice_, *olp, "x");
  EXPECT_EQ(d.outcome, GateOutcome::kAllowed);
  EXPECT_EQ(d.permission, Id("edit"));
  EXPECT_TRUE(d.acl.allowed());
}

TEST_F(Gate, AllowReportsLastGrantOfAllOf) {
  const OlpPtr olp =
      Olp::Builder()
          .Expose(kInst, kGet, "x",
                  Lock::AllOf({P("view"), P("edit"), Lock::NoPermissionRequired()}))
          .Build();
  const GateDecision d = As(alice_, *olp, "x");
  EXPECT_EQ(d.outcome, GateOutcome::kAllowed);
  EXPECT_EQ(d.permission, Id("edit"));
}

TEST_F(Gate, DenialReportsLastRefusalOfFailedAnyOf) {
  const OlpPtr olp = Olp::Builder()
                         .Expose(kInst, kGet, "x",
                                 Lock::AnyOf({P("admin"), P("delete"), Lock::Blocked()}))
                         .Build();
  const GateDecision d = As(bob_, *olp, "x");
  EXPECT_EQ(d.outcome, GateOutcome::kDenied);
  EXPECT_EQ(d.permission, Id("delete"));
  EXPECT_FALSE(d.acl.allowed());
}

TEST_F(Gate, CustomRefusalReportsNoPermission) {
  int calls = 0;
  const OlpPtr olp =
      Olp::Builder()
          .Expose(kInst, kGet, "x", Lock::AllOf({P("view"), Counting("closed", &calls, false)}))
          .Build();
  const GateDecision d = As(alice_, *olp, "x");
  EXPECT_EQ(d.outcome, GateOutcome::kDenied);
  EXPECT_EQ(d.permission, kNoSymbol);
  EXPECT_EQ(calls, 1);
}

TEST_F(Gate, AmpersandRefusalIsReported) {
  const OlpPtr olp = Olp::Builder()
                         .Expose(kInst, kGet, "title", P("view"))
                         .Expose(kInst, kGet, "&", P("edit"))
                         .Build();
  const GateDecision d = As(bob_, *olp, "title");
  EXPECT_EQ(d.outcome, GateOutcome::kDenied);
  EXPECT_EQ(d.permission, Id("edit"));
  // When both hold, the last grant ("&") is reported.
  EXPECT_EQ(As(alice_, *olp, "title").permission, Id("edit"));
}

TEST_F(Gate, PipeGrantIsReported) {
  const OlpPtr olp = Olp::Builder()
                         .Expose(kInst, kGet, "title", P("admin"))
                         .Expose(kInst, kGet, "|", P("delete"))
                         .Build();
  const GateDecision allowed = As(alice_, *olp, "title");
  EXPECT_EQ(allowed.outcome, GateOutcome::kAllowed);
  EXPECT_EQ(allowed.permission, Id("delete"));
  const GateDecision denied = As(bob_, *olp, "title");
  EXPECT_EQ(denied.outcome, GateOutcome::kDenied);
  EXPECT_EQ(denied.permission, Id("delete"));  // the last refusal
}

TEST_F(Gate, RestrictedOlpDecidesAndReportsLikeTheOriginal) {
  const OlpPtr olp = Olp::Builder()
                         .Expose(kInst, kGet, "title", P("view"))
                         .Expose(kInst, kGet, "notes", Lock::AllOf({P("edit"), P("view")}))
                         .Expose(kInst, kGet, "*", P("edit"))
                         .Expose(kInst, kGet, "&", Lock::AnyOf({P("admin"), P("view")}))
                         .Expose(kInst, kGet, "|", P("delete"))
                         .Expose(kInst, kGet, "_rev", P("edit"))
                         .Build();
  const std::vector<std::string> names = {"title", "notes", "other", "_rev", "_hidden"};
  Olp::NameSubset keep;
  keep[0][0] = names;
  const OlpPtr restricted = olp->Restrict(keep);
  const Principals nobody;
  for (const Principals* who : {&alice_, &bob_, &nobody}) {
    for (const std::string& name : names) {
      SCOPED_TRACE(name);
      const GateDecision a = As(*who, *olp, name);
      const GateDecision b = As(*who, *restricted, name);
      EXPECT_EQ(a.outcome, b.outcome);
      EXPECT_EQ(a.permission, b.permission);
    }
  }
}

// --- Explain ---------------------------------------------------------------

TEST_F(Gate, ExplainCarriesPyramidMessage) {
  const OlpPtr olp = Olp::Builder().Expose(kInst, kSet, "title", P("edit")).Build();
  const AccessRequest request = Request(kInst, kSet, "title", &bob_);
  const GateDecision d = Decide(*olp, request);
  const std::string pyramid = d.acl.Message(request.lineage, bob_.as_given(), "edit");
  ASSERT_THAT(pyramid, StartsWith("ACLDenied permission 'edit'"));
  EXPECT_EQ(d.Explain(request),
            "setattr instance 'title': denied; lock edit; permission 'edit'; " + pyramid);
}

TEST_F(Gate, ExplainShowsTheWholeLockAndTheGrant) {
  const OlpPtr olp = Olp::Builder()
                         .Expose(kInst, kGet, "title", Lock::AnyOf({P("admin"), P("view")}))
                         .Expose(kInst, kGet, "&", P("edit"))
                         .Expose(kInst, kGet, "|", P("delete"))
                         .Build();
  const AccessRequest request = Request(kInst, kGet, "title", &alice_);
  const std::string line = Decide(*olp, request).Explain(request);
  EXPECT_THAT(line, StartsWith("getattr instance 'title': allowed; "
                               "lock [[[admin | view] & edit] | delete]; permission 'edit'; "
                               "ACLAllowed permission 'edit' via ACE"));
}

TEST_F(Gate, ExplainForDecisionsWithoutAcl) {
  const OlpPtr olp = Olp::Builder()
                         .Expose(kCls, kCall, "create", Lock::NoPermissionRequired())
                         .Build();
  const AccessRequest allowed = Request(kCls, kCall, "create", &bob_);
  EXPECT_EQ(Decide(*olp, allowed).Explain(allowed),
            "call class 'create': allowed; lock NO_PERMISSION_REQUIRED; decided without the ACL");
  const AccessRequest hidden = Request(kCls, kCall, "destroy", &bob_);
  EXPECT_EQ(Decide(*olp, hidden).Explain(hidden), "call class 'destroy': not exposed");
}

TEST_F(Gate, ExplainEscapesTheNameToOneLine) {
  const OlpPtr olp = Olp::Builder().Expose(kInst, kGet, "*", P("view")).Build();
  const AccessRequest request = Request(kInst, kGet, "x\nFORGED allowed 'y'", &bob_);
  const std::string line = Decide(*olp, request).Explain(request);
  EXPECT_THAT(line, AllOf(Not(HasSubstr("\n")), HasSubstr("'x\\nFORGED allowed \\'y\\''")));
}

// --- Concurrency -----------------------------------------------------------

TEST_F(Gate, ConcurrentDecisionsOnOneSharedOlpAgree) {
  // An OLP is immutable and shared by every session's requests; Decide may
  // run on it from many threads at once (run under ThreadSanitizer in CI).
  const OlpPtr olp = Olp::Builder()
                         .Expose(kInst, kGet, "title", P("view"))
                         .Expose(kInst, kSet, "title", P("edit"))
                         .Expose(kInst, kGet, "*", Lock::AnyOf({P("admin"), P("edit")}))
                         .Build();
  constexpr int kThreads = 4;
  constexpr int kRounds = 2000;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<JoiningThread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const Principals& who = t % 2 == 0 ? alice_ : bob_;
      const GateOutcome set_expected = t % 2 == 0 ? GateOutcome::kAllowed : GateOutcome::kDenied;
      for (int i = 0; i < kRounds; ++i) {
        if (As(who, *olp, "title").outcome != GateOutcome::kAllowed) ++mismatches[t];
        if (As(who, *olp, "title", kSet).outcome != set_expected) ++mismatches[t];
        if (As(who, *olp, "body").outcome != set_expected) ++mismatches[t];
        if (As(who, *olp, "_x").outcome != GateOutcome::kNotExposed) ++mismatches[t];
      }
    });
  }
  for (JoiningThread& th : threads) th.Join();
  EXPECT_EQ(mismatches, std::vector<int>(kThreads, 0));
}

// --- Allocation ------------------------------------------------------------

TEST_F(Gate, AllowAndDenyPathsAllocateNothing) {
  ORB_SKIP_UNLESS_COUNTING_ALLOCATIONS();
  const OlpPtr olp =
      Olp::Builder()
          .Expose(kInst, kGet, "title", P("view"))
          .Expose(kInst, kSet, "title", Lock::AllOf({P("view"), Lock::AnyOf({P("admin"), P("edit")})}))
          .Expose(kInst, kGet, "*", P("edit"))
          .Expose(kInst, kGet, "&", Lock::AllOf({}))
          .Expose(kInst, kGet, "|", P("delete"))
          .Expose(kInst, kCall, "publish", Lock::AnyOf({P("admin"), P("publish")}))
          .Build();
  const std::vector<AccessRequest> requests = {
      Request(kInst, kGet, "title", &bob_),       // allowed
      Request(kInst, kGet, "title", &alice_),     // allowed
      Request(kInst, kGet, "body", &bob_),        // denied ("*" then "|")
      Request(kInst, kGet, "body", &alice_),      // allowed by "*"
      Request(kInst, kSet, "title", &alice_),     // allowed, nested lists
      Request(kInst, kSet, "title", &bob_),       // denied, nested lists
      Request(kInst, kCall, "publish", &alice_),  // denied, ACL default deny
      Request(kInst, kCall, "missing", &alice_),  // not exposed
  };
  std::vector<GateOutcome> outcomes(requests.size());
  const long before = g_allocations.load();
  for (size_t i = 0; i < requests.size(); ++i) outcomes[i] = Decide(*olp, requests[i]).outcome;
  const long after = g_allocations.load();
  EXPECT_EQ(after - before, 0);
  EXPECT_EQ(outcomes, (std::vector<GateOutcome>{
                          GateOutcome::kAllowed, GateOutcome::kAllowed, GateOutcome::kDenied,
                          GateOutcome::kAllowed, GateOutcome::kAllowed, GateOutcome::kDenied,
                          GateOutcome::kDenied, GateOutcome::kNotExposed}));
}

TEST(GateAllocationCounter, CountsAllocations) {
  ORB_SKIP_UNLESS_COUNTING_ALLOCATIONS();
  // The zero above means something only if the counter sees allocations.
  // A direct call: unlike a new-expression, it may not be elided.
  const long before = g_allocations.load();
  void* p = ::operator new(64);
  ::operator delete(p);
  EXPECT_EQ(g_allocations.load() - before, 1);
}

}  // namespace
}  // namespace orb::policy
