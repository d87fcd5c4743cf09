// orbctl's number output: every double prints as the shortest text that
// reads back to the same value, visibly a double (20.0, never 2e+01 or 20),
// in plain and --json output; NaN and the infinities as the protobuf JSON
// mapping names them.
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include "client/orbctl/json.h"
#include "gtest/gtest.h"

namespace orb::orbctl {
namespace {

struct DoubleCase {
  double value;
  const char* human;
  const char* json;
};

const DoubleCase kCases[] = {
    {20.0, "20.0", "20.0"},
    {7.25, "7.25", "7.25"},
    {1e300, "1e+300", "1e+300"},
    {0.1, "0.1", "0.1"},
    {0.1 + 0.2, "0.30000000000000004", "0.30000000000000004"},
    {1e21, "1e+21", "1e+21"},
    {100000.0, "100000.0", "100000.0"},
    {1e15, "1000000000000000.0", "1000000000000000.0"},
    {1e16, "1e+16", "1e+16"},
    {123456789012345680.0, "1.2345678901234568e+17", "1.2345678901234568e+17"},
    {0.0001, "0.0001", "0.0001"},
    {0.00001, "1e-05", "1e-05"},
    {-0.0, "-0.0", "-0.0"},
    {0.0, "0.0", "0.0"},
    {-1.5, "-1.5", "-1.5"},
    {5e-324, "5e-324", "5e-324"},
    {2.2250738585072014e-308, "2.2250738585072014e-308", "2.2250738585072014e-308"},
    {1.7976931348623157e308, "1.7976931348623157e+308", "1.7976931348623157e+308"},
    {std::numeric_limits<double>::quiet_NaN(), "NaN", "\"NaN\""},
    {std::numeric_limits<double>::infinity(), "Infinity", "\"Infinity\""},
    {-std::numeric_limits<double>::infinity(), "-Infinity", "\"-Infinity\""},
};

TEST(OrbctlDoubles, ShortestTextThatReadsBackAsTheSameDouble) {
  for (const DoubleCase& c : kCases) {
    SCOPED_TRACE(c.human);
    EXPECT_EQ(FormatDouble(c.value, DoubleStyle::kHuman), c.human);
    EXPECT_EQ(FormatDouble(c.value, DoubleStyle::kJson), c.json);
    EXPECT_EQ(ToHuman(Value(c.value)), c.human);
    EXPECT_EQ(ToJson(Value(c.value)), c.json);
    if (!std::isfinite(c.value)) continue;
    // The text reads back to the very same bits (the sign of zero too).
    const double back = std::strtod(c.human, nullptr);
    EXPECT_EQ(back, c.value);
    EXPECT_EQ(std::signbit(back), std::signbit(c.value));
  }
}

TEST(OrbctlDoubles, JsonOutputReadsBackAsADoubleNotAnInt) {
  for (const DoubleCase& c : kCases) {
    if (!std::isfinite(c.value)) continue;
    SCOPED_TRACE(c.json);
    absl::StatusOr<Value> parsed = ParseJson(ToJson(Value(c.value)));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    ASSERT_EQ(parsed->kind(), Value::Kind::kDouble);
    EXPECT_EQ(*parsed->AsDouble(), c.value);
  }
}

TEST(OrbctlDoubles, DoublesInsideListsAndMaps) {
  Value::Map map;
  map.emplace("t", Value(20.0));
  map.emplace("n", Value(std::numeric_limits<double>::quiet_NaN()));
  Value::List list;
  list.push_back(Value(7.25));
  list.push_back(Value(std::move(map)));
  const Value value(std::move(list));
  EXPECT_EQ(ToJson(value), R"([7.25,{"n":"NaN","t":20.0}])");
  EXPECT_EQ(ToHuman(value), R"([7.25, {"n": NaN, "t": 20.0}])");
}

}  // namespace
}  // namespace orb::orbctl
