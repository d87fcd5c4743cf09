// `orbctl policy eval-cases` end to end: the built binary's results must pass
// check_cases.py on the Pyramid corpus and on a large random corpus, and a
// malformed case file must get one clear line and exit status 1.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <ostream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_support.h"

namespace orb {
namespace {

using ::orb::testing::CommandResult;
using ::orb::testing::MakeTempDir;
using ::orb::testing::RunCommand;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kOrbctl = std::string(ORB_BINARY_DIR) + "/bin/orbctl";
const std::string kConformanceDir = std::string(ORB_SOURCE_DIR) + "/tests/conformance";

std::string EvalCases(const std::string& in, const std::string& out) {
  return kOrbctl + " policy eval-cases --in '" + in + "' --out '" + out + "'";
}

std::string CheckCases(const std::string& cases, const std::string& results) {
  return "python3 '" + kConformanceDir + "/check_cases.py' --max-show 3 '" + cases + "' '" + results + "'";
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

class OrbctlEvalCases : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir(); }
  void TearDown() override { RunCommand("rm -rf '" + dir_ + "'"); }
  std::string dir_;
};

TEST_F(OrbctlEvalCases, PublicCorpusPassesCheckCases) {
  const std::string cases = kConformanceDir + "/pyramid_acl_public.json";
  const std::string results = dir_ + "/results.json";
  CommandResult eval = RunCommand(EvalCases(cases, results));
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  EXPECT_EQ(eval.output, "");
  CommandResult check = RunCommand(CheckCases(cases, results));
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_THAT(check.output, HasSubstr("acl-oracle: 731 passed, 0 failed")) << check.output;
}

// Thousands of random trees whose answers and messages come from a Python
// transcription of Pyramid's ACLHelper using Python's own repr().
TEST_F(OrbctlEvalCases, RandomCorpusPassesCheckCases) {
  constexpr int kTrees = 3000;
  constexpr int kQueriesPerTree = 10 + 3;  // the generator's defaults
  const std::string cases = dir_ + "/random.json";
  const std::string results = dir_ + "/random-results.json";
  CommandResult gen = RunCommand("python3 '" + kConformanceDir + "/gen_random_cases.py' --seed 20240607 --trees " +
                                 std::to_string(kTrees) + " --out '" + cases + "'");
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  CommandResult eval = RunCommand(EvalCases(cases, results));
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  CommandResult check = RunCommand(CheckCases(cases, results));
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_THAT(check.output, HasSubstr("acl-oracle: " + std::to_string(kTrees * kQueriesPerTree) +
                                      " passed, 0 failed"))
      << check.output;
}

TEST_F(OrbctlEvalCases, WritesToStandardOutputForDash) {
  const std::string cases = dir_ + "/one.json";
  WriteText(cases,
            R"({"cases":[{"id":"c","tree":{"nodes":[{"name":"root","parent":null,"acl":[["Allow","bob","view"]]}]},)"
            R"("queries":[{"id":"c.q0","context":"root","principals":["bob"],"permission":"view"}]}]})");
  CommandResult r = RunCommand(kOrbctl + " policy eval-cases --in '" + cases + "' --out -");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr(R"({"id":"c.q0","got":{"allowed":true,"acl_node":"root","ace_index":0,)"
                                  R"("msg_acl_node":"root","msg":"ACLAllowed permission 'view' via ACE )"
                                  R"(('Allow', 'bob', 'view') in ACL [('Allow', 'bob', 'view')] on context )"
                                  R"(<Resource 'root'> for principals ['bob']"}})"));
}

TEST_F(OrbctlEvalCases, HelpPrintsUsage) {
  CommandResult r = RunCommand(kOrbctl + " policy eval-cases --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("usage: orbctl policy eval-cases --in CASES.json --out RESULTS.json"));
}

TEST_F(OrbctlEvalCases, UsageErrorsExitTwo) {
  EXPECT_EQ(RunCommand(kOrbctl + " policy eval-cases").exit_code, 2);
  EXPECT_EQ(RunCommand(kOrbctl + " policy eval-cases --in x.json").exit_code, 2);
  EXPECT_EQ(RunCommand(kOrbctl + " policy eval-cases --out x.json").exit_code, 2);
  CommandResult r = RunCommand(kOrbctl + " policy eval-cases --in a --out b --frobnicate");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("unknown argument '--frobnicate'"));
  EXPECT_EQ(RunCommand(kOrbctl + " policy eval-cases --in").exit_code, 2);
}

TEST_F(OrbctlEvalCases, MissingInputFileExitsOne) {
  CommandResult r = RunCommand(EvalCases(dir_ + "/absent.json", dir_ + "/out.json"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("cannot read '" + dir_ + "/absent.json'"));
}

struct Malformed {
  const char* name;
  std::string json;
  std::string message;
};

void PrintTo(const Malformed& m, std::ostream* os) { *os << m.name; }

std::string OneCase(const std::string& nodes, const std::string& queries = "[]") {
  return R"({"format":"pyramid-acl-cases/1","cases":[{"id":"c1","tree":{"nodes":)" + nodes +
         R"(},"queries":)" + queries + "}]}";
}

const char kRoot[] = R"({"name":"root","parent":null,"acl":null})";

class MalformedCaseFile : public OrbctlEvalCases, public ::testing::WithParamInterface<Malformed> {};

TEST_P(MalformedCaseFile, ExitsOneWithOneClearLine) {
  const Malformed& m = GetParam();
  const std::string cases = dir_ + "/bad.json";
  const std::string results = dir_ + "/out.json";
  WriteText(cases, m.json);
  CommandResult r = RunCommand(EvalCases(cases, results));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, ::testing::StartsWith("orbctl policy eval-cases: " + cases + ": "));
  EXPECT_THAT(r.output, HasSubstr(m.message));
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_THAT(r.output, Not(HasSubstr("terminate")));
}

INSTANTIATE_TEST_SUITE_P(
    Files, MalformedCaseFile,
    ::testing::Values(
        Malformed{"NotJson", "{\"cases\": [", "not valid JSON: parse error at line 1, column 12"},
        Malformed{"Empty", "", "not valid JSON"},
        Malformed{"TopLevelArray", "[]", "the case file must be a JSON object, not array"},
        Malformed{"WrongFormat", R"({"format":"other/2","cases":[]})",
                  R"(format: expected "pyramid-acl-cases/1", got "other/2")"},
        Malformed{"MissingCases", "{}", R"(missing field "cases")"},
        Malformed{"CasesNotArray", R"({"cases":{}})", R"("cases" must be an array, not object)"},
        Malformed{"CaseIdNotString", R"({"cases":[{"id":7}]})", R"(cases[0]: "id" must be a string, not number)"},
        Malformed{"MissingTree", R"({"cases":[{"id":"c1"}]})", R"(cases[0] (id "c1"): missing field "tree")"},
        Malformed{"EmptyTree", OneCase("[]"), R"(cases[0] (id "c1"): tree.nodes is empty)"},
        Malformed{"MissingAcl", OneCase(R"([{"name":"root","parent":null}])"),
                  R"(cases[0] (id "c1"): tree.nodes[0] (name "root"): missing field "acl")"},
        Malformed{"UnknownParent", OneCase(std::string("[") + kRoot + R"(,{"name":"a","parent":"nope","acl":null}])"),
                  R"(cases[0] (id "c1"): tree.nodes[1] (name "a"): parent "nope" is not a node of this tree)"},
        Malformed{"ParentListedAfter",
                  OneCase(std::string("[") + kRoot +
                          R"(,{"name":"a","parent":"b","acl":null},{"name":"b","parent":"root","acl":null}])"),
                  R"(tree.nodes[1] (name "a"): parent "b" is listed after this node)"},
        Malformed{"Cycle",
                  OneCase(std::string("[") + kRoot +
                          R"(,{"name":"a","parent":"b","acl":null},{"name":"b","parent":"a","acl":null}])"),
                  R"(tree.nodes[1] (name "a"): the parents form a cycle: "a" -> "b" -> "a")"},
        Malformed{"OwnParent", OneCase(std::string("[") + kRoot + R"(,{"name":"a","parent":"a","acl":null}])"),
                  R"(tree.nodes[1] (name "a"): the parents form a cycle: "a" is its own parent)"},
        Malformed{"SecondRoot", OneCase(std::string("[") + kRoot + R"(,{"name":"r2","parent":null,"acl":null}])"),
                  R"(tree.nodes[1] (name "r2"): a second root)"},
        Malformed{"DuplicateNode", OneCase(std::string("[") + kRoot + "," + kRoot + "]"),
                  R"(tree.nodes[1] (name "root"): duplicate node name)"},
        Malformed{"UnknownContext",
                  OneCase(std::string("[") + kRoot + "]",
                          R"([{"id":"c1.q0","context":"zz","principals":[],"permission":"view"}])"),
                  R"(cases[0] (id "c1"): queries[0] (id "c1.q0"): context "zz" is not a node of this tree)"},
        Malformed{"PrincipalsNotArray",
                  OneCase(std::string("[") + kRoot + "]",
                          R"([{"id":"c1.q0","context":"root","principals":"bob","permission":"view"}])"),
                  R"(queries[0] (id "c1.q0"): "principals" must be an array of strings, not string)"},
        Malformed{"PermissionMissing",
                  OneCase(std::string("[") + kRoot + "]", R"([{"id":"c1.q0","context":"root","principals":[]}])"),
                  R"(queries[0] (id "c1.q0"): missing field "permission")"},
        Malformed{"DuplicateQueryId",
                  OneCase(std::string("[") + kRoot + "]",
                          R"([{"id":"q","context":"root","principals":[],"permission":"v"},)"
                          R"({"id":"q","context":"root","principals":[],"permission":"v"}])"),
                  R"(queries[1]: duplicate query id "q")"},
        Malformed{"AceTooShort", OneCase(R"([{"name":"root","parent":null,"acl":[["Allow","bob"]]}])"),
                  R"(tree.nodes[0] (name "root"): acl[0]: an ACE must have 3 items [action, principal, permissions], not 2)"},
        Malformed{"AceNotArray", OneCase(R"([{"name":"root","parent":null,"acl":[{"a":1}]}])"),
                  R"(acl[0]: an ACE must be [action, principal, permissions] or "DENY_ALL", not object)"},
        Malformed{"AceUnknownToken", OneCase(R"([{"name":"root","parent":null,"acl":["ALLOW_ALL"]}])"),
                  R"(acl[0]: the only ACE written as a string is "DENY_ALL", not "ALLOW_ALL")"},
        Malformed{"BadAction", OneCase(R"([{"name":"root","parent":null,"acl":[["allow","bob","view"]]}])"),
                  R"(acl[0]: action "allow" is neither "Allow" nor "Deny")"},
        Malformed{"PermissionsNumber", OneCase(R"([{"name":"root","parent":null,"acl":[["Allow","bob",3]]}])"),
                  R"(acl[0]: permissions must be a string, an array of strings or "ALL_PERMISSIONS", not number)"},
        Malformed{"AllPermissionsInsideList",
                  OneCase(R"([{"name":"root","parent":null,"acl":[["Allow","bob",["ALL_PERMISSIONS"]]]}])"),
                  R"(acl[0]: permissions[0]: "ALL_PERMISSIONS" is reserved)"},
        Malformed{"AclNotArray", OneCase(R"([{"name":"root","parent":null,"acl":"DENY_ALL"}])"),
                  R"("acl" must be an array of ACEs or null, not string)"},
        Malformed{"NameWithNewlineStaysOneLine",
                  OneCase(std::string("[") + kRoot + R"(,{"name":"a\nb","parent":"x\ny","acl":null}])"),
                  R"(tree.nodes[1] (name "a\nb"): parent "x\ny" is not a node of this tree)"}),
    [](const ::testing::TestParamInfo<Malformed>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace orb
