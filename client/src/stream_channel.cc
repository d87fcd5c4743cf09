#include "client/src/stream_channel.h"

#include <deque>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "base/sync.h"

namespace orb {
namespace client {
namespace client_internal {

// One open stream: a gRPC bidi reactor. It holds itself (self_) from
// StartCall until OnDone, so gRPC never calls into a destroyed object.
//
// Send() starts writes from outside gRPC's reactions, so the reactor keeps
// a gRPC hold while the stream is open: without it OnDone (after which the
// call is gone) could run between Send's check and its StartWrite. The
// hold is let go once the stream has ended (the read failed) and no Send
// is between its check and its StartWrite.
class StreamChannel::Connection final
    : public grpc::ClientBidiReactor<v1::StreamRequest, v1::StreamResponse>,
      public std::enable_shared_from_this<Connection> {
 public:
  explicit Connection(const Prepare& prepare) { prepare(&context_); }

  void Start(v1::ObjectBroker::Stub* stub) {
    {
      // Under mu_: OnDone, on a gRPC thread, takes it back under mu_.
      MutexHold lock(&mu_);
      self_ = shared_from_this();
    }
    stub->async()->Stream(&context_, this);
    AddHold();
    {
      MutexHold lock(&mu_);
      holding_ = true;
    }
    StartRead(&answer_);
    StartCall();
  }

  // False when this stream has ended (the caller then opens another).
  bool Send(v1::StreamRequest frame, Done done) {
    const v1::StreamRequest* write_now = nullptr;
    {
      MutexHold lock(&mu_);
      if (ended_) return false;
      const uint64_t id = ++last_id_;
      frame.set_id(id);
      waiting_.emplace(id, std::move(done));
      writes_.push_back(std::move(frame));
      if (!writing_) {
        writing_ = true;
        // The front stays put (a deque) until OnWriteDone pops it.
        write_now = &writes_.front();
        ++starting_;
      }
    }
    if (write_now != nullptr) {
      StartWrite(write_now);
      bool release = false;
      {
        MutexHold lock(&mu_);
        --starting_;
        release = TakeHoldIfDone();
      }
      if (release) RemoveHold();
    }
    return true;
  }

  // Ends the stream (the channel is going away); what waits fails.
  void Stop() { context_.TryCancel(); }

  void OnWriteDone(bool ok) override {
    const v1::StreamRequest* next = nullptr;
    {
      MutexHold lock(&mu_);
      writes_.pop_front();
      if (ok && !writes_.empty()) {
        next = &writes_.front();
      } else {
        writing_ = false;
      }
    }
    if (next != nullptr) StartWrite(next);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The stream is ending: no Send starts anything more, and OnDone
      // fails what waits.
      bool release = false;
      {
        MutexHold lock(&mu_);
        ended_ = true;
        release = TakeHoldIfDone();
      }
      if (release) RemoveHold();
      return;
    }
    // gRPC hands the reactor between its threads in code ThreadSanitizer
    // does not see; taking mu_ orders this after the last use.
    { MutexHold sync(&mu_); }
    Done done = Take(answer_.id());
    v1::StreamResponse answer = std::move(answer_);
    answer_.Clear();
    StartRead(&answer_);
    if (done) done(std::move(answer));
  }

  void OnDone(const grpc::Status& status) override {
    std::vector<Done> orphans;
    {
      MutexHold lock(&mu_);
      ended_ = true;
      for (auto& [id, done] : waiting_) orphans.push_back(std::move(done));
      waiting_.clear();
    }
    const absl::Status lost = absl::UnavailableError(absl::StrCat(
        "orb: the stream to the broker ended before the answer came (",
        status.ok() ? std::string("closed") : status.error_message(),
        "); the operation may or may not have run"));
    for (Done& done : orphans) done(lost);
    std::shared_ptr<Connection> keep;
    {
      MutexHold lock(&mu_);
      keep = std::move(self_);
    }
    // `keep` goes last, here: it may delete this.
  }

  bool ended() {
    MutexHold lock(&mu_);
    return ended_;
  }

 private:
  // True (and the hold is marked gone) when the stream has ended and no
  // Send is about to start a write: the caller then calls RemoveHold()
  // with mu_ released, as it may run OnDone at once.
  bool TakeHoldIfDone() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!holding_ || !ended_ || starting_ != 0) return false;
    holding_ = false;
    return true;
  }

  // The callback of `id`, taken out (empty when there is none).
  Done Take(uint64_t id) {
    MutexHold lock(&mu_);
    auto it = waiting_.find(id);
    if (it == waiting_.end()) return Done();
    Done done = std::move(it->second);
    waiting_.erase(it);
    return done;
  }

  grpc::ClientContext context_;
  v1::StreamResponse answer_;
  std::shared_ptr<Connection> self_ ABSL_GUARDED_BY(mu_);

  absl::Mutex mu_;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool holding_ ABSL_GUARDED_BY(mu_) = false;
  // Sends between their check of ended_ and the return of their StartWrite.
  int starting_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t last_id_ ABSL_GUARDED_BY(mu_) = 0;
  // A deque keeps the front in place while frames are added at the back.
  std::deque<v1::StreamRequest> writes_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, Done> waiting_ ABSL_GUARDED_BY(mu_);
};

StreamChannel::~StreamChannel() {
  std::shared_ptr<Connection> open;
  {
    MutexHold lock(&mu_);
    open = std::move(open_);
  }
  if (open != nullptr) open->Stop();
}

void StreamChannel::Send(v1::StreamRequest frame, Done done) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::shared_ptr<Connection> connection;
    {
      MutexHold lock(&mu_);
      if (open_ == nullptr || open_->ended()) {
        // Started under the lock: no other thread may write to it before
        // gRPC knows the reactor.
        open_ = std::make_shared<Connection>(prepare_);
        open_->Start(stub_);
      }
      connection = open_;
    }
    // A stream that ended between the check and the send: once more, on a
    // new one.
    if (connection->Send(frame, done)) return;
  }
  done(absl::UnavailableError("orb: cannot open a stream to the broker"));
}

}  // namespace client_internal
}  // namespace client
}  // namespace orb
