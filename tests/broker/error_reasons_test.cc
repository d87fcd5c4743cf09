// The reasons and gates of orb.v1.ErrorInfo come from one list (the
// ErrorReason and ErrorGate enums); docs/protocol.md's error table lists
// exactly that set, and the wire texts are the ones clients read.
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/str_split.h"
#include "orb/broker/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orb/v1/error_details.pb.h"

namespace orb::broker {

namespace {

std::string ReadDoc(const std::string& relative) {
  std::ifstream in(std::string(ORB_SOURCE_DIR) + "/" + relative);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The backticked words of `text`.
std::set<std::string> Backticked(const std::string& text) {
  static const std::regex word("`([A-Za-z_]+)`");
  std::set<std::string> out;
  for (std::sregex_iterator it(text.begin(), text.end(), word), end; it != end; ++it) {
    out.insert((*it)[1]);
  }
  return out;
}

TEST(ErrorReasons, ProtocolDocListsExactlyTheEnumsReasonsAndGates) {
  const std::string doc = ReadDoc("docs/protocol.md");
  const size_t table = doc.find("| code | reason / gate | when |");
  ASSERT_NE(table, std::string::npos) << "docs/protocol.md has no error table";
  std::set<std::string> reasons, gates;
  std::istringstream rows(doc.substr(table));
  std::string row;
  std::getline(rows, row);  // the header
  std::getline(rows, row);  // |---|
  while (std::getline(rows, row) && absl::StartsWith(row, "|")) {
    std::vector<std::string> cells = absl::StrSplit(row, '|');
    ASSERT_GE(cells.size(), 4u) << row;
    const std::string& column = cells[2];
    const size_t slash = column.find(" / ");
    if (slash == std::string::npos) continue;  // e.g. "(transport)"
    for (const std::string& r : Backticked(column.substr(0, slash))) reasons.insert(r);
    for (const std::string& g : Backticked(column.substr(slash))) gates.insert(g);
  }

  std::set<std::string> enum_reasons, enum_gates;
  const auto* reason_enum = v1::ErrorReason_descriptor();
  for (int i = 0; i < reason_enum->value_count(); ++i) {
    const auto reason = static_cast<v1::ErrorReason>(reason_enum->value(i)->number());
    if (reason != v1::ERROR_REASON_UNSPECIFIED) enum_reasons.insert(ReasonText(reason));
  }
  const auto* gate_enum = v1::ErrorGate_descriptor();
  for (int i = 0; i < gate_enum->value_count(); ++i) {
    const auto gate = static_cast<v1::ErrorGate>(gate_enum->value(i)->number());
    if (gate != v1::ERROR_GATE_UNSPECIFIED) enum_gates.insert(GateText(gate));
  }
  EXPECT_EQ(reasons, enum_reasons);
  EXPECT_EQ(gates, enum_gates);
}

TEST(ErrorReasons, WireTextsAreTheEnumNamesAndLowerCaseGates) {
  EXPECT_EQ(ReasonText(v1::NAME_NOT_FOUND), "NAME_NOT_FOUND");
  EXPECT_EQ(GateText(v1::GATE_OLP), "olp");
  EXPECT_EQ(GateText(v1::GATE_ARGUMENTS), "arguments");
  absl::Status error = OrbError(absl::StatusCode::kNotFound, "gone", v1::HANDLE_NOT_FOUND,
                                v1::GATE_HANDLE);
  std::optional<v1::ErrorInfo> info = GetErrorInfo(error);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "HANDLE_NOT_FOUND");
  EXPECT_EQ(info->gate(), "handle");
  EXPECT_TRUE(WithErrorInfo(absl::OkStatus(), v1::BAD_VALUE, v1::GATE_LIMITS).ok());
}

}  // namespace
}  // namespace orb::broker
