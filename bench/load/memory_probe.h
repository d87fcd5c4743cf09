// Memory of live handles: a BrokerCore serving the blog demo in this
// process, filled with handles, emptied, and filled again.
//
// What is counted: `entries` demo entries are created first and stay (they
// are part of the baseline, like any broker's objects); then each cycle
// opens `sessions` sessions as alice and calls entries() once in each,
// which gives the session a handle to every entry, next to its root handle.
// So a cycle holds sessions * (entries + 1) handles, each a distinct
// handle-table entry (its own id, its own pin of the lineage), and the
// figure per handle is the RSS growth over the baseline divided by that
// count: the handle tables, the ids, the sessions themselves (1/entries of a
// session each) and the allocator's overhead. The cycle then closes every
// session and reads RSS again after malloc_trim(0), since glibc may keep
// freed memory for reuse without returning it to the kernel.
#ifndef ORB_BENCH_LOAD_MEMORY_PROBE_H_
#define ORB_BENCH_LOAD_MEMORY_PROBE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace orb::bench {

// Resident set size of this process now, and its peak (VmHWM), in bytes.
int64_t CurrentRssBytes();
int64_t PeakRssBytes();

struct MemoryCycle {
  int64_t handles = 0;            // live handles at the full point
  int64_t rss_full = 0;           // RSS with them all live
  int64_t rss_released = 0;       // RSS after closing every session and malloc_trim(0)
  double seconds_to_fill = 0;
};

struct MemoryReport {
  int64_t entries = 0;
  int64_t sessions = 0;
  int64_t rss_baseline = 0;  // after the entries exist, before any handle
  std::vector<MemoryCycle> cycles;
  int64_t peak_rss = 0;      // VmHWM at the end
};

// Runs the cycles described above. Errors: whatever a broker call returns.
absl::StatusOr<MemoryReport> MeasureHandleMemory(const std::string& source_dir, int64_t entries,
                                                 int64_t sessions, int cycles);

}  // namespace orb::bench

#endif  // ORB_BENCH_LOAD_MEMORY_PROBE_H_
