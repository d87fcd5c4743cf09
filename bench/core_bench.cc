// The whole BrokerCore path in-process, without gRPC: what orb itself adds
// to a call (session and handle lookup, value checks, both gates, the bound
// member, handle creation), so the load generator's figures can be split
// into "gRPC" and "core". The caller is alice (an editor) on the blog demo.
//
//   BM_Core_GetAttr          getattr 'title' on the blog (the root)
//   BM_Core_GetAttr_Entry    getattr 'title' on an entry (lineage of 2, the
//                            entry's dynamic ACL, then the blog's)
//   BM_Core_SetAttr          setattr 'title' on the blog
//   BM_Core_CallValue        call entries() on a blog with no entries: a
//                            method that returns a value (an empty list)
//   BM_Core_CallHandle       call entry('entry-1'): returns an existing
//                            entry as a new handle, then Release of it
//   BM_Core_OpenClose        OpenSession + CloseSession
//   BM_Core_GetAttr_Shadow,  the two getattr cases with a shadow policy (the
//   BM_Core_GetAttr_Entry_Shadow  demo's own, so they agree): the cost of
//                            deciding every gated operation twice
// threads:T runs T threads, each with its own session (the serialized blog
// object is shared, as it is between real clients).
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_support.h"
#include "benchmark/benchmark.h"
#include "orb/broker/broker_core.h"
#include "orb/policy/authn.h"

namespace orb {

using orb::broker::BrokerCore;
using orb::broker::RequestContext;
namespace {

constexpr int kMaxThreads = 8;

v1::Value Str(const std::string& s) {
  v1::Value v;
  v.set_string_value(s);
  return v;
}

struct Core {
  // `entries`: how many entries alice adds to the blog first; `shadow`:
  // decide every gated operation under a shadow policy too.
  explicit Core(int entries, bool shadow = false)
      : core(bench::DemoRegistry(), demo::MakeBlog(),
             bench::LoadDemoPolicy(ORB_SOURCE_DIR, bench::kBenchLimits), BrokerCore::Options()) {
    if (shadow) core.SetShadowPolicy(bench::LoadDemoPolicy(ORB_SOURCE_DIR, bench::kBenchLimits));
    ctx.identity = bench::Alice();
    for (int t = 0; t < kMaxThreads; ++t) {
      v1::OpenSessionRequest req;
      v1::OpenSessionResponse resp;
      Check(core.OpenSession(ctx, req, &resp));
      sessions.push_back(resp.session());
      roots.push_back(resp.root().id());
    }
    for (int i = 0; i < entries; ++i) {
      v1::CallRequest req;
      req.set_session(sessions[0]);
      req.set_handle(roots[0]);
      req.set_name("add_entry");
      *req.add_args() = Str("title");
      *req.add_args() = Str("body");
      v1::CallResponse resp;
      Check(core.Call(ctx, req, &resp));
      if (i == 0) first_entry = resp.result().handle().id();
    }
  }
  static void Check(const absl::Status& s) {
    if (!s.ok()) {
      std::fprintf(stderr, "fixture: %s\n", s.ToString().c_str());
      std::exit(1);
    }
  }
  BrokerCore core;
  RequestContext ctx;
  std::vector<std::string> sessions;
  std::vector<std::string> roots;
  std::string first_entry;  // a handle in sessions[0]
};

Core& Empty() {
  static Core* const core = new Core(0);
  return *core;
}

Core& WithEntries() {
  static Core* const core = new Core(8);
  return *core;
}

Core& Shadowed() {
  static Core* const core = new Core(0, true);
  return *core;
}

Core& ShadowedWithEntries() {
  static Core* const core = new Core(8, true);
  return *core;
}

void GetTitle(benchmark::State& state, Core& c, const std::string& handle) {
  v1::GetAttrRequest req;
  req.set_session(c.sessions[handle.empty() ? state.thread_index() : 0]);
  req.set_handle(handle.empty() ? c.roots[state.thread_index()] : handle);
  req.set_name("title");
  for (auto _ : state) {
    v1::GetAttrResponse resp;
    absl::Status s = c.core.GetAttr(c.ctx, req, &resp);
    if (!s.ok()) state.SkipWithError("GetAttr failed");
    benchmark::DoNotOptimize(resp);
  }
}

void BM_Core_GetAttr_Shadow(benchmark::State& state) { GetTitle(state, Shadowed(), ""); }
BENCHMARK(BM_Core_GetAttr_Shadow)->Threads(1)->Threads(2);

void BM_Core_GetAttr_Entry_Shadow(benchmark::State& state) {
  Core& c = ShadowedWithEntries();
  GetTitle(state, c, c.first_entry);
}
BENCHMARK(BM_Core_GetAttr_Entry_Shadow);

void BM_Core_GetAttr(benchmark::State& state) { GetTitle(state, Empty(), ""); }
BENCHMARK(BM_Core_GetAttr)->Threads(1)->Threads(2)->Threads(4)->Threads(kMaxThreads);

void BM_Core_GetAttr_Entry(benchmark::State& state) {
  Core& c = WithEntries();
  GetTitle(state, c, c.first_entry);
}
BENCHMARK(BM_Core_GetAttr_Entry);

void BM_Core_SetAttr(benchmark::State& state) {
  Core& c = Empty();
  v1::SetAttrRequest req;
  req.set_session(c.sessions[state.thread_index()]);
  req.set_handle(c.roots[state.thread_index()]);
  req.set_name("title");
  *req.mutable_value() = Str("orb demo blog");
  for (auto _ : state) {
    v1::SetAttrResponse resp;
    absl::Status s = c.core.SetAttr(c.ctx, req, &resp);
    if (!s.ok()) state.SkipWithError("SetAttr failed");
  }
}
BENCHMARK(BM_Core_SetAttr)->Threads(1)->Threads(2)->Threads(4)->Threads(kMaxThreads);

void BM_Core_CallValue(benchmark::State& state) {
  Core& c = Empty();
  v1::CallRequest req;
  req.set_session(c.sessions[state.thread_index()]);
  req.set_handle(c.roots[state.thread_index()]);
  req.set_name("entries");
  for (auto _ : state) {
    v1::CallResponse resp;
    absl::Status s = c.core.Call(c.ctx, req, &resp);
    if (!s.ok()) state.SkipWithError("Call failed");
    benchmark::DoNotOptimize(resp);
  }
}
BENCHMARK(BM_Core_CallValue)->Threads(1)->Threads(2)->Threads(4)->Threads(kMaxThreads);

void BM_Core_CallHandle(benchmark::State& state) {
  Core& c = WithEntries();
  // Thread 0's session holds the first entry already; the others start
  // with none, so for them every call makes a fresh handle.
  const int t = state.thread_index() + 1 < kMaxThreads ? state.thread_index() + 1 : 1;
  v1::CallRequest call;
  call.set_session(c.sessions[t]);
  call.set_handle(c.roots[t]);
  call.set_name("entry");
  *call.add_args() = Str("entry-1");
  v1::ReleaseRequest release;
  release.set_session(c.sessions[t]);
  release.add_handles();
  for (auto _ : state) {
    v1::CallResponse resp;
    absl::Status s = c.core.Call(c.ctx, call, &resp);
    if (!s.ok()) state.SkipWithError("Call failed");
    release.set_handles(0, resp.result().handle().id());
    v1::ReleaseResponse released;
    s = c.core.Release(c.ctx, release, &released);
    if (!s.ok()) state.SkipWithError("Release failed");
  }
}
BENCHMARK(BM_Core_CallHandle)->Threads(1)->Threads(2)->Threads(4);

void BM_Core_OpenClose(benchmark::State& state) {
  Core& c = Empty();
  v1::OpenSessionRequest open;
  open.set_client_name("bench");
  for (auto _ : state) {
    v1::OpenSessionResponse opened;
    absl::Status s = c.core.OpenSession(c.ctx, open, &opened);
    if (!s.ok()) state.SkipWithError("OpenSession failed");
    v1::CloseSessionRequest close;
    close.set_session(opened.session());
    v1::CloseSessionResponse closed;
    s = c.core.CloseSession(c.ctx, close, &closed);
    if (!s.ok()) state.SkipWithError("CloseSession failed");
  }
}
BENCHMARK(BM_Core_OpenClose)->Threads(1)->Threads(2)->Threads(4);

// What the service adapter does before the core runs: authenticate the
// call's credentials under the current policy.
void BM_Authenticate(benchmark::State& state) {
  const policy::PolicyPtr policy = Empty().core.policy();
  policy::CallCredentials credentials;
  if (state.range(0) != 0) credentials.authorization = "Bearer alice-demo-token";
  state.SetLabel(state.range(0) != 0 ? "bearer" : "anonymous");
  for (auto _ : state) {
    auto identity = policy->authenticator().Authenticate(credentials, absl::Now());
    if (!identity.ok()) state.SkipWithError("authentication failed");
    benchmark::DoNotOptimize(identity);
  }
}
BENCHMARK(BM_Authenticate)->ArgName("bearer")->Arg(0)->Arg(1);

}  // namespace
}  // namespace orb

ORB_BENCHMARK_MAIN();
