// JoiningThread: a std::thread for tests that is joined when it goes out of
// scope.
//
// Why: a test that leaves its scope early (a failed ASSERT_*, an exception)
// while a plain std::thread is still joinable calls std::terminate, and the
// whole test binary dies with "terminate called without an active
// exception" instead of reporting which assertion failed. Every thread a
// test starts is a JoiningThread, so the failure is reported and the next
// test runs.
//
// `stop`, when given, runs before that join if the thread is still joinable
// when it is destroyed (the test left early): it must make `body` return
// soon (release what the body waits on, cancel its call, set its stop
// flag), so that a failed test neither hangs nor waits out the body's own
// time limits. Join() does not run it: on the normal path the test itself
// decides how the body ends, then joins.
#ifndef ORB_TESTS_TESTING_JOINING_THREAD_H_
#define ORB_TESTS_TESTING_JOINING_THREAD_H_

#include <functional>
#include <thread>
#include <type_traits>
#include <utility>

namespace orb::testing {

class JoiningThread {
 public:
  template <typename Body,
            typename = std::enable_if_t<!std::is_same_v<std::decay_t<Body>, JoiningThread>>>
  explicit JoiningThread(Body&& body, std::function<void()> stop = nullptr)
      : stop_(std::move(stop)), thread_(std::forward<Body>(body)) {}
  ~JoiningThread() { StopAndJoin(); }

  JoiningThread(JoiningThread&&) noexcept = default;
  JoiningThread& operator=(JoiningThread&& other) noexcept {
    if (this != &other) {
      StopAndJoin();
      stop_ = std::move(other.stop_);
      thread_ = std::move(other.thread_);
    }
    return *this;
  }
  JoiningThread(const JoiningThread&) = delete;
  JoiningThread& operator=(const JoiningThread&) = delete;

  // Waits for the body to return (at once if it already was joined).
  void Join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  void StopAndJoin() {
    if (!thread_.joinable()) return;
    if (stop_) stop_();
    thread_.join();
  }

  // Declared before thread_: set before the body starts.
  std::function<void()> stop_;
  std::thread thread_;
};

}  // namespace orb::testing

#endif  // ORB_TESTS_TESTING_JOINING_THREAD_H_
