// CheckAgainstServed: a policy that loads cleanly but does not fit the
// served types is reported line by line, with the name probably meant.
#include "orb/policy/served_check.h"

#include <string>
#include <tuple>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orb/policy/olp.h"
#include "orb/policy/policy_loader.h"

namespace orb::policy {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// A served lab.Counter: instance attribute `count`, method `increment`,
// class method `create`, and a compiled-in OLP asking for `adjust`.
v1::ServedTypes Counter() {
  v1::ServedTypes served;
  v1::ServedType* type = served.add_type();
  type->set_name("lab.Counter");
  for (const auto& [name, view, kind] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"count", "instance", "attribute"},
           {"increment", "instance", "method"},
           {"create", "class", "method"}}) {
    v1::ServedMember* m = type->add_member();
    m->set_name(name);
    m->set_view(view);
    m->set_kind(kind);
  }
  Olp::Builder builder;
  builder.Expose(View::kInstance, Op::kCall, "increment", Lock::Permission("adjust"));
  AddOlpEntries(*builder.Build(), type);
  served.add_permission("policy.view");
  return served;
}

std::vector<PolicyError> Check(const std::string& text) {
  LoadResult loaded = CompilePolicyText(text, "lab.textproto");
  EXPECT_THAT(loaded.errors, IsEmpty()) << (loaded.errors.empty() ? "" : loaded.errors[0].ToString());
  return CheckAgainstServed(text, "lab.textproto", Counter());
}

TEST(ServedCheck, AFittingPolicyHasNoWarnings) {
  EXPECT_THAT(Check(R"(
user { userid: "bob" group: "group:ops" }
type {
  name: "lab.Counter"
  acl {
    ace { action: ALLOW principal: "group:ops" permissions: [ "adjust", "view" ] }
    ace { action: ALLOW principal: "system.Everyone" permission: "policy.view" }
    ace { deny_all: true }
  }
  olp { instance { getattr { name: "count" permission: "view" } getattr { name: "*" permission: "view" } } }
}
)"),
              IsEmpty());
}

TEST(ServedCheck, AMisspeltTypeNameIsReportedWithTheServedName) {
  EXPECT_THAT(Check("type {\n  name: \"lab.Countr\"\n  acl { ace { deny_all: true } }\n}\n"),
              ElementsAre(AllOf(Field(&PolicyError::file, "lab.textproto"),
                                Field(&PolicyError::line, 2),
                                Field(&PolicyError::message,
                                      AllOf(HasSubstr("'lab.Countr' is served by nobody"),
                                            HasSubstr("Did you mean 'lab.Counter'?"))))));
}

TEST(ServedCheck, ATypeOnlyInheritedFromIsNotReported) {
  EXPECT_THAT(Check(R"(
type { name: "lab.Base" olp { instance { getattr { name: "count" permission: "view" } } } }
type {
  name: "lab.Counter"
  olp { inherit: "lab.Base" }
  acl { ace { action: ALLOW principal: "system.Everyone" permission: "view" } }
}
)"),
              IsEmpty());
}

TEST(ServedCheck, AnOlpNameNoMemberHasIsReportedWithTheMemberMeant) {
  const std::vector<PolicyError> found = Check(R"(type {
  name: "lab.Counter"
  olp {
    instance {
      call { name: "incremnt" permission: "adjust" }
      call { name: "create" permission: "adjust" }
    }
  }
}
)");
  ASSERT_THAT(found, SizeIs(2));
  EXPECT_EQ(found[0].line, 5);
  EXPECT_THAT(found[0].message, AllOf(HasSubstr("'incremnt' (instance call)"),
                                      HasSubstr("Did you mean 'increment'?")));
  EXPECT_EQ(found[1].line, 6);
  EXPECT_THAT(found[1].message, HasSubstr("is a member of the class view"));
}

TEST(ServedCheck, APrincipalWrittenWithoutItsGroupPrefixIsReported) {
  const std::vector<PolicyError> found = Check(R"(user { userid: "bob" group: "group:ops" }
type {
  name: "lab.Counter"
  acl {
    ace { action: ALLOW principal: "ops" permission: "adjust" }
  }
}
)");
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_EQ(found[0].line, 5);
  EXPECT_THAT(found[0].message,
              AllOf(HasSubstr("principal 'ops' is held by no user"),
                    HasSubstr("Did you mean 'group:ops'?")));
}

TEST(ServedCheck, APermissionNoLockAsksForIsReported) {
  const std::vector<PolicyError> found = Check(R"(type {
  name: "lab.Counter"
  acl {
    ace { action: ALLOW principal: "system.Everyone" permissions: [ "adjust", "ajust" ] }
  }
}
)");
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_EQ(found[0].line, 4);
  EXPECT_THAT(found[0].message, AllOf(HasSubstr("permission 'ajust' is granted but no lock"),
                                      HasSubstr("Did you mean 'adjust'?")));
}

TEST(ServedCheck, ManyFindingsAreBoundedAndSummarized) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "type { name: \"lab.Unknown" + std::to_string(i) + "\" acl { ace { deny_all: true } } }\n";
  const std::vector<PolicyError> found = Check(text);
  ASSERT_THAT(found, SizeIs(50));
  EXPECT_THAT(found.back().message, HasSubstr("and 950 more warnings not shown"));
}

TEST(ServedCheck, TheTypesFileRoundTripsAndBadJsonIsAClearError) {
  const v1::ServedTypes served = Counter();
  absl::StatusOr<v1::ServedTypes> back = ServedTypesFromJson(ServedTypesToJson(served));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->SerializeAsString(), served.SerializeAsString());
  ASSERT_THAT(back->type(0).olp(), SizeIs(1));
  EXPECT_THAT(back->type(0).olp(0).permission(), ElementsAre("adjust"));
  absl::StatusOr<v1::ServedTypes> bad = ServedTypesFromJson("{\"type\": 3}");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("orbd --dump-types"));
}

}  // namespace
}  // namespace orb::policy
