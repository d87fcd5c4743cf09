// ORB_COUNT_ALLOCATIONS: whether a test binary may replace the global
// operator new/delete to count allocations.
//
// ThreadSanitizer's runtime defines operator new and delete itself (they
// are how it tracks the heap), so a TSan build cannot link replacements.
// Tests that count allocations replace them only when this is 1 and skip
// their counting checks otherwise; the gcc and ASan builds run them.
#ifndef ORB_TESTS_TESTING_ALLOCATION_COUNTING_H_
#define ORB_TESTS_TESTING_ALLOCATION_COUNTING_H_

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

#endif  // ORB_TESTS_TESTING_ALLOCATION_COUNTING_H_
