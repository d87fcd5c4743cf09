// orbd --metrics-listen: a real orbd under load from real clients, its
// /metrics scraped over plain HTTP during and after; each series moves by
// exactly what the calls made, no label carries an id, a token or a
// userid, and promtool finds nothing to say. A port in use refuses the
// start; without the flag nothing more listens; junk sent to the metrics
// port harms nothing.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "orb/v1/admin.grpc.pb.h"
#include "orb/v1/broker.grpc.pb.h"
#include "tests/integration/caller.h"
#include "tests/integration/root_calls.h"
#include "tests/testing/joining_thread.h"
#include "tests/testing/orbd_process.h"
#include "tests/testing/test_support.h"

namespace orb::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A TCP connection to 127.0.0.1:`port` (-1 on failure), with 10 s timeouts.
int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Sends `bytes` to 127.0.0.1:`port`, half-closes, and returns all it
// answers until it closes the connection.
std::string Exchange(int port, const std::string& bytes) {
  const int fd = Connect(port);
  if (fd < 0) return "";
  send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  // Nothing more comes: a server waiting for the rest of a request learns
  // so at once instead of at its timeout.
  shutdown(fd, SHUT_WR);
  std::string answer;
  char buffer[16384];
  for (ssize_t n; (n = recv(fd, buffer, sizeof(buffer), 0)) > 0;) answer.append(buffer, n);
  close(fd);
  return answer;
}

int PortOf(const std::string& host_port) {
  int port = 0;
  EXPECT_TRUE(absl::SimpleAtoi(host_port.substr(host_port.rfind(':') + 1), &port)) << host_port;
  return port;
}

// One scrape of GET /metrics: the body, and its samples by series
// ("name{labels}").
struct Scrape {
  std::string body;
  std::map<std::string, double> samples;

  // 0 for a series the scrape does not have.
  double operator[](const std::string& series) const {
    auto it = samples.find(series);
    return it == samples.end() ? 0 : it->second;
  }
};

Scrape ScrapeMetrics(int port) {
  const std::string answer =
      Exchange(port, "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
  Scrape scrape;
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer.substr(0, 200);
  const size_t body = answer.find("\r\n\r\n");
  if (body == std::string::npos) return scrape;
  scrape.body = answer.substr(body + 4);
  for (absl::string_view line : absl::StrSplit(scrape.body, '\n', absl::SkipEmpty())) {
    if (line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    double value = 0;
    EXPECT_TRUE(absl::SimpleAtod(line.substr(space + 1), &value)) << line;
    scrape.samples[std::string(line.substr(0, space))] = value;
  }
  return scrape;
}

std::string Rpc(const std::string& method, const std::string& code,
                const std::string& transport = "unary") {
  return absl::StrCat("orb_rpcs_total{service=\"ObjectBroker\",method=\"", method,
                      "\",transport=\"", transport, "\",code=\"", code, "\"}");
}
std::string Decision(const std::string& gate, const std::string& result,
                     const std::string& reason) {
  return absl::StrCat("orb_gate_decisions_total{gate=\"", gate, "\",result=\"", result,
                      "\",reason=\"", reason, "\"}");
}
std::string Refusals(const std::string& authn, const std::string& cause) {
  return absl::StrCat("orb_identity_refusals_total{authn=\"", authn, "\",cause=\"", cause,
                      "\"}");
}
std::string Reloads(const std::string& result) {
  return absl::StrCat("orb_policy_reloads_total{trigger=\"sighup\",result=\"", result, "\"}");
}

// promtool's verdict on a scrape: "" and exit 0 when it has nothing to say.
void ExpectPromtoolClean(const std::string& dir, const std::string& body) {
  WriteWholeFile(dir + "/metrics.txt", body);
  const CommandResult lint = RunCommand("promtool check metrics < '" + dir + "/metrics.txt'");
  EXPECT_EQ(lint.exit_code, 0) << lint.output;
  EXPECT_EQ(lint.output, "");
}

// The label sets of every sample ("{...}"), for what must never be there.
std::string AllLabels(const Scrape& scrape) {
  std::string labels;
  for (const auto& [series, value] : scrape.samples) {
    const size_t brace = series.find('{');
    if (brace != std::string::npos) labels += series.substr(brace) + "\n";
  }
  return labels;
}

class OrbdMetrics : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir(); }
  void TearDown() override { RunCommand("rm -rf '" + dir_ + "'"); }

  // orbd on the blog, with metrics on an ephemeral loopback port, its
  // policy a copy the test may change.
  std::unique_ptr<OrbdProcess> StartWithMetrics() {
    policy_ = dir_ + "/policy.textproto";
    WriteWholeFile(policy_, ReadWholeFile(OrbdProcess::BlogPolicyPath()));
    auto orbd = std::make_unique<OrbdProcess>(std::vector<std::string>{
        "--listen=127.0.0.1:0", "--service=blog", "--policy=" + policy_,
        "--metrics-listen=127.0.0.1:0", "--audit-log=" + dir_ + "/audit.jsonl"});
    const std::string metrics = orbd->WaitForLog(R"(metrics on http://([0-9.]+:[0-9]+)/metrics)");
    EXPECT_FALSE(metrics.empty()) << orbd->log();
    metrics_port_ = metrics.empty() ? 0 : PortOf(metrics);
    EXPECT_FALSE(orbd->WaitForAddress().empty()) << orbd->log();
    return orbd;
  }

  std::string dir_;
  std::string policy_;
  int metrics_port_ = 0;
};

TEST_F(OrbdMetrics, ValuesMoveExactlyAsTheCallsMade) {
  std::unique_ptr<OrbdProcess> orbd = StartWithMetrics();
  ASSERT_NE(metrics_port_, 0);
  auto stub = v1::ObjectBroker::NewStub(
      grpc::CreateChannel(orbd->address(), grpc::InsecureChannelCredentials()));
  const Scrape before = ScrapeMetrics(metrics_port_);
  ASSERT_THAT(before.body, HasSubstr("# TYPE orb_rpcs_total counter"));

  const OpenedRoot bob = OpenRoot(*stub, kBobToken);
  ASSERT_TRUE(bob.status.ok()) << bob.status.error_message();

  // Load: bob reads the title again and again while the metrics are
  // scraped; what a scrape shows never goes down, and never runs ahead.
  constexpr int kReads = 40;
  std::atomic<int> reads_done{0};
  {
    JoiningThread load([&] {
      for (int i = 0; i < kReads; ++i) {
        EXPECT_TRUE(GetRootAttr(*stub, kBobToken, bob, "title", nullptr).ok());
        reads_done.fetch_add(1);
      }
    });
    const std::string ok_reads = Rpc("GetAttr", "OK");
    double last = before[ok_reads];
    for (int i = 0; i < 5; ++i) {
      const int floor = reads_done.load();
      const Scrape during = ScrapeMetrics(metrics_port_);
      EXPECT_GE(during[ok_reads], last);
      EXPECT_GE(during[ok_reads] - before[ok_reads], floor);
      EXPECT_LE(during[ok_reads] - before[ok_reads], kReads);
      last = during[ok_reads];
    }
    load.Join();
  }

  // Refusals at each gate, and by authentication.
  EXPECT_EQ(GetRootAttr(*stub, kBobToken, bob, "_secret", nullptr).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetRootAttr(*stub, kBobToken, bob, "no_such_name", nullptr).error_code(),
            grpc::StatusCode::NOT_FOUND);
  const OpenedRoot anonymous = OpenRoot(*stub, "");
  ASSERT_TRUE(anonymous.status.ok());
  EXPECT_EQ(SetRootAttr(*stub, "", anonymous, "title", 1).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(OpenRoot(*stub, "not-a-demo-token").status.error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  // A handle made: bob adds an entry.
  v1::CallRequest add;
  add.set_session(bob.session);
  add.set_handle(bob.root);
  add.set_name("add_entry");
  add.add_args()->set_string_value("metrics");
  add.add_args()->set_string_value("counted");
  v1::CallResponse added;
  ASSERT_TRUE(stub->Call(BearerContext(kBobToken).get(), add, &added).ok());
  const std::string entry = added.result().handle().id();
  ASSERT_FALSE(entry.empty());

  // The same read as the one frame of a Stream.
  v1::GetAttrRequest read;
  read.set_session(bob.session);
  read.set_handle(bob.root);
  read.set_name("title");
  std::string answer;
  ASSERT_TRUE(StreamedCall(grpc::CreateChannel(orbd->address(), grpc::InsecureChannelCredentials()),
                           {{"authorization", std::string("Bearer ") + kBobToken}},
                           v1::GetAttrRequest::descriptor(), read.SerializeAsString(), &answer)
                  .ok());

  // Admin: alice may see the policy, bob may not.
  auto admin = v1::BrokerAdmin::NewStub(
      grpc::CreateChannel(orbd->address(), grpc::InsecureChannelCredentials()));
  v1::PolicyInfo info;
  EXPECT_TRUE(admin->GetPolicyInfo(BearerContext(kAliceToken).get(), {}, &info).ok());
  EXPECT_EQ(admin->GetPolicyInfo(BearerContext(kBobToken).get(), {}, &info).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // A reload that succeeds (the same file), then one that is refused.
  orbd->Signal(SIGHUP);
  ASSERT_TRUE(orbd->WaitForText("policy reloaded (SIGHUP)")) << orbd->log();
  WriteWholeFile(policy_, "revision: 1\nnot_a_field: 2\n");
  orbd->Signal(SIGHUP);
  ASSERT_TRUE(orbd->WaitForText("policy reload (SIGHUP) refused")) << orbd->log();

  const Scrape after = ScrapeMetrics(metrics_port_);
  const auto delta = [&](const std::string& series) { return after[series] - before[series]; };
  EXPECT_EQ(delta(Rpc("OpenSession", "OK")), 2);
  EXPECT_EQ(delta(Rpc("OpenSession", "UNAUTHENTICATED")), 1);
  EXPECT_EQ(delta(Rpc("GetAttr", "OK")), kReads);
  EXPECT_EQ(delta(Rpc("GetAttr", "NOT_FOUND")), 2);
  EXPECT_EQ(delta(Rpc("SetAttr", "PERMISSION_DENIED")), 1);
  EXPECT_EQ(delta(Rpc("Call", "OK")), 1);
  EXPECT_EQ(delta(Rpc("GetAttr", "OK", "stream")), 1);
  EXPECT_EQ(delta(Rpc("Stream", "OK", "stream")), 1);
  const std::string admin_rpc =
      "orb_rpcs_total{service=\"BrokerAdmin\",method=\"GetPolicyInfo\",transport=\"unary\",";
  EXPECT_EQ(delta(admin_rpc + "code=\"OK\"}"), 1);
  EXPECT_EQ(delta(admin_rpc + "code=\"PERMISSION_DENIED\"}"), 1);
  EXPECT_EQ(delta(Decision("admin", "allowed", "granted")), 1);
  EXPECT_EQ(delta(Decision("admin", "refused", "denied")), 1);
  EXPECT_EQ(delta("orb_rpc_duration_seconds_count{service=\"ObjectBroker\",method=\"GetAttr\","
                  "transport=\"unary\"}"),
            kReads + 2);
  EXPECT_EQ(delta("orb_rpc_duration_seconds_bucket{service=\"ObjectBroker\",method=\"GetAttr\","
                  "transport=\"unary\",le=\"+Inf\"}"),
            kReads + 2);

  EXPECT_EQ(delta(Decision("acl", "allowed", "granted")), kReads + 1 + 1);
  EXPECT_EQ(delta(Decision("olp", "refused", "not_exposed")), 1);
  EXPECT_EQ(delta(Decision("olp", "refused", "no_such_member")), 1);
  EXPECT_EQ(delta(Decision("acl", "refused", "denied")), 1);
  // Every call authenticates once: 2 opens, the reads, 2 refused reads,
  // the refused write, the call, the stream and 2 admin calls.
  EXPECT_EQ(delta(Decision("authn", "allowed", "authenticated")),
            2 + kReads + 2 + 1 + 1 + 1 + 2);
  EXPECT_EQ(delta(Decision("authn", "refused", "unauthenticated")), 1);
  EXPECT_EQ(delta(Refusals("bearer", "gate")), 3);  // two reads and the admin call
  EXPECT_EQ(delta(Refusals("anonymous", "gate")), 1);
  EXPECT_EQ(delta(Refusals("none", "unauthenticated")), 1);
  EXPECT_EQ(delta(Refusals("bearer", "identity_busy")), 0);

  EXPECT_EQ(delta("orb_sessions"), 2);
  EXPECT_EQ(delta("orb_handles"), 3);  // two roots and the entry
  EXPECT_EQ(delta(Reloads("ok")), 1);
  EXPECT_EQ(delta(Reloads("refused")), 1);
  EXPECT_EQ(after["orb_policy_last_reload_refused"], 1);
  EXPECT_EQ(after["orb_policy_revision"], before["orb_policy_revision"]);
  EXPECT_EQ(after["orb_audit_write_failures_total"], 0);
  // The blog's members never block: no member thread was needed.
  EXPECT_EQ(after["orb_member_threads_busy"], 0);
  EXPECT_EQ(after["orb_member_calls_queued"], 0);

  // Nothing that identifies a session, a handle or a person is a label.
  for (const std::string& secret :
       {bob.session, bob.root, anonymous.session, anonymous.root, entry,
        std::string(kBobToken), std::string("not-a-demo-token")}) {
    EXPECT_THAT(after.body, Not(HasSubstr(secret)));
  }
  const std::string labels = AllLabels(after);
  EXPECT_THAT(labels, Not(HasSubstr("bob")));
  EXPECT_THAT(labels, Not(HasSubstr("alice")));
  EXPECT_THAT(after.body, Not(HasSubstr(kAliceToken)));
  EXPECT_THAT(labels, Not(HasSubstr("_secret")));
  EXPECT_THAT(labels, Not(HasSubstr("no_such_name")));

  ExpectPromtoolClean(dir_, after.body);
  orbd->Signal(SIGTERM);
  EXPECT_EQ(orbd->WaitForExit(), 0) << orbd->log();
}

TEST_F(OrbdMetrics, APortInUseRefusesTheStart) {
  // Holds a loopback port, listening.
  const int holder = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(holder, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(holder, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(holder, 4), 0);
  socklen_t length = sizeof(addr);
  ASSERT_EQ(getsockname(holder, reinterpret_cast<sockaddr*>(&addr), &length), 0);
  const std::string taken = absl::StrCat("127.0.0.1:", ntohs(addr.sin_port));

  OrbdProcess orbd(OrbdProcess::BlogArgs({"--metrics-listen=" + taken}));
  EXPECT_EQ(orbd.WaitForExit(), 1);
  EXPECT_THAT(orbd.log(), HasSubstr("orbd: cannot serve metrics on " + taken +
                                    " (address in use"));
  EXPECT_THAT(orbd.log(), Not(HasSubstr("serving")));
  // The port's owner is undisturbed.
  const int client = Connect(ntohs(addr.sin_port));
  EXPECT_GE(client, 0);
  if (client >= 0) close(client);
  close(holder);

  OrbdProcess bad(OrbdProcess::BlogArgs({"--metrics-listen=metrics.example.com:9464"}));
  EXPECT_EQ(bad.WaitForExit(), 1);
  EXPECT_THAT(bad.log(), HasSubstr("--metrics-listen='metrics.example.com:9464': "
                                   "'metrics.example.com' is not an IPv4 address"));
}

// The inodes of the TCP sockets `pid` holds that listen.
int ListeningSockets(pid_t pid) {
  const CommandResult inodes = RunCommand(absl::StrCat(
      "ls -l /proc/", pid, "/fd 2>/dev/null | grep -o 'socket:\\[[0-9]*\\]' | tr -dc '0-9\\n'"));
  int listening = 0;
  for (absl::string_view inode : absl::StrSplit(inodes.output, '\n', absl::SkipEmpty())) {
    // State 0A is LISTEN; the inode is the 10th column.
    const CommandResult found = RunCommand(absl::StrCat(
        "awk '$4 == \"0A\" && $10 == \"", inode, "\"' /proc/net/tcp /proc/net/tcp6"));
    if (!found.output.empty()) ++listening;
  }
  return listening;
}

TEST_F(OrbdMetrics, OffByDefault) {
  OrbdProcess orbd;
  ASSERT_FALSE(orbd.address().empty()) << orbd.log();
  EXPECT_THAT(orbd.log(), Not(HasSubstr("metrics")));
  EXPECT_EQ(ListeningSockets(orbd.pid()), 1);  // the gRPC port alone
  orbd.Signal(SIGTERM);
  EXPECT_EQ(orbd.WaitForExit(), 0) << orbd.log();
}

TEST_F(OrbdMetrics, JunkOnTheMetricsPortHarmsNothing) {
  std::unique_ptr<OrbdProcess> orbd = StartWithMetrics();
  ASSERT_NE(metrics_port_, 0);
  const std::vector<std::string> junk = {
      std::string("\x00\xff\x16\x03\x01 not http\r\n\r\n", 18),
      "GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
      "POST /metrics HTTP/1.1\r\nContent-Length: 99999999\r\n\r\nabc",
      "GET /metrics HTTP/1.1\r\n" + std::string(100000, 'X') + ": y\r\n\r\n",
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
      "GET /metrics",  // and hang up
  };
  for (const std::string& bytes : junk) {
    const std::string answer = Exchange(metrics_port_, bytes);
    EXPECT_THAT(answer, Not(HasSubstr("root:"))) << bytes.substr(0, 40);
  }
  auto stub = v1::ObjectBroker::NewStub(
      grpc::CreateChannel(orbd->address(), grpc::InsecureChannelCredentials()));
  const OpenedRoot bob = OpenRoot(*stub, kBobToken);
  ASSERT_TRUE(bob.status.ok()) << bob.status.error_message();
  EXPECT_TRUE(GetRootAttr(*stub, kBobToken, bob, "title", nullptr).ok());
  const Scrape scrape = ScrapeMetrics(metrics_port_);
  EXPECT_EQ(scrape["orb_sessions"], 1);
  ExpectPromtoolClean(dir_, scrape.body);
  orbd->Signal(SIGTERM);
  EXPECT_EQ(orbd->WaitForExit(), 0) << orbd->log();
}

}  // namespace
}  // namespace orb::testing
