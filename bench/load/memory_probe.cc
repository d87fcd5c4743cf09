#include "bench/load/memory_probe.h"

#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "bench/bench_support.h"
#include "orb/broker/broker_core.h"

namespace orb::bench {

using orb::broker::BrokerCore;
using orb::broker::RequestContext;

int64_t CurrentRssBytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size_pages = 0;
  int64_t resident_pages = 0;
  statm >> size_pages >> resident_pages;
  return resident_pages * static_cast<int64_t>(sysconf(_SC_PAGESIZE));
}

int64_t PeakRssBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view rest = line;
    if (absl::ConsumePrefix(&rest, "VmHWM:")) {
      rest = absl::StripAsciiWhitespace(rest);
      absl::ConsumeSuffix(&rest, " kB");
      int64_t kib = 0;
      if (absl::SimpleAtoi(rest, &kib)) return kib * 1024;
    }
  }
  return 0;
}

namespace {

// Back to the kernel whatever glibc keeps, so RSS shows what is in use.
int64_t TrimmedRss() {
  malloc_trim(0);
  return CurrentRssBytes();
}

}  // namespace

absl::StatusOr<MemoryReport> MeasureHandleMemory(const std::string& source_dir, int64_t entries,
                                                 int64_t sessions, int cycles) {
  std::string limits = absl::StrCat("limits {\n  max_sessions_per_identity: ", sessions + 1,
                                    "\n  max_handles_per_session: ", entries + 2, "\n}\n");
  BrokerCore core(DemoRegistry(), demo::MakeBlog(), LoadDemoPolicy(source_dir, limits),
                  BrokerCore::Options());
  RequestContext ctx;
  ctx.identity = Alice();

  // The entries, added through one session that is closed again: the blog
  // keeps them alive.
  {
    v1::OpenSessionResponse opened;
    absl::Status s = core.OpenSession(ctx, v1::OpenSessionRequest(), &opened);
    if (!s.ok()) return s;
    v1::CallRequest add;
    add.set_session(opened.session());
    add.set_handle(opened.root().id());
    add.set_name("add_entry");
    add.add_args()->set_string_value("an entry");
    add.add_args()->set_string_value("its body");
    for (int64_t i = 0; i < entries; ++i) {
      v1::CallResponse added;
      s = core.Call(ctx, add, &added);
      if (!s.ok()) return s;
    }
    v1::CloseSessionRequest close;
    close.set_session(opened.session());
    v1::CloseSessionResponse closed;
    s = core.CloseSession(ctx, close, &closed);
    if (!s.ok()) return s;
  }

  MemoryReport report;
  report.entries = entries;
  report.sessions = sessions;
  report.rss_baseline = TrimmedRss();
  for (int cycle = 0; cycle < cycles; ++cycle) {
    MemoryCycle c;
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::string> ids;
    ids.reserve(static_cast<size_t>(sessions));
    for (int64_t i = 0; i < sessions; ++i) {
      v1::OpenSessionResponse opened;
      absl::Status s = core.OpenSession(ctx, v1::OpenSessionRequest(), &opened);
      if (!s.ok()) return s;
      v1::CallRequest list;
      list.set_session(opened.session());
      list.set_handle(opened.root().id());
      list.set_name("entries");
      v1::CallResponse listed;
      s = core.Call(ctx, list, &listed);
      if (!s.ok()) return s;
      ids.push_back(opened.session());
    }
    c.seconds_to_fill =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    c.handles = static_cast<int64_t>(core.handle_count());
    // Trimmed as well, so that the freed responses of entries() do not
    // count as handle memory.
    c.rss_full = TrimmedRss();
    for (const std::string& id : ids) {
      v1::CloseSessionRequest close;
      close.set_session(id);
      v1::CloseSessionResponse closed;
      absl::Status s = core.CloseSession(ctx, close, &closed);
      if (!s.ok()) return s;
    }
    ids.clear();
    ids.shrink_to_fit();
    c.rss_released = TrimmedRss();
    report.cycles.push_back(c);
  }
  report.peak_rss = PeakRssBytes();
  return report;
}

}  // namespace orb::bench
