// Small GoogleTest helpers shared by every test (Abseil 20220623 has no
// status matchers).
#ifndef ORB_TESTS_TESTING_TEST_SUPPORT_H_
#define ORB_TESTS_TESTING_TEST_SUPPORT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace orb::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& s = ::orb::testing::GetStatus(arg);
  if (!s.ok()) *result_listener << "status is " << s;
  return s.ok();
}

MATCHER_P(StatusIs, code, "has code " + ::testing::PrintToString(code)) {
  const absl::Status& s = ::orb::testing::GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher, "has code and message") {
  const absl::Status& s = ::orb::testing::GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, std::string(s.message()),
                                       result_listener);
}

// Reads a whole file (a test failure when it cannot be read).
std::string ReadWholeFile(const std::string& path);

// Writes `text` as the whole file at `path` (a test failure when it cannot).
void WriteWholeFile(const std::string& path, const std::string& text);

// Reads a whole file relative to the source tree (ORB_SOURCE_DIR).
std::string ReadSourceFile(const std::string& relative_path);

// Runs a shell command, returns its exit code and captures stdout+stderr.
struct CommandResult {
  int exit_code = -1;
  std::string output;
};
CommandResult RunCommand(const std::string& command);

// A fresh empty directory under the system temp dir, removed by the caller.
std::string MakeTempDir();

}  // namespace orb::testing

#endif  // ORB_TESTS_TESTING_TEST_SUPPORT_H_
