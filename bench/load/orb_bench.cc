// orb-bench: orb next to a plain gRPC echo service, in one run.
//
//   orb-bench                       the full run (about two minutes)
//   orb-bench --quick               a smoke run of a few hundred calls
//   orb-bench --json results.json   also write the results as JSON
//
// Both servers run in this process on ephemeral loopback ports, with the
// same server model (gRPC's callback API, handlers inline on its threads)
// and the same ServerBuilder settings; the echo service answers with as many
// bytes as the orb call it stands in for. Every client is a closed loop (one
// call in flight) on its own channel and TCP connection, driven through
// gRPC's callback client API. Each measurement alternates echo and orb
// (echo-orb, orb-echo, ...) so that a change in the machine's load falls on
// both, and the figures that matter are the ratios orb/echo.
//
// The orb caller is alice (bearer token, an editor), and the echo client
// sends the same authorization header, so both move the same bytes. Rows:
//   getattr       GetAttr 'title' on the blog (the root)
//   setattr       SetAttr 'title' on the blog
//   call_value    Call entries() on the blog while it has no entries: a
//                 method returning a value (an empty list), no handle
//   call_handle   Call entry(<the client's own entry>): returns an existing
//                 object as a new handle (a handle-table insert), then
//                 Release of that handle; two RPCs per iteration
//   open_close    OpenSession + CloseSession; two RPCs per iteration
//   getattrs3     GetAttrs of an entry's title, body and owner (a snapshot),
//                 against one unary echo of the same size; its p50 is also
//                 compared with the getattr row's orb p50
//   batch5        one Batch of 5 dependent steps: entry(<own entry>), then
//                 owner, title and body of that result, then its release;
//                 its p50 is also compared with the getattr row's orb p50
//   stream_getattr     GetAttr 'title' as a frame on the client's Stream,
//                      one in flight; the baseline is a plain gRPC bidi
//                      echo (orb.bench.Echo/EchoStream) with the same bytes
//   stream_getattr_x8  the same, 8 frames written back to back per
//                      iteration (8 in flight)
// The stream rows are also compared with the unary getattr row's echo
// (latency, and operations/s against calls/s).
// Then the memory of 1,000,000 live handles (see memory_probe.h).
// With --via_proxy, also GetAttr through HAProxy running the checked-in
// deploy/haproxy/haproxy.cfg, against the same GetAttr straight to the
// broker, in the same alternating rounds: what the proxy hop costs.
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "bench/bench_support.h"
#include "bench/load/driver.h"
#include "bench/load/echo_child.h"
#include "bench/load/echo_server.h"
#include "bench/load/frame_stream.h"
#include "bench/load/haproxy_child.h"
#include "bench/load/memory_probe.h"
#include "broker/service/rpc_stats.h"
#include "orb/broker/broker_core.h"
#include "orb/broker/server.h"
#include "echo.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "orb/v1/broker.grpc.pb.h"
#include "base/json_escape.h"

ABSL_FLAG(bool, quick, false,
          "smoke mode: a few hundred calls per row, one round, a small memory probe");
ABSL_FLAG(double, seconds, 1.0, "length of one measurement segment, per side and round");
ABSL_FLAG(int, rounds, 3, "rounds per row; each round measures echo and orb once");
ABSL_FLAG(double, warmup_seconds, 0.2, "unrecorded warm-up per side before each row");
ABSL_FLAG(std::string, clients, "1,8,32", "client counts; 1 also gives the latency figures");
ABSL_FLAG(std::string, ops,
          "getattr,setattr,call_value,call_handle,open_close,getattrs3,batch5,stream_getattr,"
          "stream_getattr_x8",
          "rows to run, in this order");
ABSL_FLAG(bool, compare_models, true,
          "also compare the echo service under gRPC's callback and sync server models");
ABSL_FLAG(int64_t, memory_handles_per_session, 1000,
          "entries in the blog, so handles per session in the memory probe (0 skips it)");
ABSL_FLAG(int64_t, memory_sessions, 1000, "sessions in the memory probe");
ABSL_FLAG(int, memory_cycles, 3, "fill/release cycles in the memory probe");
ABSL_FLAG(std::string, only, "",
          "profiling aid: measure only this side of each row ('orb' or 'echo'; ratios are "
          "then meaningless), e.g. under perf record to profile one server at a time");
ABSL_FLAG(std::string, serve_echo, "",
          "internal: serve echo with this model ('callback' or 'sync') until stdin closes "
          "(the server-model comparison runs each model in a child process of its own)");
ABSL_FLAG(bool, rpc_stats, false,
          "record every answer by method, code and latency, as orbd does with --metrics-listen "
          "(the call-path cost of metrics)");
ABSL_FLAG(std::string, json, "", "also write the results to this file as JSON");
ABSL_FLAG(bool, via_proxy, false,
          "also measure GetAttr through HAProxy (deploy/haproxy/haproxy.cfg) against GetAttr "
          "straight to the broker (docs/scale-out.md)");
ABSL_FLAG(std::string, source_dir, ORB_SOURCE_DIR,
          "the orb source tree (for examples/blog/policy.textproto)");

namespace orb::bench {

using orb::broker::BrokerCore;
namespace {

constexpr char kAuthorization[] = "Bearer alice-demo-token";
constexpr uint64_t kMaxMessageBytes = 4 * 1024 * 1024;

std::shared_ptr<grpc::Channel> NewChannel(const std::string& address) {
  grpc::ChannelArguments args;
  // A connection of its own per client, as separate client processes have.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

// `route`: the session's broker, sent as orb-route (needed through a proxy).
std::unique_ptr<grpc::ClientContext> NewContext(const std::string& route = std::string()) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", kAuthorization);
  if (!route.empty()) context->AddMetadata("orb-route", route);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return context;
}

// One client: a channel to each server and the state of its calls. Only
// one call per client is in flight, so no lock is needed.
struct Client {
  std::unique_ptr<v1::ObjectBroker::Stub> orb;
  std::unique_ptr<Echo::Stub> echo;
  std::string session;     // opened at start-up, closed at the end
  std::string route;       // the session's broker; sent as orb-route when set
  std::string root;
  std::string entry_name;  // the entry this client made (call_handle)

  std::unique_ptr<grpc::ClientContext> context;
  v1::GetAttrRequest get;
  v1::GetAttrResponse got;
  v1::SetAttrRequest set;
  v1::SetAttrResponse was_set;
  v1::CallRequest call_value;
  v1::CallRequest call_handle;
  v1::GetAttrsRequest snapshot;  // getattrs3: on a handle to the client's entry
  v1::GetAttrsResponse snapshotted;
  v1::BatchRequest chain;  // batch5
  v1::BatchResponse chained;
  v1::CallResponse called;
  v1::ReleaseRequest release;
  v1::ReleaseResponse released;
  v1::OpenSessionRequest open;
  v1::OpenSessionResponse opened;
  v1::CloseSessionRequest close;
  v1::CloseSessionResponse closed;
  EchoRequest echo_request[2];
  EchoResponse echo_response;
  // Wire sizes of the last orb call per step (to size the echo).
  size_t request_bytes[2] = {0, 0};
  size_t response_bytes[2] = {0, 0};

  // The stream rows: one stream to each server while the row runs, and
  // the frames of one iteration, serialized once.
  std::shared_ptr<grpc::Channel> orb_channel, echo_channel;
  std::unique_ptr<FrameStream> orb_stream, echo_stream;
  std::vector<grpc::ByteBuffer> orb_frames, echo_frames;
};

// Iterations of a stream row carry this many operations ("_xN" rows).
int OpsPerIteration(const std::string& op) {
  return absl::EndsWith(op, "_x8") ? 8 : 1;
}

bool IsStreamRow(const std::string& op) { return absl::StartsWith(op, "stream_"); }

template <typename Message>
grpc::ByteBuffer Serialized(const Message& message) {
  grpc::ByteBuffer bytes;
  bool own = false;
  grpc::SerializationTraits<Message>::Serialize(message, &bytes, &own);
  return bytes;
}

// Parses an answer as `Message` (as the unary client's stub does); `ok`
// says whether it is the answer expected.
template <typename Message>
std::function<grpc::Status(const grpc::ByteBuffer&)> ParsedAs(
    std::function<bool(const Message&)> ok) {
  return [ok = std::move(ok)](const grpc::ByteBuffer& bytes) {
    Message message;
    grpc::ByteBuffer copy(bytes);
    grpc::Status s = grpc::SerializationTraits<Message>::Deserialize(&copy, &message);
    if (s.ok() && !ok(message)) s = grpc::Status(grpc::StatusCode::INTERNAL, "unexpected answer");
    return s;
  };
}

using Done = std::function<void(const grpc::Status&)>;

// The orb side of each row.
Workload OrbWorkload(const std::string& op, std::vector<std::unique_ptr<Client>>& clients) {
  Workload w;
  w.name = op;
  auto* all = &clients;
  if (op == "getattr") {
    w.start = [all](size_t i, int, Done done) {
      Client& c = *(*all)[i];
      c.context = NewContext(c.route);
      c.request_bytes[0] = c.get.ByteSizeLong();
      c.orb->async()->GetAttr(c.context.get(), &c.get, &c.got,
                              [&c, done = std::move(done)](grpc::Status s) {
                                c.response_bytes[0] = c.got.ByteSizeLong();
                                done(s);
                              });
    };
  } else if (op == "setattr") {
    w.start = [all](size_t i, int, Done done) {
      Client& c = *(*all)[i];
      c.context = NewContext(c.route);
      c.request_bytes[0] = c.set.ByteSizeLong();
      c.orb->async()->SetAttr(c.context.get(), &c.set, &c.was_set,
                              [&c, done = std::move(done)](grpc::Status s) {
                                c.response_bytes[0] = c.was_set.ByteSizeLong();
                                done(s);
                              });
    };
  } else if (op == "call_value") {
    w.start = [all](size_t i, int, Done done) {
      Client& c = *(*all)[i];
      c.context = NewContext(c.route);
      c.request_bytes[0] = c.call_value.ByteSizeLong();
      c.orb->async()->Call(c.context.get(), &c.call_value, &c.called,
                           [&c, done = std::move(done)](grpc::Status s) {
                             c.response_bytes[0] = c.called.ByteSizeLong();
                             if (s.ok() && c.called.result().kind_case() !=
                                               v1::Value::kListValue) {
                               s = grpc::Status(grpc::StatusCode::INTERNAL,
                                                "entries() did not return a list");
                             }
                             done(s);
                           });
    };
  } else if (op == "call_handle") {
    w.steps = 2;
    w.start = [all](size_t i, int step, Done done) {
      Client& c = *(*all)[i];
      c.context = NewContext(c.route);
      if (step == 0) {
        c.request_bytes[0] = c.call_handle.ByteSizeLong();
        c.orb->async()->Call(c.context.get(), &c.call_handle, &c.called,
                             [&c, done = std::move(done)](grpc::Status s) {
                               c.response_bytes[0] = c.called.ByteSizeLong();
                               if (s.ok() && !c.called.result().has_handle()) {
                                 s = grpc::Status(grpc::StatusCode::INTERNAL,
                                                  "entry() did not return a handle");
                               }
                               done(s);
                             });
      } else {
        c.release.clear_handles();
        c.release.add_handles(c.called.result().handle().id());
        c.request_bytes[1] = c.release.ByteSizeLong();
        c.orb->async()->Release(c.context.get(), &c.release, &c.released,
                                [&c, done = std::move(done)](grpc::Status s) {
                                  c.response_bytes[1] = c.released.ByteSizeLong();
                                  done(s);
                                });
      }
    };
  } else if (op == "getattrs3") {
    w.start = [all](size_t i, int, Done done) {
      Client& c = *(*all)[i];
      c.context = NewContext(c.route);
      c.request_bytes[0] = c.snapshot.ByteSizeLong();
      c.orb->async()->GetAttrs(c.context.get(), &c.snapshot, &c.snapshotted,
                               [&c, done = std::move(done)](grpc::Status s) {
                                 c.response_bytes[0] = c.snapshotted.ByteSizeLong();
                                 if (s.ok() && c.snapshotted.values_size() != 3) {
                                   s = grpc::Status(grpc::StatusCode::INTERNAL,
                                                    "the snapshot lacks a name");
                                 }
                                 done(s);
                               });
    };
  } else if (op == "batch5") {
    w.start = [all](size_t i, int, Done done) {
      Client& c = *(*all)[i];
      c.context = NewContext(c.route);
      c.request_bytes[0] = c.chain.ByteSizeLong();
      c.orb->async()->Batch(c.context.get(), &c.chain, &c.chained,
                            [&c, done = std::move(done)](grpc::Status s) {
                              c.response_bytes[0] = c.chained.ByteSizeLong();
                              for (const v1::BatchResult& r : c.chained.results()) {
                                if (s.ok() && r.has_error()) {
                                  s = grpc::Status(grpc::StatusCode::INTERNAL,
                                                   r.error().message());
                                }
                              }
                              done(s);
                            });
    };
  } else if (IsStreamRow(op)) {
    const int n = OpsPerIteration(op);
    for (auto& c : clients) {
      c->orb_frames.clear();
      for (int k = 0; k < n; ++k) {
        v1::StreamRequest frame;
        frame.set_id(static_cast<uint64_t>(k + 1));
        *frame.mutable_get_attr() = c->get;
        c->orb_frames.push_back(Serialized(frame));
        c->request_bytes[0] = frame.ByteSizeLong();
      }
    }
    w.start = [all](size_t i, int, Done done) {
      Client& c = *(*all)[i];
      if (c.orb_stream == nullptr) {
        c.orb_stream = std::make_unique<FrameStream>(c.orb_channel, "/orb.v1.ObjectBroker/Stream",
                                                     kAuthorization);
      }
      c.orb_stream->Round(&c.orb_frames, std::move(done),
                          ParsedAs<v1::StreamResponse>([&c](const v1::StreamResponse& answer) {
                            c.response_bytes[0] = answer.ByteSizeLong();
                            return answer.has_get_attr();
                          }));
    };
  } else if (op == "open_close") {
    w.steps = 2;
    w.start = [all](size_t i, int step, Done done) {
      Client& c = *(*all)[i];
      c.context = NewContext(c.route);
      if (step == 0) {
        c.request_bytes[0] = c.open.ByteSizeLong();
        c.orb->async()->OpenSession(c.context.get(), &c.open, &c.opened,
                                    [&c, done = std::move(done)](grpc::Status s) {
                                      c.response_bytes[0] = c.opened.ByteSizeLong();
                                      done(s);
                                    });
      } else {
        c.close.set_session(c.opened.session());
        c.request_bytes[1] = c.close.ByteSizeLong();
        c.orb->async()->CloseSession(c.context.get(), &c.close, &c.closed,
                                     [&c, done = std::move(done)](grpc::Status s) {
                                       c.response_bytes[1] = c.closed.ByteSizeLong();
                                       done(s);
                                     });
      }
    };
  }
  return w;
}

// An EchoRequest of exactly `request_bytes` on the wire that asks for a
// response of exactly `response_bytes`.
EchoRequest SizedEchoRequest(size_t request_bytes, size_t response_bytes) {
  EchoRequest r;
  EchoResponse probe;
  for (size_t n = 0; n <= response_bytes; ++n) {
    probe.mutable_payload()->assign(n, 'x');
    if (probe.ByteSizeLong() >= response_bytes) {
      r.set_response_bytes(static_cast<uint32_t>(n));
      break;
    }
  }
  for (size_t n = 0; n <= request_bytes; ++n) {
    r.mutable_payload()->assign(n, 'x');
    if (r.ByteSizeLong() >= request_bytes) break;
  }
  return r;
}

// The echo side of a row: the same number of RPCs, each the size of the
// orb RPC it stands in for (taken from client 0's last orb iteration).
Workload EchoWorkload(const std::string& op, int steps,
                      std::vector<std::unique_ptr<Client>>& clients) {
  for (auto& c : clients) {
    for (int s = 0; s < steps; ++s) {
      c->echo_request[s] =
          SizedEchoRequest(clients[0]->request_bytes[s], clients[0]->response_bytes[s]);
    }
  }
  Workload w;
  w.name = op + "/echo";
  w.steps = steps;
  auto* all = &clients;
  if (IsStreamRow(op)) {
    for (auto& c : clients) {
      c->echo_frames.assign(c->orb_frames.size(), Serialized(c->echo_request[0]));
    }
    w.start = [all](size_t i, int, Done done) {
      Client& c = *(*all)[i];
      if (c.echo_stream == nullptr) {
        c.echo_stream = std::make_unique<FrameStream>(c.echo_channel, "/orb.bench.Echo/EchoStream",
                                                      kAuthorization);
      }
      c.echo_stream->Round(&c.echo_frames, std::move(done),
                           ParsedAs<EchoResponse>([](const EchoResponse&) { return true; }));
    };
    return w;
  }
  w.start = [all](size_t i, int step, Done done) {
    Client& c = *(*all)[i];
    c.context = NewContext(c.route);
    c.echo->async()->Echo(c.context.get(), &c.echo_request[step], &c.echo_response,
                          std::move(done));
  };
  return w;
}

template <typename Request, typename Response>
grpc::Status SyncCall(grpc::Status (v1::ObjectBroker::Stub::*method)(grpc::ClientContext*,
                                                                      const Request&, Response*),
                      v1::ObjectBroker::Stub* stub, const Request& request, Response* response,
                      const std::string& route = std::string()) {
  auto context = NewContext(route);
  return (stub->*method)(context.get(), request, response);
}

// Statistics of one side of one row.
struct SideStats {
  double p50_us = 0, p99_us = 0;          // whole iteration
  double first_p50_us = 0, first_p99_us = 0;  // step 0 alone
  std::vector<double> throughput;         // iterations/s, one per round
  double median_throughput = 0;
  // Process CPU time per iteration over all rounds (clients + servers).
  double cpu_us_per_iteration = 0;
  int64_t errors = 0;
  std::string first_error;
};

struct Row {
  std::string op;
  int steps = 1;
  int ops_per_iteration = 1;  // operations per iteration (stream "_xN" rows)
  size_t clients = 1;
  SideStats echo, orb;
  size_t request_bytes[2] = {0, 0};
  size_t response_bytes[2] = {0, 0};
};

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

struct Settings {
  absl::Duration segment;
  absl::Duration warmup;
  int rounds = 3;
  int64_t cap = 0;  // iterations per client per segment
  int only_side = -1;  // 0 echo, 1 orb, -1 both
};

// Measures one row: warm-up, then `rounds` rounds alternating which side
// goes first.
void Measure(const Workload& echo, const Workload& orb, size_t clients, const Settings& s,
             SideStats* echo_stats, SideStats* orb_stats) {
  std::vector<int64_t> samples[2], first[2];
  double cpu_seconds[2] = {0, 0};
  int64_t iterations[2] = {0, 0};
  SideStats* stats[2] = {echo_stats, orb_stats};
  const Workload* sides[2] = {&echo, &orb};
  if (s.warmup > absl::ZeroDuration()) {
    for (int side = 0; side < 2; ++side) {
      if (s.only_side >= 0 && side != s.only_side) continue;
      RunSegment(*sides[side], clients, s.warmup, s.cap, false);
    }
  }
  for (int round = 0; round < s.rounds; ++round) {
    for (int k = 0; k < 2; ++k) {
      const int side = (round % 2 == 0) ? k : 1 - k;
      if (s.only_side >= 0 && side != s.only_side) continue;
      SegmentResult r = RunSegment(*sides[side], clients, s.segment, s.cap, true);
      stats[side]->throughput.push_back(static_cast<double>(r.iterations) / r.seconds);
      stats[side]->errors += r.errors;
      cpu_seconds[side] += r.cpu_seconds;
      iterations[side] += r.iterations;
      if (stats[side]->first_error.empty()) stats[side]->first_error = r.first_error;
      samples[side].insert(samples[side].end(), r.iteration_ns.begin(), r.iteration_ns.end());
      first[side].insert(first[side].end(), r.first_step_ns.begin(), r.first_step_ns.end());
    }
  }
  for (int side = 0; side < 2; ++side) {
    stats[side]->p50_us = QuantileMicros(samples[side], 0.50);
    stats[side]->p99_us = QuantileMicros(samples[side], 0.99);
    stats[side]->first_p50_us = QuantileMicros(first[side], 0.50);
    stats[side]->first_p99_us = QuantileMicros(first[side], 0.99);
    stats[side]->median_throughput = Median(stats[side]->throughput);
    stats[side]->cpu_us_per_iteration =
        iterations[side] > 0 ? 1e6 * cpu_seconds[side] / static_cast<double>(iterations[side]) : 0;
  }
}

std::string ReadFirstLine(const std::string& path, absl::string_view prefix) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, prefix)) return line;
  }
  return "";
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return absl::StrCat(a, " ", b, " ", c);
}

std::string CpuModel() {
  std::string line = ReadFirstLine("/proc/cpuinfo", "model name");
  size_t colon = line.find(':');
  return colon == std::string::npos ? "unknown" : line.substr(colon + 2);
}

std::string Ratio(double orb, double echo) {
  return echo > 0 ? absl::StrFormat("%.3f", orb / echo) : "-";
}

std::string Spread(const std::vector<double>& v) {
  if (v.empty()) return "-";
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return absl::StrFormat("%.0f-%.0f", *lo, *hi);
}

std::string SideJson(const SideStats& s) {
  return absl::StrFormat(
      "{\"p50_us\": %.2f, \"p99_us\": %.2f, \"first_step_p50_us\": %.2f, "
      "\"first_step_p99_us\": %.2f, \"throughput_per_s\": %.1f, \"throughput_rounds\": [%s], "
      "\"cpu_us_per_iteration\": %.2f, \"errors\": %d}",
      s.p50_us, s.p99_us, s.first_p50_us, s.first_p99_us, s.median_throughput,
      absl::StrJoin(s.throughput, ", ",
                    [](std::string* out, double d) { absl::StrAppendFormat(out, "%.1f", d); }),
      s.cpu_us_per_iteration, s.errors);
}

// A target line: "holds" or "MISSED by x%".
struct Target {
  std::string what;
  double value = 0;
  double limit = 0;
  bool at_most = true;  // value <= limit, else value >= limit
  bool holds() const { return at_most ? value <= limit : value >= limit; }
};

int Run() {
  const bool quick = absl::GetFlag(FLAGS_quick);
  Settings settings;
  settings.segment = absl::Seconds(quick ? 0.2 : absl::GetFlag(FLAGS_seconds));
  settings.warmup = absl::Seconds(quick ? 0.02 : absl::GetFlag(FLAGS_warmup_seconds));
  settings.rounds = quick ? 1 : std::max(1, absl::GetFlag(FLAGS_rounds));
  settings.cap = quick ? 100 : int64_t{1} << 40;
  const std::string only = absl::GetFlag(FLAGS_only);
  if (only == "echo") {
    settings.only_side = 0;
  } else if (only == "orb") {
    settings.only_side = 1;
  } else if (!only.empty()) {
    std::fprintf(stderr, "--only: '%s' is neither 'orb' nor 'echo'\n", only.c_str());
    return 1;
  }
  std::vector<size_t> client_counts;
  for (absl::string_view n : absl::StrSplit(absl::GetFlag(FLAGS_clients), ',')) {
    size_t v = 0;
    if (!absl::SimpleAtoi(n, &v) || v == 0) {
      std::fprintf(stderr, "--clients: '%s' is not a positive count\n", std::string(n).c_str());
      return 1;
    }
    client_counts.push_back(v);
  }
  if (quick) client_counts = {1, 4};
  const size_t max_clients = *std::max_element(client_counts.begin(), client_counts.end());
  const std::vector<std::string> ops = absl::StrSplit(absl::GetFlag(FLAGS_ops), ',');
  for (const std::string& op : ops) {
    if (op != "getattr" && op != "setattr" && op != "call_value" && op != "call_handle" &&
        op != "open_close" && op != "getattrs3" && op != "batch5" && op != "stream_getattr" &&
        op != "stream_getattr_x8") {
      std::fprintf(stderr, "--ops: unknown row '%s'\n", op.c_str());
      return 1;
    }
  }
  const std::string source_dir = absl::GetFlag(FLAGS_source_dir);

  std::printf("orb-bench: nproc %u, CPU %s, load at start %s\n",
              std::thread::hardware_concurrency(), CpuModel().c_str(), LoadAverage().c_str());
  std::printf("segments of %.2fs, %d round(s), %zu client count(s)\n",
              absl::ToDoubleSeconds(settings.segment), settings.rounds, client_counts.size());

  // Memory first, on a clean heap.
  std::string memory_json = "null";
  std::vector<Target> targets;
  const int64_t memory_entries = quick ? 100 : absl::GetFlag(FLAGS_memory_handles_per_session);
  if (memory_entries > 0) {
    const int64_t sessions = quick ? 100 : absl::GetFlag(FLAGS_memory_sessions);
    const int cycles = std::max(1, absl::GetFlag(FLAGS_memory_cycles));
    absl::StatusOr<MemoryReport> m =
        MeasureHandleMemory(source_dir, memory_entries, sessions, cycles);
    if (!m.ok()) {
      std::fprintf(stderr, "memory probe failed: %s\n", m.status().ToString().c_str());
      return 1;
    }
    std::printf("\nmemory: %lld sessions x (%lld entries + root) handles; baseline RSS %.1f MiB\n",
                static_cast<long long>(sessions), static_cast<long long>(memory_entries),
                m->rss_baseline / 1048576.0);
    std::vector<std::string> cycle_json;
    double worst_per_handle = 0;
    // Growth is counted from the first cycle's released RSS: the first
    // cycle leaves the tables' capacity and the allocator's bookkeeping
    // behind once, which later cycles reuse.
    int64_t worst_growth = 0;
    for (size_t i = 0; i < m->cycles.size(); ++i) {
      const MemoryCycle& c = m->cycles[i];
      const double per_handle =
          static_cast<double>(c.rss_full - m->rss_baseline) / static_cast<double>(c.handles);
      worst_per_handle = std::max(worst_per_handle, per_handle);
      worst_growth = std::max(worst_growth, c.rss_released - m->cycles.front().rss_released);
      std::printf(
          "  cycle %zu: %lld handles in %.2fs, RSS %.1f MiB = %.1f bytes/handle; after release "
          "and malloc_trim(0) %.1f MiB (%+.2f MiB vs baseline)\n",
          i + 1, static_cast<long long>(c.handles), c.seconds_to_fill, c.rss_full / 1048576.0,
          per_handle, c.rss_released / 1048576.0,
          (c.rss_released - m->rss_baseline) / 1048576.0);
      cycle_json.push_back(absl::StrFormat(
          "{\"handles\": %d, \"rss_full\": %d, \"bytes_per_handle\": %.1f, \"rss_released\": %d}",
          c.handles, c.rss_full, per_handle, c.rss_released));
    }
    std::printf("  peak RSS (VmHWM) %.1f MiB\n", m->peak_rss / 1048576.0);
    memory_json = absl::StrFormat(
        "{\"entries\": %d, \"sessions\": %d, \"rss_baseline\": %d, \"peak_rss\": %d, "
        "\"cycles\": [%s]}",
        m->entries, m->sessions, m->rss_baseline, m->peak_rss, absl::StrJoin(cycle_json, ", "));
    targets.push_back({"memory: bytes per live handle <= 256", worst_per_handle, 256, true});
    // One MiB of slack: RSS moves by pages, and the allocator's arenas.
    targets.push_back({"memory: released RSS growth over the cycles <= 1 MiB (MiB)",
                       worst_growth / 1048576.0, 1.0, true});
  }

  // The two servers.
  auto echo_server = EchoServer::Start(ServerModel::kCallback, kMaxMessageBytes);
  if (!echo_server.ok()) {
    std::fprintf(stderr, "%s\n", echo_server.status().ToString().c_str());
    return 1;
  }
  BrokerCore::Options core_options;
  core_options.broker_id = "orbd-a";  // the name deploy/haproxy/haproxy.cfg routes to
  BrokerCore core(DemoRegistry(), demo::MakeBlog(), LoadDemoPolicy(source_dir, kBenchLimits),
                  core_options);
  broker::ServerOptions server_options;
  server_options.listen = "127.0.0.1:0";
  server_options.max_message_bytes = kMaxMessageBytes;
  broker::RpcStats rpc_stats;
  if (absl::GetFlag(FLAGS_rpc_stats)) server_options.rpc_stats = &rpc_stats;
  auto orb_server = broker::Server::Start(&core, server_options);
  if (!orb_server.ok()) {
    std::fprintf(stderr, "%s\n", orb_server.status().ToString().c_str());
    return 1;
  }

  // The clients, each with a session of its own.
  std::vector<std::unique_ptr<Client>> clients;
  for (size_t i = 0; i < max_clients; ++i) {
    auto c = std::make_unique<Client>();
    c->orb_channel = NewChannel((*orb_server)->address());
    c->echo_channel = NewChannel((*echo_server)->address());
    c->orb = v1::ObjectBroker::NewStub(c->orb_channel);
    c->echo = Echo::NewStub(c->echo_channel);
    v1::OpenSessionRequest open;
    open.set_client_name("orb-bench");
    v1::OpenSessionResponse opened;
    grpc::Status s = SyncCall(&v1::ObjectBroker::Stub::OpenSession, c->orb.get(), open, &opened);
    if (!s.ok()) {
      std::fprintf(stderr, "OpenSession failed: %s\n", s.error_message().c_str());
      return 1;
    }
    c->session = opened.session();
    c->root = opened.root().id();
    c->get.set_session(c->session);
    c->get.set_handle(c->root);
    c->get.set_name("title");
    c->set.set_session(c->session);
    c->set.set_handle(c->root);
    c->set.set_name("title");
    c->set.mutable_value()->set_string_value("orb demo blog");
    c->call_value.set_session(c->session);
    c->call_value.set_handle(c->root);
    c->call_value.set_name("entries");
    c->release.set_session(c->session);
    c->open.set_client_name("orb-bench");
    clients.push_back(std::move(c));
  }

  std::vector<Row> rows;
  int entries_made = 0;
  for (const std::string& op : ops) {
    const bool needs_entries = op == "call_handle" || op == "getattrs3" || op == "batch5";
    if (needs_entries && entries_made == 0) {
      // Each client adds an entry of its own and releases the handle
      // add_entry gave it, so that every entry() call makes a new handle.
      // Entries are named entry-1, entry-2, ... in the order they are made.
      for (auto& c : clients) {
        v1::CallRequest add;
        add.set_session(c->session);
        add.set_handle(c->root);
        add.set_name("add_entry");
        add.add_args()->set_string_value("a bench entry");
        add.add_args()->set_string_value("its body");
        v1::CallResponse added;
        grpc::Status s = SyncCall(&v1::ObjectBroker::Stub::Call, c->orb.get(), add, &added);
        if (!s.ok()) {
          std::fprintf(stderr, "add_entry failed: %s\n", s.error_message().c_str());
          return 1;
        }
        c->entry_name = absl::StrCat("entry-", ++entries_made);
        c->call_handle.set_session(c->session);
        c->call_handle.set_handle(c->root);
        c->call_handle.set_name("entry");
        c->call_handle.add_args()->set_string_value(c->entry_name);
        v1::CallResponse found;
        s = SyncCall(&v1::ObjectBroker::Stub::Call, c->orb.get(), c->call_handle, &found);
        if (!s.ok() || found.result().handle().id() != added.result().handle().id()) {
          std::fprintf(stderr, "entry('%s') is not the entry just added\n",
                       c->entry_name.c_str());
          return 1;
        }
        v1::ReleaseRequest release;
        release.set_session(c->session);
        release.add_handles(added.result().handle().id());
        release.add_handles(added.result().handle().id());
        v1::ReleaseResponse released;
        s = SyncCall(&v1::ObjectBroker::Stub::Release, c->orb.get(), release, &released);
        if (!s.ok()) {
          std::fprintf(stderr, "Release failed: %s\n", s.error_message().c_str());
          return 1;
        }
      }
    }
    if (op == "getattrs3" && clients.front()->snapshot.handle().empty()) {
      // A handle to the client's own entry, held for the row.
      for (auto& c : clients) {
        v1::CallResponse found;
        grpc::Status s =
            SyncCall(&v1::ObjectBroker::Stub::Call, c->orb.get(), c->call_handle, &found);
        if (!s.ok()) {
          std::fprintf(stderr, "entry() failed: %s\n", s.error_message().c_str());
          return 1;
        }
        c->snapshot.set_session(c->session);
        c->snapshot.set_handle(found.result().handle().id());
        for (const char* name : {"title", "body", "owner"}) c->snapshot.add_names(name);
      }
    }
    if (op == "batch5") {
      for (auto& c : clients) {
        c->chain.Clear();
        c->chain.set_session(c->session);
        *c->chain.add_operations()->mutable_call() = c->call_handle;
        for (const char* name : {"owner", "title", "body"}) {
          v1::BatchOperation* get = c->chain.add_operations();
          get->mutable_target()->set_result(0);
          get->mutable_get_attr()->set_name(name);
        }
        v1::BatchOperation* release = c->chain.add_operations();
        release->mutable_target()->set_result(0);
        release->mutable_release();
      }
    }
    Workload orb = OrbWorkload(op, clients);
    // One orb iteration first: it checks the row works and gives the sizes
    // the echo must match.
    SegmentResult probe = RunSegment(orb, 1, absl::Seconds(10), 1, false);
    if (probe.errors > 0) {
      std::fprintf(stderr, "%s fails: %s\n", op.c_str(), probe.first_error.c_str());
      return 1;
    }
    Workload echo = EchoWorkload(op, orb.steps, clients);
    for (size_t n : client_counts) {
      Row row;
      row.op = op;
      row.steps = orb.steps;
      row.clients = n;
      for (int s = 0; s < orb.steps; ++s) {
        row.request_bytes[s] = clients[0]->request_bytes[s];
        row.response_bytes[s] = clients[0]->response_bytes[s];
      }
      row.ops_per_iteration = OpsPerIteration(op);
      Measure(echo, orb, n, settings, &row.echo, &row.orb);
      std::fprintf(stderr, "  measured %s with %zu client(s)\n", op.c_str(), n);
      rows.push_back(std::move(row));
    }
    for (auto& c : clients) {
      for (auto* stream : {&c->orb_stream, &c->echo_stream}) {
        if (*stream == nullptr) continue;
        grpc::Status closed = (*stream)->Close();
        if (!closed.ok()) {
          std::fprintf(stderr, "%s: a stream ended with %s\n", op.c_str(),
                       closed.error_message().c_str());
          return 1;
        }
        stream->reset();
      }
    }
  }

  // Server model comparison on the echo service (the handler does almost
  // nothing, so the model's own cost shows).
  std::vector<std::string> model_json;
  std::string model_text;
  int64_t errors_via_proxy = 0;
  if (absl::GetFlag(FLAGS_compare_models) && !quick) {
    // Each model alone in a process of its own (see echo_child.h).
    auto callback_child = EchoChild::Start("/proc/self/exe", ServerModel::kCallback);
    auto sync_child = EchoChild::Start("/proc/self/exe", ServerModel::kSync);
    for (const auto* child : {&callback_child, &sync_child}) {
      if (!child->ok()) {
        std::fprintf(stderr, "%s\n", child->status().ToString().c_str());
        return 1;
      }
    }
    std::vector<std::unique_ptr<Client>> callback_clients, sync_clients;
    for (size_t i = 0; i < max_clients; ++i) {
      for (auto [list, child] : {std::pair{&callback_clients, callback_child->get()},
                                 std::pair{&sync_clients, sync_child->get()}}) {
        auto c = std::make_unique<Client>();
        c->echo = Echo::NewStub(NewChannel(child->address()));
        // Both sized as the first row's call.
        c->request_bytes[0] = rows.front().request_bytes[0];
        c->response_bytes[0] = rows.front().response_bytes[0];
        list->push_back(std::move(c));
      }
    }
    Workload callback_echo = EchoWorkload("model/callback", 1, callback_clients);
    Workload sync_echo = EchoWorkload("model/sync", 1, sync_clients);
    absl::StrAppend(&model_text,
                    "\nserver model (echo service sized as the first row, each model in a child "
                    "process of its own; ratio = sync/callback)\n",
                    absl::StrFormat("%8s %12s %12s %7s %14s %14s %7s\n", "clients", "cb p50 us",
                                    "sync p50 us", "ratio", "cb calls/s", "sync calls/s",
                                    "ratio"));
    for (size_t n : client_counts) {
      SideStats cb, sync;
      Measure(callback_echo, sync_echo, n, settings, &cb, &sync);
      absl::StrAppend(&model_text,
                      absl::StrFormat("%8zu %12.1f %12.1f %7s %14.0f %14.0f %7s\n", n, cb.p50_us,
                                      sync.p50_us, Ratio(sync.p50_us, cb.p50_us),
                                      cb.median_throughput, sync.median_throughput,
                                      Ratio(sync.median_throughput, cb.median_throughput)));
      model_json.push_back(absl::StrFormat("{\"clients\": %d, \"callback\": %s, \"sync\": %s}", n,
                                           SideJson(cb), SideJson(sync)));
    }
  }

  // The proxy hop: GetAttr through HAProxy ("orb" side) against GetAttr
  // straight to the broker ("echo" side), each client with a session of
  // its own on each path.
  std::vector<std::string> proxy_json;
  std::string proxy_text;
  if (absl::GetFlag(FLAGS_via_proxy)) {
    const std::string log_path = absl::StrCat("/tmp/orb-bench-haproxy-", getpid(), ".log");
    auto proxy = HaproxyChild::Start(absl::StrCat(source_dir, "/deploy/haproxy/haproxy.cfg"),
                                     (*orb_server)->address(), log_path);
    if (!proxy.ok()) {
      std::fprintf(stderr, "--via_proxy: %s\n", proxy.status().ToString().c_str());
      return 1;
    }
    std::vector<std::unique_ptr<Client>> proxied;
    for (size_t i = 0; i < max_clients; ++i) {
      auto c = std::make_unique<Client>();
      c->orb = v1::ObjectBroker::NewStub(NewChannel((*proxy)->address()));
      v1::OpenSessionRequest open;
      open.set_client_name("orb-bench via proxy");
      v1::OpenSessionResponse opened;
      // HAProxy may still be starting: its port refuses until it listens.
      grpc::Status s;
      for (int attempt = 0; attempt < 100; ++attempt) {
        s = SyncCall(&v1::ObjectBroker::Stub::OpenSession, c->orb.get(), open, &opened);
        if (s.error_code() != grpc::StatusCode::UNAVAILABLE) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (!s.ok()) {
        std::fprintf(stderr, "OpenSession through HAProxy failed: %s (its log: %s)\n",
                     s.error_message().c_str(), log_path.c_str());
        return 1;
      }
      c->session = opened.session();
      c->route = opened.route();
      c->get.set_session(c->session);
      c->get.set_handle(opened.root().id());
      c->get.set_name("title");
      proxied.push_back(std::move(c));
    }
    Workload direct = OrbWorkload("getattr", clients);
    Workload through = OrbWorkload("getattr", proxied);
    through.name = "getattr via HAProxy";
    absl::StrAppend(&proxy_text,
                    "\nGetAttr through HAProxy 2.6 (deploy/haproxy/haproxy.cfg, nbthread 1) vs "
                    "straight to the broker; ratio = proxy/direct\n",
                    absl::StrFormat("%8s %12s %12s %7s %12s %12s %7s %14s %14s %7s\n", "clients",
                                    "direct p50", "proxy p50", "ratio", "direct p99",
                                    "proxy p99", "ratio", "direct it/s", "proxy it/s", "ratio"));
    for (size_t n : client_counts) {
      SideStats d, p;
      Measure(direct, through, n, settings, &d, &p);
      std::fprintf(stderr, "  measured getattr via HAProxy with %zu client(s)\n", n);
      errors_via_proxy += d.errors + p.errors;
      absl::StrAppend(&proxy_text,
                      absl::StrFormat("%8zu %12.1f %12.1f %7s %12.1f %12.1f %7s %14.0f %14.0f %7s\n",
                                      n, d.p50_us, p.p50_us, Ratio(p.p50_us, d.p50_us),
                                      d.p99_us, p.p99_us, Ratio(p.p99_us, d.p99_us),
                                      d.median_throughput, p.median_throughput,
                                      Ratio(p.median_throughput, d.median_throughput)));
      for (const SideStats* side : {&d, &p}) {
        if (!side->first_error.empty()) {
          absl::StrAppend(&proxy_text, "  error: ", side->first_error, "\n");
        }
      }
      proxy_json.push_back(absl::StrFormat(
          "{\"clients\": %d, \"direct\": %s, \"proxy\": %s, \"p50_ratio\": %.4f, "
          "\"throughput_ratio\": %.4f}",
          n, SideJson(d), SideJson(p), d.p50_us > 0 ? p.p50_us / d.p50_us : 0,
          d.median_throughput > 0 ? p.median_throughput / d.median_throughput : 0));
    }
    for (auto& c : proxied) {
      v1::CloseSessionRequest close;
      close.set_session(c->session);
      v1::CloseSessionResponse closed;
      grpc::Status s = SyncCall(&v1::ObjectBroker::Stub::CloseSession, c->orb.get(), close,
                                &closed, c->route);
      if (!s.ok()) {
        std::fprintf(stderr, "CloseSession through HAProxy failed: %s\n",
                     s.error_message().c_str());
        return 1;
      }
    }
    std::remove(log_path.c_str());
  }

  // Close the clients' sessions (and make sure the broker is still well).
  for (auto& c : clients) {
    v1::CloseSessionRequest close;
    close.set_session(c->session);
    v1::CloseSessionResponse closed;
    grpc::Status s = SyncCall(&v1::ObjectBroker::Stub::CloseSession, c->orb.get(), close, &closed);
    if (!s.ok()) {
      std::fprintf(stderr, "CloseSession failed: %s\n", s.error_message().c_str());
      return 1;
    }
  }

  // The table.
  std::printf("\nload at end %s\n", LoadAverage().c_str());
  std::printf(
      "latency in us (p50/p99 of whole iterations; call_handle and open_close are two RPCs, "
      "their first RPC alone in the 'first' rows); throughput in iterations/s, median of "
      "rounds, with the orb rounds' spread\n");
  std::printf("%-22s %7s | %9s %9s %7s | %9s %9s %7s | %10s %10s %7s %s\n", "row", "clients",
              "echo p50", "orb p50", "ratio", "echo p99", "orb p99", "ratio", "echo it/s",
              "orb it/s", "ratio", "orb spread");
  int64_t errors = 0;
  std::vector<std::string> row_json;
  for (const Row& r : rows) {
    std::printf("%-22s %7zu | %9.1f %9.1f %7s | %9.1f %9.1f %7s | %10.0f %10.0f %7s %s\n",
                r.op.c_str(), r.clients, r.echo.p50_us, r.orb.p50_us,
                Ratio(r.orb.p50_us, r.echo.p50_us).c_str(), r.echo.p99_us, r.orb.p99_us,
                Ratio(r.orb.p99_us, r.echo.p99_us).c_str(), r.echo.median_throughput,
                r.orb.median_throughput,
                Ratio(r.orb.median_throughput, r.echo.median_throughput).c_str(),
                Spread(r.orb.throughput).c_str());
    if (r.steps == 2) {
      std::printf("%-22s %7zu | %9.1f %9.1f %7s | %9.1f %9.1f %7s |\n",
                  absl::StrCat(r.op, " (first)").c_str(), r.clients, r.echo.first_p50_us,
                  r.orb.first_p50_us, Ratio(r.orb.first_p50_us, r.echo.first_p50_us).c_str(),
                  r.echo.first_p99_us, r.orb.first_p99_us,
                  Ratio(r.orb.first_p99_us, r.echo.first_p99_us).c_str());
    }
    errors += r.echo.errors + r.orb.errors;
    for (const SideStats* s : {&r.echo, &r.orb}) {
      if (!s->first_error.empty()) std::printf("  error: %s\n", s->first_error.c_str());
    }
    row_json.push_back(absl::StrFormat(
        "{\"op\": \"%s\", \"clients\": %d, \"steps\": %d, \"request_bytes\": [%d, %d], "
        "\"response_bytes\": [%d, %d], \"echo\": %s, \"orb\": %s, \"p50_ratio\": %.4f, "
        "\"p99_ratio\": %.4f, \"first_step_p50_ratio\": %.4f, \"throughput_ratio\": %.4f}",
        r.op, r.clients, r.steps, r.request_bytes[0], r.request_bytes[1], r.response_bytes[0],
        r.response_bytes[1], SideJson(r.echo), SideJson(r.orb),
        r.echo.p50_us > 0 ? r.orb.p50_us / r.echo.p50_us : 0,
        r.echo.p99_us > 0 ? r.orb.p99_us / r.echo.p99_us : 0,
        r.echo.first_p50_us > 0 ? r.orb.first_p50_us / r.echo.first_p50_us : 0,
        r.echo.median_throughput > 0 ? r.orb.median_throughput / r.echo.median_throughput : 0));

    // The targets this row carries.
    if (r.op == "getattr" || r.op == "setattr") {
      if (r.clients == 1) {
        targets.push_back({absl::StrCat(r.op, " p50 <= 1.10 x echo"),
                           r.orb.p50_us / r.echo.p50_us, 1.10, true});
      }
      if (r.clients == 8 || r.clients == 32) {
        targets.push_back({absl::StrCat(r.op, " throughput at ", r.clients, " >= 0.90 x echo"),
                           r.orb.median_throughput / r.echo.median_throughput, 0.90, false});
      }
    }
    if ((r.op == "getattrs3" || r.op == "batch5") && r.clients == 1) {
      for (const Row& u : rows) {
        if (u.op != "getattr" || u.clients != 1) continue;
        if (r.op == "getattrs3") {
          targets.push_back({"snapshot of 3 attributes p50 <= 1.2 x orb getattr p50",
                             r.orb.p50_us / u.orb.p50_us, 1.2, true});
        } else {
          targets.push_back({"batch of a 5-step chain p50 <= 1.5 x orb getattr p50",
                             r.orb.p50_us / u.orb.p50_us, 1.5, true});
        }
      }
    }
    if (IsStreamRow(r.op)) {
      const Row* unary = nullptr;
      for (const Row& u : rows) {
        if (u.op == "getattr" && u.clients == r.clients) unary = &u;
      }
      const double ops = r.ops_per_iteration;
      if (r.op == "stream_getattr" && r.clients == 1) {
        targets.push_back({"stream getattr p50 <= 1.10 x echo stream",
                           r.orb.p50_us / r.echo.p50_us, 1.10, true});
        if (unary != nullptr) {
          targets.push_back({"stream getattr p50 <= 0.60 x unary echo p50",
                             r.orb.p50_us / unary->echo.p50_us, 0.60, true});
        }
      }
      if (r.clients == 8 || r.clients == 32) {
        targets.push_back({absl::StrCat(r.op, " ops/s at ", r.clients, " >= 0.90 x echo stream"),
                           r.orb.median_throughput / r.echo.median_throughput, 0.90, false});
        if (unary != nullptr && r.op == "stream_getattr_x8") {
          targets.push_back({absl::StrCat(r.op, " ops/s at ", r.clients, " >= 1.5 x unary echo"),
                             ops * r.orb.median_throughput / unary->echo.median_throughput, 1.5,
                             false});
        }
      }
    }
    if (r.op == "call_handle" && r.clients == 1) {
      targets.push_back({"call returning a new handle p50 <= 1.25 x echo",
                         r.orb.first_p50_us / r.echo.first_p50_us, 1.25, true});
    }
  }
  std::printf(
      "\nCPU per iteration in us (the whole process: clients and both servers share it, so "
      "orb - echo is what orb's server adds)\n");
  std::printf("%-22s %7s | %9s %9s %7s %9s\n", "row", "clients", "echo cpu", "orb cpu", "ratio",
              "orb adds");
  for (const Row& r : rows) {
    std::printf("%-22s %7zu | %9.1f %9.1f %7s %9.1f\n", r.op.c_str(), r.clients,
                r.echo.cpu_us_per_iteration, r.orb.cpu_us_per_iteration,
                Ratio(r.orb.cpu_us_per_iteration, r.echo.cpu_us_per_iteration).c_str(),
                r.orb.cpu_us_per_iteration - r.echo.cpu_us_per_iteration);
  }
  std::printf("%s%s", model_text.c_str(), proxy_text.c_str());
  errors += errors_via_proxy;

  std::printf("\ntargets%s\n", quick ? " (quick mode: figures are not meaningful)" : "");
  std::vector<std::string> target_json;
  for (const Target& t : targets) {
    std::string verdict = "holds";
    if (!t.holds()) {
      verdict = absl::StrFormat("MISSED by %.1f%%", 100.0 * std::abs(t.value - t.limit) /
                                                        std::max(1e-9, t.limit));
    }
    std::printf("  %-55s %8.3f  %s\n", t.what.c_str(), t.value, verdict.c_str());
    target_json.push_back(absl::StrFormat("{\"what\": \"%s\", \"value\": %.4f, \"holds\": %s}",
                                          base::JsonEscape(t.what), t.value,
                                          t.holds() ? "true" : "false"));
  }

  const std::string json_path = absl::GetFlag(FLAGS_json);
  if (!json_path.empty()) {
    std::ofstream out(json_path);
    out << "{\n  \"machine\": {\"nproc\": " << std::thread::hardware_concurrency()
        << ", \"cpu\": \"" << base::JsonEscape(CpuModel()) << "\", \"load_at_end\": \""
        << LoadAverage() << "\"},\n"
        << "  \"settings\": {\"segment_seconds\": " << absl::ToDoubleSeconds(settings.segment)
        << ", \"rounds\": " << settings.rounds << ", \"quick\": " << (quick ? "true" : "false")
        << "},\n  \"rows\": [\n    " << absl::StrJoin(row_json, ",\n    ") << "\n  ],\n"
        << "  \"server_models\": [" << absl::StrJoin(model_json, ", ") << "],\n"
        << "  \"via_proxy\": [" << absl::StrJoin(proxy_json, ", ") << "],\n"
        << "  \"memory\": " << memory_json << ",\n"
        << "  \"targets\": [" << absl::StrJoin(target_json, ", ") << "]\n}\n";
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", json_path.c_str());
      return 1;
    }
  }
  // Errors fail the run (the smoke test relies on it); missed targets do
  // not: timings are reported, never judged here.
  if (errors > 0) {
    std::fprintf(stderr, "%lld call(s) failed\n", static_cast<long long>(errors));
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace orb::bench

int main(int argc, char** argv) {
  // --via-proxy and --via_proxy are the same flag (as orbd's flags are).
  std::vector<std::string> args(argv, argv + argc);
  std::vector<char*> arg_pointers;
  for (std::string& arg : args) {
    if (arg.rfind("--", 0) == 0) {
      const size_t name_end = std::min(arg.find('='), arg.size());
      std::replace(arg.begin() + 2, arg.begin() + static_cast<std::ptrdiff_t>(name_end), '-', '_');
    }
    arg_pointers.push_back(arg.data());
  }
  absl::ParseCommandLine(static_cast<int>(arg_pointers.size()), arg_pointers.data());
  orb::bench::ConfigureLikeOrbd();
  const std::string serve_echo = absl::GetFlag(FLAGS_serve_echo);
  if (!serve_echo.empty()) {
    orb::bench::ServerModel model;
    if (!orb::bench::ParseServerModel(serve_echo, &model)) {
      std::fprintf(stderr, "--serve_echo: '%s' is neither 'callback' nor 'sync'\n",
                   serve_echo.c_str());
      return 1;
    }
    return orb::bench::ServeEchoUntilStdinCloses(model, orb::bench::kMaxMessageBytes);
  }
  return orb::bench::Run();
}
