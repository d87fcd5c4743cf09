// ORB_COUNT_ALLOCATIONS: whether a test binary may replace the global
// operator new/delete to count allocations.
//
// ThreadSanitizer's runtime defines operator new and delete itself (they
// are how it tracks the heap), so a TSan build cannot link replacements.
// Tests that count allocations replace them only when this is 1 and skip
// their counting checks otherwise; the gcc and ASan builds run them.
#ifndef ORB_TESTS_TESTING_ALLOCATION_COUNTING_H_
#define ORB_TESTS_TESTING_ALLOCATION_COUNTING_H_

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

#if defined(__SANITIZE_THREAD__)
#define ORB_COUNT_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ORB_COUNT_ALLOCATIONS 0
#endif
#endif
#ifndef ORB_COUNT_ALLOCATIONS
#define ORB_COUNT_ALLOCATIONS 1
#endif

#define ORB_SKIP_UNLESS_COUNTING_ALLOCATIONS()                                           \
  do {                                                                                   \
    if (!ORB_COUNT_ALLOCATIONS) {                                                        \
      GTEST_SKIP() << "ThreadSanitizer owns operator new here; allocations are counted " \
                      "in the other builds";                                             \
    }                                                                                    \
  } while (0)

// ORB_REPLACE_OPERATOR_NEW_COUNTING(counter): at namespace scope in one
// test binary, replaces the global operator new/new[] with malloc plus one
// increment of `counter` (a std::atomic<long>), and delete with free. Does
// nothing where ORB_COUNT_ALLOCATIONS is 0. The functions stay out of line:
// inlined next to a new-expression, GCC's -Wmismatched-new-delete would take
// free() for a mismatch with new.
#if ORB_COUNT_ALLOCATIONS
#define ORB_REPLACE_OPERATOR_NEW_COUNTING(counter)                                               \
  __attribute__((noinline)) void* operator new(std::size_t size) {                               \
    (counter).fetch_add(1, std::memory_order_relaxed);                                           \
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;                                   \
    throw std::bad_alloc();                                                                      \
  }                                                                                              \
  __attribute__((noinline)) void* operator new[](std::size_t size) {                             \
    (counter).fetch_add(1, std::memory_order_relaxed);                                           \
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;                                   \
    throw std::bad_alloc();                                                                      \
  }                                                                                              \
  __attribute__((noinline)) void operator delete(void* p) noexcept { std::free(p); }             \
  __attribute__((noinline)) void operator delete[](void* p) noexcept { std::free(p); }           \
  __attribute__((noinline)) void operator delete(void* p, std::size_t) noexcept { std::free(p); } \
  __attribute__((noinline)) void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#else
#define ORB_REPLACE_OPERATOR_NEW_COUNTING(counter)
#endif

#endif  // ORB_TESTS_TESTING_ALLOCATION_COUNTING_H_
