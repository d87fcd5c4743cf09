// A bounded soak: 32 concurrent clients, each with its own identity (a
// ticket), run rounds of mixed operations with handle churn against one
// real server whose sessions live 2 seconds without a call. In every round
// a quarter of the clients fall silent past the lease mid-round, find
// their session gone ("session not found", the one error expected) and
// open a new one.
//
// Every client also watches its root's entry_count (which every client's
// add_entry and delete change) for the life of each session; every other
// client's watcher reads nothing until its session has ended, so the
// broker must coalesce for it.
//
// After every round:
//   - no client saw any other error, and every client's session held only
//     its root handle before it was closed;
//   - every watch got its first event and ended NOT_FOUND "session not
//     found" (its session closed or lapsed);
//   - the broker is back to zero sessions and zero handles, and the blog to
//     zero entries;
//   - resident memory, measured after malloc_trim(0), has not grown.
//
// Scale. ORB_SOAK_SCALE (default 1) multiplies the operations per round;
// scripts/test-sanitizers sets it below 1, where the rounds are fewer, the
// lease longer (a sanitized call can take long enough on a loaded machine
// to lapse a 2 s lease for an active client) and the memory check is off:
// ASan holds freed memory in quarantine and TSan keeps shadow state, so
// RSS says nothing about leaks there (LeakSanitizer checks for leaks in the
// ASan build instead).
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orb/policy/authn.h"
#include "base/sync.h"
#include "tests/integration/caller.h"
#include "tests/testing/joining_thread.h"

namespace orb::testing {
namespace {

constexpr int kClients = 32;

double Scale() {
  const char* text = std::getenv("ORB_SOAK_SCALE");
  if (text == nullptr || *text == '\0') return 1.0;
  const double scale = std::atof(text);
  return scale > 0 ? scale : 1.0;
}

// Resident set size in bytes, after returning free heap pages to the OS.
size_t ResidentBytes() {
  malloc_trim(0);
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  const int read = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return read == 2 ? resident * static_cast<size_t>(sysconf(_SC_PAGESIZE)) : 0;
}

// Failures seen by the client threads, reported by the main thread.
class Errors {
 public:
  void Add(std::string what) {
    orb::MutexHold lock(&mu_);
    if (errors_.size() < 20) errors_.push_back(std::move(what));
    ++count_;
  }
  std::vector<std::string> Take(size_t* count) {
    orb::MutexHold lock(&mu_);
    *count = count_;
    count_ = 0;
    return std::move(errors_);
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> errors_ ABSL_GUARDED_BY(mu_);
  size_t count_ ABSL_GUARDED_BY(mu_) = 0;
};

// One Watch of a session's root entry_count, read on a thread of its own
// until it ends; a slow one reads nothing until told the session is over.
class RootWatch {
 public:
  RootWatch(Caller& caller, const std::string& authorization, bool slow) : slow_(slow) {
    context_.AddMetadata("authorization", authorization);
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(5));
    v1::WatchRequest request;
    request.set_session(caller.session());
    request.set_handle(caller.root());
    request.add_names("entry_count");
    reader_ = caller.stub().Watch(&context_, request);
    thread_.emplace([this] { ReadAll(); });
  }

  // Tells a slow watcher to read, waits for the end and returns what is
  // wrong with it ("" when it got its first event and ended NOT_FOUND
  // "session not found").
  std::string End() {
    session_over_.Notify();
    thread_->Join();
    if (!first_initial_) return "the watch's first event was missing or not initial";
    if (status_.error_code() != grpc::StatusCode::NOT_FOUND ||
        status_.error_message() != "session not found") {
      return absl::StrCat("the watch ended ", status_.error_code(), " ", status_.error_message());
    }
    return "";
  }

 private:
  void ReadAll() {
    if (slow_) session_over_.WaitForNotification();
    v1::WatchEvent event;
    if (reader_->Read(&event)) {
      first_initial_ = event.initial() && event.values().count("entry_count") == 1;
      while (reader_->Read(&event)) {
      }
    }
    status_ = reader_->Finish();
  }

  const bool slow_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> reader_;
  orb::VisibleNotification session_over_;
  // Written by the reading thread, read after Join().
  bool first_initial_ = false;
  grpc::Status status_;
  std::optional<JoiningThread> thread_;  // last: joined before the rest goes
};

class SoakClient {
 public:
  SoakClient(const BrokerServer& server, int index, const std::string& ticket, Errors* errors)
      : caller_(Caller::WithAuthorization(server, "Ticket " + ticket)),
        authorization_("Ticket " + ticket),
        index_(index),
        errors_(errors) {}

  // One round: `ops` iterations; with `idle` > 0, falls silent for that
  // long halfway through and expects its session to be gone afterwards.
  // Each session is watched from its open to its end.
  void Round(int round, int ops, absl::Duration idle) {
    if (!Expect(caller_.Open(), "OpenSession")) return;
    auto watch = std::make_unique<RootWatch>(caller_, authorization_, index_ % 2 == 1);
    for (int i = 0; i < ops; ++i) {
      if (idle > absl::ZeroDuration() && i == ops / 2) {
        absl::SleepFor(idle);
        grpc::Status lapsed = caller_.GetAttr(caller_.root(), "title", nullptr);
        if (lapsed.error_code() != grpc::StatusCode::NOT_FOUND ||
            lapsed.error_message() != "session not found") {
          Fail(absl::StrCat("after the lease: ", lapsed.error_code(), " ",
                            lapsed.error_message()));
        }
        EndWatch(watch.get());
        if (!Expect(caller_.Open(), "OpenSession after expiry")) return;
        watch = std::make_unique<RootWatch>(caller_, authorization_, index_ % 2 == 1);
      }
      if (!Iteration(round, i)) {
        CloseSession();
        EndWatch(watch.get());
        return;
      }
    }
    CheckOnlyRootRemains();
    CloseSession();
    EndWatch(watch.get());
  }

 private:
  void CloseSession() {
    v1::CloseSessionRequest close;
    close.set_session(caller_.session());
    v1::CloseSessionResponse closed;
    Expect(caller_.Invoke(&v1::ObjectBroker::Stub::CloseSession, close, &closed), "CloseSession");
  }

  void EndWatch(RootWatch* watch) {
    const std::string wrong = watch->End();
    if (!wrong.empty()) Fail(wrong);
  }

  // add an entry, read it, write it, sometimes restrict, describe, list
  // every entry or keep alive, then delete it and release every handle.
  bool Iteration(int round, int i) {
    const std::string title = absl::StrCat("c", index_, "-r", round, "-", i);
    v1::Value entry;
    if (!Expect(caller_.Call(caller_.root(), "add_entry", {Str(title), Str("b")},
                             &entry),
                "add_entry")) {
      return false;
    }
    const std::string id = entry.handle().id();
    v1::Value read;
    if (!Expect(caller_.GetAttr(id, "title", &read), "GetAttr title")) return false;
    if (read.string_value() != title) Fail(absl::StrCat("read '", read.string_value(), "'"));
    if (!Expect(caller_.SetAttr(id, "body", Str(absl::StrCat("body ", i))), "SetAttr")) {
      return false;
    }
    if (i % 3 == 0) {
      v1::RestrictRequest restrict;
      restrict.set_session(caller_.session());
      restrict.set_handle(id);
      restrict.add_getattr("title");
      v1::RestrictResponse narrowed;
      if (!Expect(caller_.Invoke(&v1::ObjectBroker::Stub::Restrict, restrict, &narrowed),
                  "Restrict")) {
        return false;
      }
      Expect(caller_.GetAttr(narrowed.handle().id(), "title", nullptr), "restricted GetAttr");
      grpc::Status hidden = caller_.GetAttr(narrowed.handle().id(), "body", nullptr);
      if (hidden.error_code() != grpc::StatusCode::NOT_FOUND) {
        Fail(absl::StrCat("restricted handle read 'body': ", hidden.error_code()));
      }
      Expect(caller_.Release({narrowed.handle().id()}), "Release restricted");
    }
    if (i % 5 == 1) {
      v1::DescribeRequest describe;
      describe.set_session(caller_.session());
      describe.set_handle(id);
      v1::DescribeResponse described;
      Expect(caller_.Invoke(&v1::ObjectBroker::Stub::Describe, describe, &described), "Describe");
    }
    if (i % 4 == 2) {
      // Handles to every client's entries, the own one among them: each
      // occurrence is one reference, all released again.
      v1::Value all;
      if (Expect(caller_.Call(caller_.root(), "entries", {}, &all), "entries")) {
        std::vector<std::string> ids;
        for (const v1::Value& v : all.list_value().values()) ids.push_back(v.handle().id());
        if (!ids.empty()) Expect(caller_.Release(ids), "Release entries");
      }
    }
    if (i % 7 == 3) {
      v1::KeepAliveRequest keep;
      keep.set_session(caller_.session());
      v1::KeepAliveResponse kept;
      Expect(caller_.Invoke(&v1::ObjectBroker::Stub::KeepAlive, keep, &kept), "KeepAlive");
    }
    if (!Expect(caller_.Call(id, "delete", {}, nullptr), "delete")) return false;
    return Expect(caller_.Release({id}), "Release entry");
  }

  void CheckOnlyRootRemains() {
    v1::ListHandlesRequest list;
    list.set_session(caller_.session());
    v1::ListHandlesResponse listed;
    if (!Expect(caller_.Invoke(&v1::ObjectBroker::Stub::ListHandles, list, &listed),
                "ListHandles")) {
      return;
    }
    if (listed.handles_size() != 1 || listed.handles(0).ref().id() != caller_.root() ||
        listed.handles(0).references() != 1) {
      Fail(absl::StrCat("the session holds more than its root: ", listed.ShortDebugString()));
    }
  }

  bool Expect(const grpc::Status& status, const char* what) {
    if (status.ok()) return true;
    Fail(absl::StrCat(what, ": ", status.error_code(), " ", status.error_message()));
    return false;
  }
  void Fail(const std::string& what) { errors_->Add(absl::StrCat("client ", index_, ": ", what)); }

  Caller caller_;
  const std::string authorization_;
  const int index_;
  Errors* const errors_;
};

TEST(Soak, ManyClientsWithChurnAndExpiryLeaveNothingBehind) {
  const double scale = Scale();
  const bool sanitized = scale < 1.0;
  const int rounds = sanitized ? 3 : 5;
  const int ops = std::max(8, static_cast<int>(120 * scale));
  const int ttl_seconds = sanitized ? 5 : 2;
  const absl::Duration idle = absl::Seconds(ttl_seconds) + absl::Milliseconds(1200);

  BrokerServer server(
      DemoPolicy(absl::StrCat("limits { session_ttl_seconds: ", ttl_seconds, " }")));
  std::string key;
  ASSERT_TRUE(policy::DecodeLowerHex(
      DemoPolicy()->source().authentication().tickets().hmac_key_hex(), &key));
  Errors errors;
  std::vector<std::unique_ptr<SoakClient>> clients;
  for (int c = 0; c < kClients; ++c) {
    const std::string ticket =
        policy::MintTicket(key, absl::StrCat("soak-", c), absl::Now() + absl::Minutes(30));
    clients.push_back(std::make_unique<SoakClient>(server, c, ticket, &errors));
  }
  Caller observer(server, "");

  std::vector<size_t> resident;
  for (int round = 0; round < rounds; ++round) {
    const auto started = std::chrono::steady_clock::now();
    std::vector<JoiningThread> threads;
    for (int c = 0; c < kClients; ++c) {
      // A different quarter falls silent each round.
      const bool idler = (c + round) % 4 == 0;
      threads.emplace_back([&, c, idler] {
        clients[c]->Round(round, ops, idler ? idle : absl::ZeroDuration());
      });
    }
    for (JoiningThread& t : threads) t.Join();

    size_t count = 0;
    for (const std::string& e : errors.Take(&count)) ADD_FAILURE() << "round " << round << ": " << e;
    EXPECT_EQ(count, 0u) << "round " << round << ": unexpected errors";

    // Every session was closed or has lapsed; lapsed ones go at the next
    // sweep (once a second) at the latest.
    const absl::Time deadline = absl::Now() + absl::Seconds(ttl_seconds + 3);
    while ((server.core().session_count() != 0 || server.core().handle_count() != 0) &&
           absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(50));
    }
    EXPECT_EQ(server.core().session_count(), 0u) << "round " << round;
    EXPECT_EQ(server.core().handle_count(), 0u) << "round " << round;
    ASSERT_TRUE(observer.Open().ok());
    v1::Value entries;
    ASSERT_TRUE(observer.GetAttr(observer.root(), "entry_count", &entries).ok());
    EXPECT_EQ(entries.int_value(), 0) << "round " << round;
    v1::CloseSessionRequest close;
    close.set_session(observer.session());
    v1::CloseSessionResponse closed;
    ASSERT_TRUE(observer.Invoke(&v1::ObjectBroker::Stub::CloseSession, close, &closed).ok());

    resident.push_back(ResidentBytes());
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("soak round %d: %d clients x %d iterations in %.1f s, RSS %.1f MiB\n", round,
                kClients, ops, seconds, static_cast<double>(resident.back()) / (1 << 20));
    std::fflush(stdout);
  }

  if (sanitized) {
    std::printf("soak: RSS not compared under a sanitizer (quarantine and shadow memory)\n");
    return;
  }
  // Round 0 warms up what stays for the life of the process: gRPC's
  // threads and buffers, malloc's per-thread arenas, the interned userids.
  // Later rounds must stay within 4 MiB or 5% of round 1: fragmentation and
  // which arena a thread lands on vary from round to round by a few hundred
  // KiB. Rounds 2-4 make about 80,000 calls, so a leak of about 50 bytes
  // per call already fails; smaller leaks of objects are caught by the
  // session, handle and entry counts above.
  const size_t base = resident[1];
  const size_t tolerance = std::max<size_t>(4u << 20, base / 20);
  for (size_t r = 2; r < resident.size(); ++r) {
    EXPECT_LE(resident[r], base + tolerance)
        << "round " << r << " RSS " << resident[r] << " > round 1 RSS " << base << " + "
        << tolerance;
  }
}

}  // namespace
}  // namespace orb::testing
