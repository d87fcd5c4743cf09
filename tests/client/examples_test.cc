// The client examples run as docs/clients.md shows them: the C++ program
// and the orbctl session, against a real orbd; and the doc quotes each file
// verbatim.
#include <regex>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/orbd_process.h"
#include "tests/testing/test_support.h"

namespace orb::testing {
namespace {

using ::testing::HasSubstr;

// Handle ids are random; the expected outputs show them as 1f3a9c0e….
std::string NormalizeHandles(const std::string& text) {
  static const std::regex id("handle [0-9a-f]{8}\xE2\x80\xA6");
  return std::regex_replace(text, id, "handle 1f3a9c0e\xE2\x80\xA6");
}

TEST(ClientExamples, CppProgramPrintsWhatTheDocShows) {
  OrbdProcess orbd;
  ASSERT_FALSE(orbd.address().empty()) << orbd.log();
  CommandResult run =
      RunCommand(std::string(ORB_BINARY_DIR) + "/tests/orb_example_blog_client " + orbd.address());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.output, ReadSourceFile("examples/client/blog_client.out"));
}

TEST(ClientExamples, OrbctlSessionPrintsWhatTheDocShows) {
  OrbdProcess orbd;
  ASSERT_FALSE(orbd.address().empty()) << orbd.log();
  CommandResult run = RunCommand("env -u ORB_TOKEN -u ORB_TICKET PATH=" +
                                 std::string(ORB_BINARY_DIR) + "/bin:$PATH ORB_TARGET=" +
                                 orbd.address() + " sh " + std::string(ORB_SOURCE_DIR) +
                                 "/examples/client/orbctl_session.sh");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(NormalizeHandles(run.output), ReadSourceFile("examples/client/orbctl_session.out"));
}

TEST(ClientExamples, DocQuotesEveryExampleVerbatim) {
  const std::string doc = ReadSourceFile("docs/clients.md");
  for (const char* file :
       {"examples/client/blog_client.cc", "examples/client/blog_client.out",
        "examples/client/CMakeLists.txt", "examples/client/orbctl_session.sh",
        "examples/client/orbctl_session.out"}) {
    EXPECT_THAT(doc, HasSubstr(ReadSourceFile(file))) << file << " is not quoted verbatim";
  }
}

}  // namespace
}  // namespace orb::testing
