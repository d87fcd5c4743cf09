// Interned principals are bounded: a userid that no policy names is
// interned only while a session of that user lives, so a broker that sees
// many distinct ticket users over its life holds the names of the users it
// serves now, not of every user it ever saw (issue 11; see
// orb/policy/symbols.h).
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "orb/broker/broker_core.h"
#include "orb/demo/blog.h"
#include "orb/policy/symbols.h"
#include "tests/testing/broker_fixture.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ORB_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define ORB_TEST_SANITIZED 1
#endif
#endif

namespace orb::testing {
namespace {

#ifdef ORB_TEST_SANITIZED
constexpr bool kSanitizedBuild = true;
#else
constexpr bool kSanitizedBuild = false;
#endif

using policy::SymbolTable;

// Resident set size of this process, in bytes (second field of statm).
size_t ResidentBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  const int read = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return read == 2 ? resident * static_cast<size_t>(sysconf(_SC_PAGESIZE)) : 0;
}

// A ticket user that the policy does not name (the policy's users table
// holds only alice, bob and carol).
policy::Identity TicketUser(int n) {
  policy::Identity id;
  id.userid = absl::StrCat("ticket-user-", n, "@example.com");
  id.method = "ticket";
  return id;
}

// Opens and closes one session for each of users [first, first + count).
void OpenAndCloseSessions(BrokerCore& core, int first, int count) {
  for (int n = first; n < first + count; ++n) {
    RequestContext ctx;
    ctx.identity = TicketUser(n);
    v1::OpenSessionResponse opened;
    absl::Status s = core.OpenSession(ctx, v1::OpenSessionRequest(), &opened);
    ASSERT_TRUE(s.ok()) << "user " << n << ": " << s;
    v1::CloseSessionRequest close;
    close.set_session(opened.session());
    v1::CloseSessionResponse closed;
    s = core.CloseSession(ctx, close, &closed);
    ASSERT_TRUE(s.ok()) << "user " << n << ": " << s;
  }
}

TEST(InternedPrincipals, ManyDistinctTicketUsersLeaveMemoryAndSymbolsFlat) {
  auto registry = std::make_shared<TypeRegistry>();
  ASSERT_TRUE(demo::RegisterBlogTypes(*registry).ok());
  // No debug sink: its lines would grow with the number of calls.
  BrokerCore core(registry, demo::MakeBlog(), CompilePolicy(kBasePolicy), BrokerCore::Options());

  constexpr int kWarmUsers = 10'000;
  constexpr int kMoreUsers = 100'000;
  OpenAndCloseSessions(core, 0, kWarmUsers);
  if (::testing::Test::HasFatalFailure()) return;
  const size_t warm_symbols = SymbolTable::Global().size();
  const size_t warm_capacity = SymbolTable::Global().capacity();
  const size_t warm_rss = ResidentBytes();
  ASSERT_GT(warm_rss, 0u) << "cannot read /proc/self/statm";

  OpenAndCloseSessions(core, kWarmUsers, kMoreUsers);
  if (::testing::Test::HasFatalFailure()) return;

  // Every one of the 100,000 userids was forgotten with its session.
  EXPECT_EQ(SymbolTable::Global().size(), warm_symbols);
  EXPECT_EQ(SymbolTable::Global().capacity(), warm_capacity);
  EXPECT_EQ(SymbolTable::Global().Find(TicketUser(kWarmUsers + kMoreUsers - 1).userid),
            policy::kNoSymbol);
  // 100,000 names kept for ever would take about 11 MiB (each a table
  // entry, a heap string and a hash slot); flat memory stays far below.
  // Not under the sanitizers: their allocators keep freed memory (ASan's
  // quarantine, TSan's shadow), so RSS says nothing about leaks there; the
  // symbol table checks above still run.
  if (kSanitizedBuild) return;
  const size_t rss = ResidentBytes();
  const size_t growth = rss > warm_rss ? rss - warm_rss : 0;
  EXPECT_LT(growth, size_t{8} << 20) << "RSS grew from " << warm_rss << " to " << rss;
}

}  // namespace
}  // namespace orb::testing
