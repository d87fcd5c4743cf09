// Value conversion and validation (broker/value_codec.h): what every
// argument and every result pays.
//
//   BM_Validate/<shape>   ValidateIncomingValue with the default limits
//                         (kinds set, UTF-8, depth, element count)
//   BM_Decode/<shape>     orb.v1.Value -> C++ (ValueCodec<T>::Decode)
//   BM_Encode/<shape>     C++ -> orb.v1.Value (ValueCodec<T>::Encode)
// Shapes: scalar int, scalar string (40 bytes), a list of 100 ints, and a
// nested map: 10 keys, each a map of 10 keys to a 20-byte string (111
// Value nodes).
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/bench_support.h"
#include "benchmark/benchmark.h"
#include "orb/broker/value_codec.h"

namespace orb {

using orb::broker::CallContext;
using orb::broker::HandleResolver;
using orb::broker::Invocation;
using orb::broker::ResolvedHandle;
using orb::broker::TypeRegistry;
using orb::broker::ValidateIncomingValue;
using orb::broker::ValueCodec;
using orb::broker::ValueLimits;
namespace {

using NestedMap = std::map<std::string, std::map<std::string, std::string>>;

class NoHandles final : public HandleResolver {
 public:
  absl::StatusOr<ResolvedHandle> Resolve(const v1::HandleRef&) const override {
    return absl::NotFoundError("no handles here");
  }
};

// What an Invocation needs; built once.
struct Env {
  Env()
      : registry(bench::DemoRegistry()),
        identity(bench::Alice()),
        principals(identity.EffectivePrincipals()),
        call(identity, principals, "session", absl::InfiniteFuture(), nullptr, nullptr) {}
  std::shared_ptr<TypeRegistry> registry;
  policy::Identity identity;
  policy::Principals principals;
  CallContext call;
  NoHandles resolver;
};

Env& E() {
  static Env* const env = new Env();
  return *env;
}

enum Shape : int { kInt = 0, kString = 1, kList100 = 2, kNestedMap = 3 };

std::vector<int64_t> List100() {
  std::vector<int64_t> v(100);
  for (int i = 0; i < 100; ++i) v[i] = i * 7919;
  return v;
}

NestedMap Nested() {
  NestedMap m;
  for (int i = 0; i < 10; ++i) {
    for (int j = 0; j < 10; ++j) {
      m[absl::StrCat("key", i)][absl::StrCat("field", j)] = std::string(20, 'a' + j);
    }
  }
  return m;
}

// The wire form of each shape.
v1::Value WireValue(Shape shape) {
  NoHandles none;
  Invocation inv(E().call, *E().registry, none, nullptr);
  v1::Value v;
  switch (shape) {
    case kInt:
      v.set_int_value(123456789);
      break;
    case kString:
      v.set_string_value(std::string(40, 'x'));
      break;
    case kList100:
      (void)ValueCodec<std::vector<int64_t>>::Encode(List100(), inv, &v);
      break;
    case kNestedMap:
      (void)ValueCodec<NestedMap>::Encode(Nested(), inv, &v);
      break;
  }
  return v;
}

const char* ShapeName(Shape shape) {
  switch (shape) {
    case kInt: return "int";
    case kString: return "string40";
    case kList100: return "list100";
    case kNestedMap: return "nested_map";
  }
  return "?";
}

void BM_Validate(benchmark::State& state) {
  const auto shape = static_cast<Shape>(state.range(0));
  state.SetLabel(ShapeName(shape));
  const v1::Value value = WireValue(shape);
  const ValueLimits limits;
  for (auto _ : state) {
    size_t elements = 0;
    absl::Status s = ValidateIncomingValue(value, limits, "argument 0", &elements);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_Validate)->ArgName("shape")->DenseRange(kInt, kNestedMap);

template <typename T>
void DecodeLoop(benchmark::State& state, Shape shape) {
  state.SetLabel(ShapeName(shape));
  const v1::Value value = WireValue(shape);
  Invocation inv(E().call, *E().registry, E().resolver, nullptr);
  for (auto _ : state) {
    T out{};
    absl::Status s = ValueCodec<T>::Decode(value, inv, "argument 0", &out);
    if (!s.ok()) state.SkipWithError("decode failed: the fixture is wrong");
    benchmark::DoNotOptimize(out);
  }
}

void BM_Decode(benchmark::State& state) {
  switch (static_cast<Shape>(state.range(0))) {
    case kInt: return DecodeLoop<int64_t>(state, kInt);
    case kString: return DecodeLoop<std::string>(state, kString);
    case kList100: return DecodeLoop<std::vector<int64_t>>(state, kList100);
    case kNestedMap: return DecodeLoop<NestedMap>(state, kNestedMap);
  }
}
BENCHMARK(BM_Decode)->ArgName("shape")->DenseRange(kInt, kNestedMap);

template <typename T>
void EncodeLoop(benchmark::State& state, Shape shape, const T& in) {
  state.SetLabel(ShapeName(shape));
  Invocation inv(E().call, *E().registry, E().resolver, nullptr);
  for (auto _ : state) {
    v1::Value out;
    absl::Status s = ValueCodec<T>::Encode(in, inv, &out);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(out);
  }
}

void BM_Encode(benchmark::State& state) {
  switch (static_cast<Shape>(state.range(0))) {
    case kInt: return EncodeLoop<int64_t>(state, kInt, 123456789);
    case kString: return EncodeLoop<std::string>(state, kString, std::string(40, 'x'));
    case kList100: return EncodeLoop(state, kList100, List100());
    case kNestedMap: return EncodeLoop(state, kNestedMap, Nested());
  }
}
BENCHMARK(BM_Encode)->ArgName("shape")->DenseRange(kInt, kNestedMap);

}  // namespace
}  // namespace orb

ORB_BENCHMARK_MAIN();
