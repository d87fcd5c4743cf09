// The decision path allocates nothing: every operator new in this binary is
// counted, and Permits must not move the count.
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "orb/policy/acl.h"
#include "orb/policy/symbols.h"
#include "tests/testing/allocation_counting.h"

namespace {
std::atomic<long> g_allocations{0};

#if ORB_COUNT_ALLOCATIONS
void* CountedAlloc(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
#endif
}  // namespace

#if ORB_COUNT_ALLOCATIONS
void* operator new(std::size_t n) { return CountedAlloc(n); }
void* operator new[](std::size_t n) { return CountedAlloc(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#endif  // ORB_COUNT_ALLOCATIONS

namespace orb::policy {
namespace {

class DecisionPath : public ::testing::Test {
 protected:
  void SetUp() override {
    ORB_SKIP_UNLESS_COUNTING_ALLOCATIONS();
    root_ = Acl::Compile({AceSpec::Allow("system.Authenticated", "view"), AceSpec::Deny("mallory", "edit"),
                          AceSpec::Allow("group:staff", std::vector<std::string>{"edit", "delete", "view"})});
    middle_ = Acl::Compile({AceSpec::Allow("fred", "view"), AceSpec::DenyAll()});
    leaf_ = Acl::Compile({});
    lineage_ = {{leaf_.get(), "leaf"}, {nullptr, "gap"}, {middle_.get(), "middle"}, {root_.get(), "root"}};
    short_lineage_ = {{leaf_.get(), "leaf"}, {nullptr, "gap"}, {root_.get(), "root"}};
  }

  // Allocations made by `f`, after one warm-up call.
  template <typename F>
  long AllocationsOf(F f) {
    f();
    const long before = g_allocations.load();
    for (int i = 0; i < 100; ++i) f();
    return g_allocations.load() - before;
  }

  AclPtr root_, middle_, leaf_;
  std::vector<LineageNode> lineage_, short_lineage_;
};

TEST_F(DecisionPath, CounterSeesAllocations) {
  // Guards the test itself: Message allocates, and the counter must notice.
  const Principals p({"fred"});
  const AclResult r = Permits(lineage_, p, "view");
  EXPECT_GT(AllocationsOf([&] { return r.Message(lineage_, p.as_given(), "view"); }), 0);
}

TEST_F(DecisionPath, PermitsByIdAllocatesNothing) {
  const Principals staff({"system.Everyone", "system.Authenticated", "bob", "group:staff"});
  const Principals mallory({"mallory"});
  const Principals nobody({"nobody"});
  const SymbolId view = SymbolTable::Global().Intern("view");
  const SymbolId edit = SymbolTable::Global().Intern("edit");
  bool allowed = false, denied = true, default_denied = false;
  EXPECT_EQ(AllocationsOf([&] { allowed = Permits(short_lineage_, staff, edit).allowed(); }), 0);
  EXPECT_EQ(AllocationsOf([&] { denied = Permits(lineage_, staff, edit).allowed(); }), 0);  // DENY_ALL
  EXPECT_EQ(AllocationsOf([&] { default_denied = Permits(lineage_, nobody, view).default_deny(); }), 0);
  EXPECT_EQ(AllocationsOf([&] { denied = Permits(short_lineage_, mallory, edit).allowed(); }), 0);
  EXPECT_TRUE(allowed);
  EXPECT_FALSE(denied);
  EXPECT_TRUE(default_denied);
}

TEST_F(DecisionPath, PermitsByNameAllocatesNothing) {
  const Principals staff({"group:staff"});
  bool allowed = false, unknown = true;
  EXPECT_EQ(AllocationsOf([&] { allowed = Permits(short_lineage_, staff, "delete").allowed(); }), 0);
  EXPECT_EQ(AllocationsOf([&] { unknown = Permits(short_lineage_, staff, "acl_alloc_test.unknown").allowed(); }),
            0);
  EXPECT_TRUE(allowed);
  EXPECT_FALSE(unknown);
}

}  // namespace
}  // namespace orb::policy
