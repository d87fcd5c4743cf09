// Runs the built orbctl for its offline policy commands.
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orb/policy/authn.h"
#include "orb/policy/policy_loader.h"
#include "tests/testing/test_support.h"

namespace orb {
namespace {

using ::orb::testing::CommandResult;
using ::orb::testing::IsOk;
using ::orb::testing::RunCommand;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kKeyHex[] = "8c1f3e5a7b9d0f2e4c6a8b0d1f3e5c7a9b2d4f6e8a0c1e3f5b7d9a2c4e6f8b0d";

std::string Orbctl() { return std::string(ORB_BINARY_DIR) + "/bin/orbctl"; }

class OrbctlTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = orb::testing::MakeTempDir(); }
  void TearDown() override { RunCommand("rm -rf '" + dir_ + "'"); }

  std::string Write(const std::string& name, const std::string& contents) {
    const std::string path = dir_ + "/" + name;
    std::ofstream out(path, std::ios::binary);
    out << contents;
    return path;
  }
  CommandResult Run(const std::string& args) { return RunCommand(Orbctl() + " " + args); }

  std::string dir_;
};

TEST_F(OrbctlTest, CheckPrintsOkForAValidPolicy) {
  const std::string path = Write("good.textproto", "default_permission: \"view\"\n");
  CommandResult result = Run("policy check '" + path + "'");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output, "OK\n");
}

TEST_F(OrbctlTest, CheckAcceptsTheShippedExamples) {
  const std::string blog = std::string(ORB_SOURCE_DIR) + "/examples/blog/policy.textproto";
  CommandResult result = Run("policy check '" + blog + "'");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output, "OK\n");
}

TEST_F(OrbctlTest, CheckPrintsEveryErrorWithFileAndLine) {
  const std::string path =
      Write("bad.textproto",
            "user { userid: \"\" }\n"
            "type {\n"
            "  name: \"t\"\n"
            "  acl { ace { principal: \"bob\" permission: \"view\" } }\n"
            "}\n"
            "limits { max_value_depth: 65 }\n");
  CommandResult result = Run("policy check '" + path + "'");
  EXPECT_EQ(result.exit_code, 1);
  std::vector<std::string> lines =
      absl::StrSplit(absl::StripTrailingAsciiWhitespace(result.output), '\n');
  ASSERT_EQ(lines.size(), 3u) << result.output;
  EXPECT_THAT(lines[0], StartsWith(path + ":1: user has an empty userid"));
  EXPECT_THAT(lines[1], StartsWith(path + ":4: ACE has no action"));
  EXPECT_THAT(lines[2], StartsWith(path + ":6: limits.max_value_depth 65 is out of range"));
}

TEST_F(OrbctlTest, CheckSyntaxErrorHasLineAndColumn) {
  const std::string path = Write("syntax.textproto", "user {\n  userid \"a\"\n}\n");
  CommandResult result = Run("policy check '" + path + "'");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr(path + ":2: syntax error at column 10"));
}

TEST_F(OrbctlTest, CheckMissingFile) {
  CommandResult result = Run("policy check '" + dir_ + "/missing.textproto'");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("cannot read '" + dir_ +
                                       "/missing.textproto': No such file or directory"));
}

TEST_F(OrbctlTest, CheckUsage) {
  CommandResult result = Run("policy check");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.output, HasSubstr("no policy file given"));
  EXPECT_THAT(result.output, HasSubstr("usage: orbctl policy check [--types=TYPES.json [--strict]] FILE"));
  result = Run("policy check --strict policy.textproto");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.output, HasSubstr("--strict needs --types"));
  result = Run("policy check --help");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.output, StartsWith("usage: orbctl policy check [--types=TYPES.json [--strict]] FILE"));
}

TEST_F(OrbctlTest, CheckResolvesKeyFilesNextToThePolicy) {
  Write("ticket.key", std::string(kKeyHex) + "\n");
  const std::string path =
      Write("p.textproto", "authentication { tickets { hmac_key_file: \"ticket.key\" } }\n");
  CommandResult result = RunCommand("cd / && " + Orbctl() + " policy check '" + path + "'");
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST_F(OrbctlTest, HashTokenFromArgumentAndStdin) {
  const std::string expected = policy::Sha256Hex("alice-demo-token") + "\n";
  CommandResult result = Run("policy hash-token alice-demo-token");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.output, expected);
  result = RunCommand("printf 'alice-demo-token\\n' | " + Orbctl() + " policy hash-token");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.output, expected);
  result = RunCommand("printf 'alice-demo-token' | " + Orbctl() + " policy hash-token");
  EXPECT_EQ(result.output, expected);
  result = Run("policy hash-token -- -dash-token");
  EXPECT_EQ(result.output, policy::Sha256Hex("-dash-token") + "\n");
}

TEST_F(OrbctlTest, HashTokenErrors) {
  CommandResult result = RunCommand("printf '' | " + Orbctl() + " policy hash-token");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("the token is empty"));
  result = Run("policy hash-token -secret-looking");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.output, Not(HasSubstr("secret-looking")));
  result = Run("policy hash-token --help");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.output, StartsWith("usage: orbctl policy hash-token"));
}

absl::StatusOr<policy::Identity> Verify(const std::string& ticket) {
  auto compiled = policy::CompilePolicyText(
      std::string("authentication { tickets { hmac_key_hex: \"") + kKeyHex +
          "\" max_lifetime_seconds: 86400 } }",
      "t.textproto");
  EXPECT_TRUE(compiled.errors.empty());
  policy::CallCredentials credentials;
  credentials.authorization = "Ticket " + ticket;
  return compiled.policy->authenticator().Authenticate(credentials, absl::Now());
}

TEST_F(OrbctlTest, MintTicketWithHexKeyVerifies) {
  CommandResult result =
      Run(std::string("policy mint-ticket --key-hex ") + kKeyHex + " --userid alice");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const std::string ticket(absl::StripTrailingAsciiWhitespace(result.output));
  EXPECT_THAT(ticket, StartsWith("orb1.YWxpY2U."));
  auto identity = Verify(ticket);
  ASSERT_THAT(identity, IsOk());
  EXPECT_EQ(identity->userid, "alice");
  // Default ttl: one hour.
  std::vector<std::string> parts = absl::StrSplit(ticket, '.');
  int64_t expiry = 0;
  ASSERT_TRUE(absl::SimpleAtoi(parts[2], &expiry));
  EXPECT_NEAR(static_cast<double>(expiry - absl::ToUnixSeconds(absl::Now())), 3600.0, 60.0);
}

TEST_F(OrbctlTest, MintTicketWithKeyFileAndTtl) {
  const std::string key = Write("ticket.key", std::string(kKeyHex) + "\n");
  CommandResult result =
      Run("policy mint-ticket --key-file='" + key + "' --userid=bob --ttl 120");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const std::string ticket(absl::StripTrailingAsciiWhitespace(result.output));
  auto identity = Verify(ticket);
  ASSERT_THAT(identity, IsOk());
  EXPECT_EQ(identity->userid, "bob");
  std::vector<std::string> parts = absl::StrSplit(ticket, '.');
  int64_t expiry = 0;
  ASSERT_TRUE(absl::SimpleAtoi(parts[2], &expiry));
  EXPECT_NEAR(static_cast<double>(expiry - absl::ToUnixSeconds(absl::Now())), 120.0, 60.0);
}

TEST_F(OrbctlTest, MintTicketErrorsNeverEchoTheKey) {
  const std::string short_key = "00112233445566778899aabbccddeeff";
  struct Case {
    std::string args;
    int exit_code;
    std::string message;
  } cases[] = {
      {"--key-hex " + short_key + " --userid a", 1, "is too short: 16 bytes"},
      {"--key-hex " + short_key + "ZZ --userid a", 1, "must hold the key as lower-case hex"},
      {std::string("--key-hex ") + kKeyHex, 2, "--userid is required"},
      {"--userid a", 2, "give exactly one of --key-file and --key-hex"},
      {std::string("--key-hex ") + kKeyHex + " --key-file f --userid a", 2,
       "give exactly one of --key-file and --key-hex"},
      {std::string("--key-hex ") + kKeyHex + " --userid a --ttl 0", 2, "--ttl must be"},
      {std::string("--key-hex ") + kKeyHex + " --userid a --ttl soon", 2, "--ttl must be"},
      {std::string("--userid a ") + kKeyHex, 2, "unexpected argument at position 3"},
      {std::string("--key-hex ") + kKeyHex + " --userid system.Everyone", 2, "reserved"},
      {"--key-file /nonexistent/key --userid a", 1, "cannot read '/nonexistent/key'"},
      {std::string("--key-hex ") + kKeyHex + " --userid", 2, "--userid needs a value"},
  };
  for (const Case& c : cases) {
    CommandResult result = Run("policy mint-ticket " + c.args);
    EXPECT_EQ(result.exit_code, c.exit_code) << c.args << "\n" << result.output;
    EXPECT_THAT(result.output, HasSubstr(c.message)) << c.args;
    EXPECT_THAT(result.output, Not(HasSubstr(kKeyHex))) << c.args;
    EXPECT_THAT(result.output, Not(HasSubstr(short_key))) << c.args;
  }
  CommandResult help = Run("policy mint-ticket --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.output, StartsWith("usage: orbctl policy mint-ticket"));
}

}  // namespace
}  // namespace orb
