// ValueCodec and the incoming-value checks (broker/value_codec.h), driven
// directly with a fake handle resolver: each built-in codec both ways,
// ranges, NaN rules, UTF-8, element paths in messages, handles in and out,
// and ValidateIncomingValue's depth, element and UTF-8 limits.
#include "orb/broker/value_codec.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "orb/broker/binding.h"
#include "orb/broker/call_context.h"
#include "orb/broker/errors.h"
#include "orb/broker/type_registry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/broker_fixture.h"
#include "tests/testing/test_support.h"

namespace orb::testing {

using orb::broker::AnyDouble;
using orb::broker::Bytes;
using orb::broker::CallContext;
using orb::broker::DemangledName;
using orb::broker::GetErrorInfo;
using orb::broker::HandleResolver;
using orb::broker::Invocation;
using orb::broker::IsOptionalParam;
using orb::broker::IsValidUtf8;
using orb::broker::Object;
using orb::broker::OrbError;
using orb::broker::ResolvedHandle;
using orb::broker::TypeBuilder;
using orb::broker::TypeInfo;
using orb::broker::TypeMismatch;
using orb::broker::TypeRegistry;
using orb::broker::ValidateIncomingValue;
using orb::broker::ValueCodec;
using orb::broker::ValueKindName;
using orb::broker::ValueLimits;
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::SizeIs;

// Map types named once: their commas would split a test macro's arguments.
using IntMap = std::map<std::string, int64_t>;
using DoubleMap = std::map<std::string, double>;
using BoolListMap = std::map<std::string, std::vector<bool>>;
using DoubleListMap = std::map<std::string, std::vector<double>>;

class Lamp final : public Object {};
class Bulb final : public Object {};
class Stray final : public Object {};  // never registered

v1::Value HandleValue(std::string id, std::string type_name = "", bool is_class = false) {
  v1::HandleRef ref;
  ref.set_id(std::move(id));
  ref.set_type_name(std::move(type_name));
  ref.set_is_class(is_class);
  return Ref(ref);
}

// Handles of "the caller's session": a fixed map from id to target.
class FakeResolver : public HandleResolver {
 public:
  void Add(const std::string& id, ResolvedHandle h) { handles_[id] = std::move(h); }
  absl::StatusOr<ResolvedHandle> Resolve(const v1::HandleRef& ref) const override {
    auto it = handles_.find(ref.id());
    if (it == handles_.end()) {
      return OrbError(absl::StatusCode::kNotFound, "handle not found in this session",
                      v1::HANDLE_NOT_FOUND, v1::GATE_HANDLE);
    }
    return it->second;
  }

 private:
  absl::flat_hash_map<std::string, ResolvedHandle> handles_;
};

class ValueCodecTest : public ::testing::Test {
 protected:
  ValueCodecTest() {
    EXPECT_THAT(registry_.Register(TypeBuilder<Lamp>("test.Lamp")), IsOk());
    EXPECT_THAT(registry_.Register(TypeBuilder<Bulb>("test.Bulb")), IsOk());
    lamp_type_ = registry_.FindByName("test.Lamp");
    bulb_type_ = registry_.FindByName("test.Bulb");
    resolver_.Add("lamp", ResolvedHandle{lamp_, lamp_type_, false, false});
    resolver_.Add("bulb", ResolvedHandle{bulb_, bulb_type_, false, false});
    resolver_.Add("lamp-class", ResolvedHandle{lamp_, lamp_type_, true, false});
    resolver_.Add("lamp-narrowed", ResolvedHandle{lamp_, lamp_type_, false, true});
  }

  template <typename T>
  absl::StatusOr<T> Decode(const v1::Value& in, absl::string_view what = "argument 'x'") {
    T out{};
    absl::Status s = ValueCodec<T>::Decode(in, inv_, what, &out);
    if (!s.ok()) return s;
    return out;
  }
  template <typename T>
  absl::StatusOr<v1::Value> Encode(const T& in) {
    v1::Value out;
    absl::Status s = ValueCodec<T>::Encode(in, inv_, &out);
    if (!s.ok()) return s;
    return out;
  }
  // Decodes `in` as T and encodes the result again.
  template <typename T>
  absl::StatusOr<v1::Value> RoundTrip(const v1::Value& in) {
    absl::StatusOr<T> decoded = Decode<T>(in);
    if (!decoded.ok()) return decoded.status();
    return Encode<T>(*decoded);
  }

  policy::Identity identity_;
  policy::Principals principals_;
  CallContext call_{identity_, principals_, "session", absl::InfiniteFuture(), nullptr, nullptr};
  TypeRegistry registry_;
  FakeResolver resolver_;
  std::shared_ptr<Lamp> lamp_ = std::make_shared<Lamp>();
  std::shared_ptr<Bulb> bulb_ = std::make_shared<Bulb>();
  Invocation inv_{call_, registry_, resolver_, lamp_};
  const TypeInfo* lamp_type_ = nullptr;
  const TypeInfo* bulb_type_ = nullptr;
};

// The value of a conversion the test expects to succeed (a failure, and
// T's default, otherwise).
template <typename T>
T Must(absl::StatusOr<T> s) {
  EXPECT_THAT(s, IsOk());
  return s.ok() ? *std::move(s) : T{};
}

// An INVALID_ARGUMENT / BAD_ARGUMENT with exactly `message`.
MATCHER_P(IsArgumentError, message, "") {
  const absl::Status& s = ::orb::testing::GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == absl::StatusCode::kInvalidArgument && s.message() == message &&
         Reason(s) == "BAD_ARGUMENT";
}

TEST_F(ValueCodecTest, BoolsDecodeFromBoolOnly) {
  EXPECT_EQ(Must(Decode<bool>(Bool(true))), true);
  EXPECT_EQ(Must(Decode<bool>(Bool(false))), false);
  EXPECT_THAT(Decode<bool>(Int(1)), IsArgumentError("argument 'x': expected bool, got int"));
  EXPECT_THAT(Decode<bool>(Null()), IsArgumentError("argument 'x': expected bool, got null"));
  EXPECT_TRUE(Must(Encode<bool>(true)).bool_value());
  EXPECT_EQ(Must(Encode<bool>(false)).kind_case(), v1::Value::kBoolValue);
}

TEST_F(ValueCodecTest, IntegersAcceptTheirWholeRangeAndNothingBeyond) {
  EXPECT_EQ(Must(Decode<int8_t>(Int(-128))), -128);
  EXPECT_EQ(Must(Decode<int8_t>(Int(127))), 127);
  EXPECT_THAT(Decode<int8_t>(Int(128)),
              IsArgumentError("argument 'x': 128 is out of range (-128..127)"));
  EXPECT_THAT(Decode<int8_t>(Int(-129)),
              IsArgumentError("argument 'x': -129 is out of range (-128..127)"));
  EXPECT_EQ(Must(Decode<uint8_t>(Int(255))), 255);
  EXPECT_THAT(Decode<uint8_t>(Int(-1)),
              IsArgumentError("argument 'x': -1 is out of range (0..255)"));
  EXPECT_THAT(Decode<uint8_t>(Int(256)),
              IsArgumentError("argument 'x': 256 is out of range (0..255)"));
  EXPECT_EQ(Must(Decode<int16_t>(Int(-32768))), -32768);
  EXPECT_THAT(Decode<uint16_t>(Int(65536)),
              IsArgumentError("argument 'x': 65536 is out of range (0..65535)"));
  EXPECT_EQ(Must(Decode<int32_t>(Int(std::numeric_limits<int32_t>::min()))),
            std::numeric_limits<int32_t>::min());
  EXPECT_THAT(Decode<int32_t>(Int(int64_t{1} << 31)),
              IsArgumentError("argument 'x': 2147483648 is out of range "
                              "(-2147483648..2147483647)"));
  EXPECT_EQ(Must(Decode<uint32_t>(Int(4294967295))), 4294967295u);
  EXPECT_THAT(Decode<uint32_t>(Int(4294967296)),
              IsArgumentError("argument 'x': 4294967296 is out of range (0..4294967295)"));
  EXPECT_EQ(Must(Decode<int64_t>(Int(std::numeric_limits<int64_t>::min()))),
            std::numeric_limits<int64_t>::min());
  EXPECT_EQ(Must(Decode<int64_t>(Int(std::numeric_limits<int64_t>::max()))),
            std::numeric_limits<int64_t>::max());
  EXPECT_EQ(Must(Decode<uint64_t>(Int(std::numeric_limits<int64_t>::max()))),
            uint64_t{std::numeric_limits<int64_t>::max()});
  EXPECT_THAT(Decode<uint64_t>(Int(-1)),
              IsArgumentError("argument 'x': -1 is out of range (0..18446744073709551615)"));
}

TEST_F(ValueCodecTest, IntegersDecodeFromIntOnly) {
  EXPECT_THAT(Decode<int64_t>(Dbl(1.0)), IsArgumentError("argument 'x': expected int, got double"));
  EXPECT_THAT(Decode<int32_t>(Str("1")), IsArgumentError("argument 'x': expected int, got string"));
  EXPECT_THAT(Decode<uint8_t>(Bool(true)), IsArgumentError("argument 'x': expected int, got bool"));
}

TEST_F(ValueCodecTest, IntegerResultsAreSigned64Bit) {
  EXPECT_EQ(Must(Encode<int8_t>(-5)).int_value(), -5);
  EXPECT_EQ(Must(Encode<uint32_t>(4294967295u)).int_value(), 4294967295);
  EXPECT_EQ(Must(Encode<uint64_t>(uint64_t{std::numeric_limits<int64_t>::max()})).int_value(),
            std::numeric_limits<int64_t>::max());
  absl::Status s = Encode<uint64_t>(std::numeric_limits<uint64_t>::max()).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kOutOfRange,
                          "result 18446744073709551615 does not fit in a 64-bit signed int"));
  EXPECT_EQ(Reason(s), "BAD_VALUE");
}

TEST_F(ValueCodecTest, DoublesDecodeFromIntOrDoubleAndRefuseNanAndInfinities) {
  EXPECT_EQ(Must(Decode<double>(Int(3))), 3.0);
  EXPECT_EQ(Must(Decode<double>(Dbl(-2.5))), -2.5);
  EXPECT_EQ(Must(Decode<double>(Dbl(std::numeric_limits<double>::max()))),
            std::numeric_limits<double>::max());
  for (double bad : {std::nan(""), std::numeric_limits<double>::infinity(),
                     -std::numeric_limits<double>::infinity()}) {
    EXPECT_THAT(Decode<double>(Dbl(bad)),
                IsArgumentError("argument 'x': NaN and infinities are not accepted"))
        << bad;
    EXPECT_THAT(Decode<float>(Dbl(bad)),
                IsArgumentError("argument 'x': NaN and infinities are not accepted"))
        << bad;
  }
  EXPECT_THAT(Decode<double>(Str("1.5")),
              IsArgumentError("argument 'x': expected double, got string"));
  EXPECT_THAT(Decode<double>(Null()), IsArgumentError("argument 'x': expected double, got null"));
}

TEST_F(ValueCodecTest, AFloatRefusesWhatItCannotHold) {
  EXPECT_EQ(Must(Decode<float>(Dbl(1.5))), 1.5f);
  EXPECT_EQ(Must(Decode<float>(Dbl(std::numeric_limits<float>::max()))),
            std::numeric_limits<float>::max());
  EXPECT_EQ(Must(Decode<float>(Int(std::numeric_limits<int64_t>::max()))),
            static_cast<float>(std::numeric_limits<int64_t>::max()));
  // A finite double beyond float's range would become an infinity, which a
  // float parameter refuses.
  EXPECT_THAT(Decode<float>(Dbl(1e300)),
              IsArgumentError("argument 'x': 1e+300 is out of range for a float parameter "
                              "(its magnitude is at most 3.40282e+38)"));
  EXPECT_THAT(Decode<float>(Dbl(-1e39)),
              IsArgumentError("argument 'x': -1e+39 is out of range for a float parameter "
                              "(its magnitude is at most 3.40282e+38)"));
}

TEST_F(ValueCodecTest, AnyDoubleAcceptsNanAndInfinities) {
  EXPECT_TRUE(std::isnan(Must(Decode<AnyDouble>(Dbl(std::nan("")))).value));
  EXPECT_EQ(Must(Decode<AnyDouble>(Dbl(-std::numeric_limits<double>::infinity()))).value,
            -std::numeric_limits<double>::infinity());
  EXPECT_EQ(Must(Decode<AnyDouble>(Int(-7))).value, -7.0);
  EXPECT_THAT(Decode<AnyDouble>(Bool(true)),
              IsArgumentError("argument 'x': expected double, got bool"));
  EXPECT_TRUE(std::isinf(Must(Encode<AnyDouble>(AnyDouble(HUGE_VAL))).double_value()));
}

TEST_F(ValueCodecTest, DoubleResultsKeepTheirValue) {
  EXPECT_EQ(Must(Encode<double>(0.1)).double_value(), 0.1);
  EXPECT_EQ(Must(Encode<float>(0.5f)).double_value(), 0.5);
  EXPECT_EQ(Must(Encode<double>(-0.0)).kind_case(), v1::Value::kDoubleValue);
}

TEST_F(ValueCodecTest, StringsAreUtf8BothWays) {
  EXPECT_EQ(Must(Decode<std::string>(Str("gr\xc3\xbc\xc3\x9f \xf0\x9f\x92\xa1"))),
            "gr\xc3\xbc\xc3\x9f \xf0\x9f\x92\xa1");
  EXPECT_EQ(Must(Decode<std::string>(Str(""))), "");
  EXPECT_THAT(Decode<std::string>(BytesValue("x")),
              IsArgumentError("argument 'x': expected string, got bytes"));
  EXPECT_EQ(Must(Encode<std::string>(std::string("a\0b", 3))).string_value(),
            std::string("a\0b", 3));
  absl::Status s = Encode<std::string>("\xff").status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInternal, "result string is not valid UTF-8"));
  EXPECT_EQ(Reason(s), "BAD_VALUE");
  EXPECT_EQ(GetErrorInfo(s)->gate(), "method");
}

TEST_F(ValueCodecTest, BytesAreKeptApartFromStrings) {
  EXPECT_EQ(Must(Decode<Bytes>(BytesValue(std::string("\xff\x00", 2)))).data,
            std::string("\xff\x00", 2));
  EXPECT_THAT(Decode<Bytes>(Str("x")), IsArgumentError("argument 'x': expected bytes, got string"));
  absl::StatusOr<v1::Value> out = Encode<Bytes>(Bytes{"\xfe\xff"});
  ASSERT_THAT(out, IsOk());  // any bytes: no UTF-8 rule
  EXPECT_EQ(out->bytes_value(), "\xfe\xff");
}

TEST_F(ValueCodecTest, ListsDecodeEachElementAndNameTheOneThatFails) {
  EXPECT_THAT(Must(Decode<std::vector<int64_t>>(List({Int(1), Int(2), Int(3)}))),
              ElementsAre(1, 2, 3));
  EXPECT_THAT(Must(Decode<std::vector<int64_t>>(List({}))), ::testing::IsEmpty());
  EXPECT_THAT(Decode<std::vector<int64_t>>(List({Int(1), Str("2")}), "argument 'xs'"),
              IsArgumentError("argument 'xs'[1]: expected int, got string"));
  EXPECT_THAT(Decode<std::vector<int64_t>>(Map({}), "argument 'xs'"),
              IsArgumentError("argument 'xs': expected list of int, got map"));
  EXPECT_THAT(Decode<std::vector<std::vector<uint8_t>>>(List({List({}), List({Int(1), Int(300)})}),
                                                        "argument 'xs'"),
              IsArgumentError("argument 'xs'[1][1]: 300 is out of range (0..255)"));

  absl::StatusOr<v1::Value> out = Encode<std::vector<std::string>>({"a", "b"});
  ASSERT_THAT(out, IsOk());
  ASSERT_THAT(out->list_value().values(), SizeIs(2));
  EXPECT_EQ(out->list_value().values(1).string_value(), "b");
  // An empty list is still a list.
  EXPECT_EQ(Must(Encode<std::vector<int64_t>>({})).kind_case(), v1::Value::kListValue);
  EXPECT_THAT(Encode<std::vector<std::string>>({"ok", "\xc0\x80"}),
              StatusIs(absl::StatusCode::kInternal, "result string is not valid UTF-8"));
}

TEST_F(ValueCodecTest, MapsDecodeEachValueAndNameTheKeyThatFails) {
  EXPECT_THAT(Must(Decode<IntMap>(Map({{"a", Int(1)}, {"b", Int(2)}}))),
              ElementsAre(Pair("a", 1), Pair("b", 2)));
  EXPECT_THAT(Decode<IntMap>(Map({{"a", Int(1)}, {"b", Str("2")}}), "argument 'm'"),
              IsArgumentError("argument 'm'['b']: expected int, got string"));
  EXPECT_THAT(Decode<IntMap>(List({}), "argument 'm'"),
              IsArgumentError("argument 'm': expected map of string to int, got list"));
  EXPECT_THAT(Decode<BoolListMap>(Map({{"k", List({Bool(true), Int(0)})}}), "argument 'm'"),
              IsArgumentError("argument 'm'['k'][1]: expected bool, got int"));

  absl::StatusOr<v1::Value> out = Encode<DoubleMap>({{"pi", 3.25}});
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->map_value().fields().at("pi").double_value(), 3.25);
  EXPECT_EQ(Must(Encode<IntMap>({})).kind_case(), v1::Value::kMapValue);
  absl::Status s = Encode<IntMap>({{"\xed\xa0\x80", 1}}).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInternal, "result map key is not valid UTF-8"));
  EXPECT_EQ(Reason(s), "BAD_VALUE");
}

TEST_F(ValueCodecTest, OptionalsAreNullOrTheValue) {
  EXPECT_EQ(Must(Decode<std::optional<int64_t>>(Null())), std::nullopt);
  EXPECT_EQ(Must(Decode<std::optional<int64_t>>(Int(5))), 5);
  EXPECT_THAT(Decode<std::optional<int64_t>>(Str("5")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("argument 'x': expected int, got string")));
  EXPECT_EQ(Must(Encode<std::optional<int64_t>>(std::nullopt)).kind_case(), v1::Value::kNullValue);
  EXPECT_EQ(Must(Encode<std::optional<int64_t>>(7)).int_value(), 7);
  EXPECT_EQ(ValueCodec<std::optional<int64_t>>::TypeName(), "int or null");
  EXPECT_TRUE(IsOptionalParam<std::optional<std::string>>::value);
  EXPECT_FALSE(IsOptionalParam<std::string>::value);
}

TEST_F(ValueCodecTest, AHandleArgumentResolvesToItsObject) {
  EXPECT_EQ(Must(Decode<std::shared_ptr<Lamp>>(HandleValue("lamp"))), lamp_);
  EXPECT_EQ(Must(Decode<std::shared_ptr<Object>>(HandleValue("bulb"))), bulb_);
  EXPECT_EQ(Must(Decode<std::shared_ptr<Lamp>>(Null())), nullptr);
  // The type name the client wrote is not what decides: the handle is.
  EXPECT_EQ(Must(Decode<std::shared_ptr<Lamp>>(HandleValue("lamp", "test.Bulb"))), lamp_);
}

TEST_F(ValueCodecTest, AHandleArgumentMustBeAnInstanceHandleOfTheRightType) {
  absl::Status unknown = Decode<std::shared_ptr<Lamp>>(HandleValue("elsewhere")).status();
  EXPECT_THAT(unknown, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Reason(unknown), "HANDLE_NOT_FOUND");
  EXPECT_THAT(Decode<std::shared_ptr<Lamp>>(HandleValue("lamp-class", "test.Lamp", true)),
              IsArgumentError("argument 'x': expected a handle to 'test.Lamp', "
                              "got a class handle"));
  EXPECT_THAT(Decode<std::shared_ptr<Lamp>>(HandleValue("lamp-narrowed")),
              IsArgumentError("argument 'x': a restricted handle cannot be passed as an argument"));
  EXPECT_THAT(Decode<std::shared_ptr<Lamp>>(HandleValue("bulb")),
              IsArgumentError("argument 'x': expected a handle to 'test.Lamp', got 'test.Bulb'"));
  EXPECT_THAT(Decode<std::shared_ptr<Lamp>>(Int(1)),
              IsArgumentError("argument 'x': expected a handle to 'test.Lamp', got int"));
  // A type that is not registered is named by its C++ name.
  EXPECT_THAT(Decode<std::shared_ptr<Stray>>(HandleValue("lamp")),
              IsArgumentError("argument 'x': expected a handle to "
                              "'orb::testing::(anonymous namespace)::Stray', got 'test.Lamp'"));
}

TEST_F(ValueCodecTest, AnObjectResultIsAPlaceholderUntilTheBrokerExportsIt) {
  absl::StatusOr<v1::Value> first = Encode<std::shared_ptr<Lamp>>(lamp_);
  absl::StatusOr<v1::Value> second = Encode<std::shared_ptr<Bulb>>(bulb_);
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(first->handle().id(), "0");
  EXPECT_EQ(first->handle().type_name(), "test.Lamp");
  EXPECT_FALSE(first->handle().is_class());
  EXPECT_EQ(second->handle().id(), "1");
  ASSERT_THAT(inv_.exports(), SizeIs(2));
  EXPECT_EQ(inv_.exports()[0].object, lamp_);
  EXPECT_EQ(inv_.exports()[0].type, lamp_type_);
  EXPECT_FALSE(inv_.exports()[0].is_class);
  EXPECT_EQ(inv_.exports()[1].type, bulb_type_);

  EXPECT_EQ(Must(Encode<std::shared_ptr<Lamp>>(nullptr)).kind_case(), v1::Value::kNullValue);
  EXPECT_THAT(inv_.exports(), SizeIs(2));

  absl::StatusOr<v1::Value> list = Encode<std::vector<std::shared_ptr<Lamp>>>({lamp_, lamp_});
  ASSERT_THAT(list, IsOk());
  EXPECT_EQ(list->list_value().values(1).handle().id(), "3");
  EXPECT_THAT(inv_.exports(), SizeIs(4));
}

TEST_F(ValueCodecTest, AnUnregisteredObjectNeverBecomesAHandle) {
  absl::Status s = Encode<std::shared_ptr<Stray>>(std::make_shared<Stray>()).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInternal,
                          "the result is an object of C++ type "
                          "'orb::testing::(anonymous namespace)::Stray', which is not a "
                          "registered type"));
  EXPECT_EQ(Reason(s), "UNREGISTERED_TYPE");
  // Returned as its registered base it is still its own dynamic type.
  std::shared_ptr<Object> as_object = std::make_shared<Stray>();
  EXPECT_THAT(Encode<std::shared_ptr<Object>>(as_object), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(inv_.exports(), ::testing::IsEmpty());
}

TEST_F(ValueCodecTest, AClassResultExportsTheClassOfTheOrigin) {
  v1::Value out;
  ASSERT_THAT(inv_.ExportClass(typeid(Bulb), &out), IsOk());
  EXPECT_EQ(out.handle().type_name(), "test.Bulb");
  EXPECT_TRUE(out.handle().is_class());
  ASSERT_THAT(inv_.exports(), SizeIs(1));
  EXPECT_EQ(inv_.exports()[0].object, lamp_);  // the lineage it inherits
  EXPECT_TRUE(inv_.exports()[0].is_class);

  absl::Status s = inv_.ExportClass(typeid(Stray), &out);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInternal, HasSubstr("Stray")));
  EXPECT_EQ(Reason(s), "UNREGISTERED_TYPE");

  Invocation without_origin(call_, registry_, resolver_, nullptr);
  EXPECT_THAT(without_origin.ExportClass(typeid(Bulb), &out),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(without_origin.exports(), ::testing::IsEmpty());
}

TEST_F(ValueCodecTest, RawValuesPassThroughButMayNotForgeHandles) {
  v1::Value anything = Map({{"list", List({Int(1), HandleValue("lamp")})}});
  EXPECT_EQ(Must(Decode<v1::Value>(anything)).DebugString(), anything.DebugString());

  v1::Value plain = Map({{"list", List({Int(1), Str("two")})}});
  EXPECT_EQ(Must(Encode<v1::Value>(plain)).DebugString(), plain.DebugString());
  absl::Status s = Encode<v1::Value>(anything).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInternal,
                          "a raw orb.v1.Value result may not contain handle references; "
                          "return the object itself"));
  EXPECT_EQ(Reason(s), "BAD_VALUE");
  EXPECT_THAT(inv_.exports(), ::testing::IsEmpty());
}

TEST_F(ValueCodecTest, TypeNamesOfRegisteredAndOtherTypes) {
  EXPECT_EQ(inv_.TypeNameOf(typeid(Lamp)), "test.Lamp");
  EXPECT_EQ(inv_.TypeNameOf(typeid(Stray)), "orb::testing::(anonymous namespace)::Stray");
  EXPECT_EQ(DemangledName(typeid(Lamp)), "orb::testing::(anonymous namespace)::Lamp");
  EXPECT_EQ(ValueCodec<DoubleListMap>::TypeName(), "map of string to list of double");
  EXPECT_EQ(ValueCodec<std::shared_ptr<Lamp>>::TypeName(), "handle");
}

TEST(ValueKindName, NamesEveryKind) {
  v1::Value unset;
  EXPECT_EQ(ValueKindName(unset), "unset");
  EXPECT_EQ(ValueKindName(Null()), "null");
  EXPECT_EQ(ValueKindName(Bool(true)), "bool");
  EXPECT_EQ(ValueKindName(Int(1)), "int");
  EXPECT_EQ(ValueKindName(Dbl(1)), "double");
  EXPECT_EQ(ValueKindName(Str("")), "string");
  EXPECT_EQ(ValueKindName(BytesValue("")), "bytes");
  EXPECT_EQ(ValueKindName(List({})), "list");
  EXPECT_EQ(ValueKindName(Map({})), "map");
  EXPECT_EQ(ValueKindName(HandleValue("h")), "handle");
  EXPECT_EQ(ValueKindName(HandleValue("h", "", true)), "class handle");
  EXPECT_THAT(TypeMismatch("value of 'title'", "string", Int(3)),
              IsArgumentError("value of 'title': expected string, got int"));
}

TEST(IsValidUtf8, AcceptsWellFormedText) {
  for (const std::string& ok : {std::string(""), std::string("plain ascii"), std::string("\0", 1),
                                std::string("\x7f"), std::string("\xc2\x80"),  // U+0080
                                std::string("\xdf\xbf"),                       // U+07FF
                                std::string("\xe0\xa0\x80"),                   // U+0800
                                std::string("\xed\x9f\xbf"),                   // U+D7FF
                                std::string("\xee\x80\x80"),                   // U+E000
                                std::string("\xef\xbf\xbf"),                   // U+FFFF
                                std::string("\xf0\x90\x80\x80"),               // U+10000
                                std::string("\xf4\x8f\xbf\xbf")}) {            // U+10FFFF
    EXPECT_TRUE(IsValidUtf8(ok)) << absl::CHexEscape(ok);
  }
}

TEST(IsValidUtf8, RefusesOverlongsSurrogatesAndBrokenSequences) {
  for (const std::string bad : {
           "\x80",              // a continuation byte alone
           "\xbf",              //
           "\xc0\x80",          // overlong NUL
           "\xc1\xbf",          // overlong U+007F
           "\xe0\x80\x80",      // overlong
           "\xe0\x9f\xbf",      // overlong U+07FF
           "\xf0\x80\x80\x80",  // overlong
           "\xf0\x8f\xbf\xbf",  // overlong U+FFFF
           "\xed\xa0\x80",      // U+D800, a surrogate
           "\xed\xbf\xbf",      // U+DFFF
           "\xf4\x90\x80\x80",  // U+110000
           "\xf5\x80\x80\x80",  //
           "\xf8\x88\x80\x80\x80",
           "\xfe",
           "\xff",
           "\xc2",          // cut short
           "\xe2\x82",      //
           "\xf0\x9f\x92",  //
           "\xc2\x41",      // a non-continuation inside
           "\xe2\x28\xa1",  //
           "ok\xc3",        // cut short at the end
       }) {
    EXPECT_FALSE(IsValidUtf8(bad)) << absl::CHexEscape(bad);
  }
}

// ValidateIncomingValue with `limits`, counting from zero.
absl::Status Validate(const v1::Value& v, ValueLimits limits = {},
                      const std::function<absl::Status(const v1::HandleRef&)>& check = nullptr) {
  size_t elements = 0;
  return ValidateIncomingValue(v, limits, "argument 'x'", &elements, check);
}

TEST(ValidateIncomingValue, EachListOrMapIsOneLevelOfNesting) {
  ValueLimits limits;
  limits.max_depth = 3;
  EXPECT_THAT(Validate(Nested(3), limits), IsOk());
  EXPECT_THAT(Validate(Map({{"a", Nested(2)}}), limits), IsOk());
  absl::Status s = Validate(Nested(4), limits);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                          "argument 'x': value nesting exceeds max_value_depth (3)"));
  EXPECT_EQ(Reason(s), "VALUE_TOO_DEEP");
  EXPECT_EQ(GetErrorInfo(s)->gate(), "limits");
  EXPECT_THAT(Validate(Map({{"a", Nested(3)}}), limits),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_value_depth (3)")));
  // Scalars are no level.
  limits.max_depth = 0;
  EXPECT_THAT(Validate(Int(1), limits), IsOk());
  EXPECT_THAT(Validate(List({}), limits), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ValidateIncomingValue, TheDefaultDepthIsSixtyFour) {
  EXPECT_THAT(Validate(Nested(64)), IsOk());
  EXPECT_THAT(Validate(Nested(65)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_value_depth (64)")));
}

TEST(ValidateIncomingValue, ElementsAreCountedOverTheWholeRequest) {
  ValueLimits limits;
  limits.max_elements = 5;
  size_t elements = 0;
  // A list and its two items: three values.
  ASSERT_THAT(ValidateIncomingValue(List({Int(1), Int(2)}), limits, "argument 'a'", &elements),
              IsOk());
  EXPECT_EQ(elements, 3u);
  // A map counts itself and its values, not its keys.
  ASSERT_THAT(ValidateIncomingValue(Map({{"k", Null()}}), limits, "argument 'b'", &elements),
              IsOk());
  EXPECT_EQ(elements, 5u);
  absl::Status s = ValidateIncomingValue(Bool(true), limits, "argument 'c'", &elements);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                          "the request has more than max_value_elements (5) values"));
  EXPECT_EQ(Reason(s), "VALUE_TOO_LARGE");
  EXPECT_EQ(GetErrorInfo(s)->gate(), "limits");
}

TEST(ValidateIncomingValue, EveryValueNeedsAKind) {
  v1::Value unset;
  absl::Status s = Validate(unset);
  EXPECT_THAT(
      s, StatusIs(absl::StatusCode::kInvalidArgument, "argument 'x': a value has no kind set"));
  EXPECT_EQ(Reason(s), "BAD_VALUE");
  EXPECT_THAT(
      Validate(Map({{"deep", List({Int(1), unset})}})),
      StatusIs(absl::StatusCode::kInvalidArgument, "argument 'x': a value has no kind set"));
}

TEST(ValidateIncomingValue, StringsAndMapKeysMustBeUtf8AndBytesNeedNot) {
  absl::Status s = Validate(List({Str("fine"), Str("\xc0\xaf")}));
  EXPECT_THAT(
      s, StatusIs(absl::StatusCode::kInvalidArgument, "argument 'x': a string is not valid UTF-8"));
  EXPECT_EQ(Reason(s), "BAD_VALUE");
  s = Validate(Map({{"\xff", Int(1)}}));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                          "argument 'x': a map key is not valid UTF-8"));
  EXPECT_EQ(Reason(s), "BAD_VALUE");
  EXPECT_THAT(Validate(BytesValue("\xff\xfe")), IsOk());
  EXPECT_THAT(Validate(Map({{"\xc3\xa9t\xc3\xa9", Str("\xe2\x82\xac")}})), IsOk());
}

TEST(ValidateIncomingValue, EveryHandleIsCheckedWhereverItIs) {
  std::vector<std::string> seen;
  auto check = [&seen](const v1::HandleRef& ref) {
    seen.push_back(ref.id());
    return ref.id() == "bad" ? absl::NotFoundError("no such handle") : absl::OkStatus();
  };
  EXPECT_THAT(Validate(List({HandleValue("a"), Map({{"k", List({HandleValue("b")})}})}), {}, check),
              IsOk());
  EXPECT_THAT(seen, ElementsAre("a", "b"));
  EXPECT_THAT(Validate(List({HandleValue("bad")}), {}, check),
              StatusIs(absl::StatusCode::kNotFound, "no such handle"));
  // Without a check, a handle is just a value.
  EXPECT_THAT(Validate(HandleValue("anything")), IsOk());
}

}  // namespace
}  // namespace orb::testing
