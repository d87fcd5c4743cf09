// The one set of test builders: orb.v1.Value literals and compiled
// policies. Header-only; a test using the policy helpers links orb_policy,
// one using the Value builders links orb_proto.
#ifndef ORB_TESTS_TESTING_BUILDERS_H_
#define ORB_TESTS_TESTING_BUILDERS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "orb/policy/policy_loader.h"
#include "orb/v1/value.pb.h"
#include "tests/testing/test_support.h"

namespace orb::testing {

// ---------------------------------------------------------------- values

inline v1::Value Str(std::string s) {
  v1::Value v;
  v.set_string_value(std::move(s));
  return v;
}
inline v1::Value Int(int64_t i) {
  v1::Value v;
  v.set_int_value(i);
  return v;
}
inline v1::Value Dbl(double d) {
  v1::Value v;
  v.set_double_value(d);
  return v;
}
inline v1::Value Bool(bool b) {
  v1::Value v;
  v.set_bool_value(b);
  return v;
}
inline v1::Value BytesValue(std::string b) {
  v1::Value v;
  v.set_bytes_value(std::move(b));
  return v;
}
inline v1::Value Null() {
  v1::Value v;
  v.set_null_value(v1::NULL_VALUE);
  return v;
}
inline v1::Value List(std::vector<v1::Value> items) {
  v1::Value v;
  v.mutable_list_value();  // an empty list is still a list
  for (auto& item : items) *v.mutable_list_value()->add_values() = std::move(item);
  return v;
}
// A list of `n` copies of `item` (for size limits).
inline v1::Value ListOf(size_t n, const v1::Value& item) {
  v1::Value v;
  auto* values = v.mutable_list_value()->mutable_values();
  values->Reserve(static_cast<int>(n));
  for (size_t i = 0; i < n; ++i) *values->Add() = item;
  return v;
}
inline v1::Value Map(std::vector<std::pair<std::string, v1::Value>> fields) {
  v1::Value v;
  auto* out = v.mutable_map_value()->mutable_fields();
  for (auto& [k, item] : fields) (*out)[k] = std::move(item);
  return v;
}
inline v1::Value Ref(const v1::HandleRef& ref) {
  v1::Value v;
  *v.mutable_handle() = ref;
  return v;
}
// `depth` lists, one inside the other, around `leaf` (for depth limits).
inline v1::Value Nested(int depth, v1::Value leaf = Int(1)) {
  v1::Value v = std::move(leaf);
  for (int i = 0; i < depth; ++i) v = List({std::move(v)});
  return v;
}

// -------------------------------------------------------------- policies

// Compiles policy text; every compile error fails the test (the result is
// then null). `base_dir` resolves relative file names in the text (by
// default against the source tree, whatever the test's working directory).
inline policy::PolicyPtr CompilePolicy(const std::string& text,
                                       const std::string& name = "test.textproto",
                                       const std::string& base_dir = ORB_SOURCE_DIR) {
  policy::LoadResult loaded = policy::CompilePolicyText(text, name, base_dir);
  for (const policy::PolicyError& e : loaded.errors) ADD_FAILURE() << e.ToString();
  return loaded.policy;
}

// The blog demo's policy (examples/blog/policy.textproto) with `extra`
// appended (e.g. limits).
inline policy::PolicyPtr DemoPolicy(const std::string& extra = "") {
  return CompilePolicy(ReadSourceFile("examples/blog/policy.textproto") + "\n" + extra,
                       "examples/blog/policy.textproto",
                       std::string(ORB_SOURCE_DIR) + "/examples/blog");
}

}  // namespace orb::testing

#endif  // ORB_TESTS_TESTING_BUILDERS_H_
