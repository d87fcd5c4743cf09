#include "policy/symbols.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testing/joining_thread.h"

namespace orb::policy {
namespace {

using ::orb::testing::JoiningThread;

TEST(SymbolTable, InternIsStableAndDense) {
  SymbolTable table;
  const SymbolId a = table.Intern("view");
  const SymbolId b = table.Intern("edit");
  EXPECT_EQ(a, 0u);
  EXPECT_EQ(b, 1u);
  EXPECT_EQ(table.Intern("view"), a);
  EXPECT_EQ(table.Name(a), "view");
  EXPECT_EQ(table.Name(b), "edit");
}

TEST(SymbolTable, FindNeverInterns) {
  SymbolTable table;
  EXPECT_EQ(table.Find("view"), kNoSymbol);
  EXPECT_EQ(table.Find("view"), kNoSymbol);
  const SymbolId id = table.Intern("view");
  EXPECT_EQ(table.Find("view"), id);
  EXPECT_EQ(table.Intern("other"), id + 1);  // Find consumed no id
}

TEST(SymbolTable, NamesAreExactBytes) {
  SymbolTable table;
  const SymbolId lower = table.Intern("bob");
  EXPECT_NE(table.Intern("Bob"), lower);
  EXPECT_NE(table.Intern("bob "), lower);
  EXPECT_NE(table.Intern(""), lower);
  const std::string with_nul("a\0b", 3);
  const SymbolId nul = table.Intern(with_nul);
  EXPECT_NE(table.Intern("a"), nul);
  EXPECT_EQ(table.Name(nul), with_nul);
}

TEST(SymbolTable, NameViewsSurviveGrowth) {
  SymbolTable table;
  const absl::string_view first = table.Name(table.Intern("first"));
  for (int i = 0; i < 10000; ++i) table.Intern("name-" + std::to_string(i));
  EXPECT_EQ(first, "first");
  EXPECT_EQ(table.Find("name-9999"), 10000u);
}

TEST(SymbolTable, ConcurrentInternAgreesOnIds) {
  SymbolTable table;
  constexpr int kThreads = 8;
  constexpr int kNames = 2000;
  std::vector<std::vector<SymbolId>> ids(kThreads, std::vector<SymbolId>(kNames));
  std::vector<JoiningThread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kNames; ++i) {
        // Half the threads walk backwards so that races on new names happen.
        const int n = (t % 2 == 0) ? i : kNames - 1 - i;
        ids[t][n] = table.Intern("p" + std::to_string(n));
        EXPECT_EQ(table.Name(ids[t][n]), "p" + std::to_string(n));
      }
    });
  }
  for (JoiningThread& th : threads) th.Join();
  for (int t = 1; t < kThreads; ++t) EXPECT_EQ(ids[t], ids[0]);
  EXPECT_EQ(table.Intern("one-more"), static_cast<SymbolId>(kNames));  // no id was wasted
}

TEST(SymbolTable, GlobalIsOneTable) {
  EXPECT_EQ(&SymbolTable::Global(), &SymbolTable::Global());
  const SymbolId id = SymbolTable::Global().Intern("symbols_test.global");
  EXPECT_EQ(SymbolTable::Global().Find("symbols_test.global"), id);
}

TEST(Principals, ContainsExactlyTheGivenNames) {
  const Principals p({"system.Everyone", "bob", "group:x"});
  SymbolTable& g = SymbolTable::Global();
  EXPECT_TRUE(p.Contains(g.Intern("bob")));
  EXPECT_TRUE(p.Contains(g.Intern("system.Everyone")));
  EXPECT_TRUE(p.Contains(g.Intern("group:x")));
  EXPECT_FALSE(p.Contains(g.Intern("Bob")));
  EXPECT_FALSE(p.Contains(g.Intern("system.everyone")));
  EXPECT_FALSE(p.Contains(g.Intern("system.Authenticated")));
  EXPECT_FALSE(p.Contains(kNoSymbol));
}

TEST(Principals, KeepsOrderAndDuplicatesAsGiven) {
  const Principals p({"b", "a", "b"});
  EXPECT_EQ(p.as_given(), (std::vector<std::string>{"b", "a", "b"}));
  EXPECT_EQ(p.ids().size(), 2u);
  EXPECT_TRUE(std::is_sorted(p.ids().begin(), p.ids().end()));
}

TEST(Principals, EmptyContainsNothing) {
  const Principals p;
  EXPECT_TRUE(p.empty());
  EXPECT_FALSE(p.Contains(SymbolTable::Global().Intern(kEveryone)));
  EXPECT_EQ(p.mask(), 0u);
}

TEST(Principals, MaskCollisionsStillNeedMembership) {
  // Ids 64 apart share a mask bit; Contains must not trust the mask alone.
  SymbolTable& g = SymbolTable::Global();
  const SymbolId base = g.Intern("mask-collision-base");
  for (int i = 0; i < 64; ++i) g.Intern("mask-collision-" + std::to_string(i));
  SymbolId twin = kNoSymbol;
  for (int i = 0; i < 64; ++i) {
    const SymbolId id = g.Intern("mask-collision-" + std::to_string(i));
    if ((id & 63) == (base & 63)) twin = id;
  }
  ASSERT_NE(twin, kNoSymbol);
  const Principals p({"mask-collision-base"});
  EXPECT_TRUE(p.Contains(base));
  EXPECT_FALSE(p.Contains(twin));
  EXPECT_EQ(p.mask(), Principals::MaskBit(twin));
}

}  // namespace
}  // namespace orb::policy
