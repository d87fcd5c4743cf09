// The audit record's text: ids redacted wherever a caller may have quoted
// one, one spelling of each op, and the JSON line.
#include "orb/broker/audit.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace orb::broker {

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kId[] = "0123456789abcdef0123456789abcdef";

TEST(RedactIdsInText, ReplacesEveryRunOf32HexDigitsWithItsReference) {
  const std::string ref = RedactId(kId);
  ASSERT_EQ(ref.size(), 12u);
  EXPECT_EQ(RedactIdsInText(std::string("handle '") + kId + "' not found in this session"),
            "handle '<id:" + ref + ">' not found in this session");
  EXPECT_EQ(RedactIdsInText(std::string(kId) + " and " + kId),
            "<id:" + ref + "> and <id:" + ref + ">");
  // Padded, glued or in upper case: the whole run goes.
  for (const std::string& text : {std::string(kId) + "00", "zz" + std::string(kId) + "zz",
                                  std::string("0123456789ABCDEF0123456789ABCDEF")}) {
    const std::string redacted = RedactIdsInText(text);
    EXPECT_THAT(redacted, Not(HasSubstr("0123456789abcdef0123456789abcdef"))) << text;
    EXPECT_THAT(redacted, Not(HasSubstr("0123456789ABCDEF0123456789ABCDEF"))) << text;
    EXPECT_THAT(redacted, HasSubstr("<id:")) << text;
  }
}

TEST(RedactIdsInText, LeavesShorterHexAndOtherTextAlone) {
  for (const std::string& text :
       {std::string(""), std::string("permission 'edit'"), std::string(31, 'a'),
        std::string("revision 12, sha256 0123456789abcdef")}) {
    EXPECT_EQ(RedactIdsInText(text), text);
  }
}

TEST(RedactIdsInRecord, CoversNameAndReason) {
  AuditRecord record;
  record.name = kId;
  record.reason = std::string("session '") + kId + "'";
  RedactIdsInRecord(&record);
  const std::string line = AuditRecordToJson(record);
  EXPECT_THAT(line, Not(HasSubstr(kId)));
  EXPECT_THAT(line, HasSubstr("\"name\":\"<id:" + RedactId(kId) + ">\""));
}

TEST(AuditOpName, OneSpellingForEveryRecord) {
  EXPECT_EQ(AuditOpName("ReloadPolicy"), "reload_policy");
  EXPECT_EQ(AuditOpName("GetPolicyInfo"), "get_policy_info");
  EXPECT_EQ(AuditOpName("OpenSession"), "open_session");
  EXPECT_EQ(AuditOpName("ListHandles"), "list_handles");
  // As the gate's records spell the gated operations.
  EXPECT_EQ(AuditOpName("GetAttr"), "getattr");
  EXPECT_EQ(AuditOpName("SetAttr"), "setattr");
  EXPECT_EQ(AuditOpName("DelAttr"), "delattr");
  EXPECT_EQ(AuditOpName("Call"), "call");
}

}  // namespace
}  // namespace orb::broker
