// A child process (orbd, an example server) whose stderr goes to a file the
// test can read, stopped by PID.
#ifndef ORB_TESTS_TESTING_CHILD_PROCESS_H_
#define ORB_TESTS_TESTING_CHILD_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace orb::testing {

class ChildProcess {
 public:
  struct Options {
    // The child's whole environment as NAME=VALUE; empty: this process's.
    std::vector<std::string> env;
    // Also send stdout to the log (else to /dev/null).
    bool stdout_to_log = false;
  };
  // Starts `binary` (an absolute path) with `args`; stderr goes to a log
  // file, stdout as `options` say.
  ChildProcess(const std::string& binary, std::vector<std::string> args);
  ChildProcess(const std::string& binary, std::vector<std::string> args, const Options& options);
  // Kills (SIGKILL) a child still running and removes its log.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Waits up to 20 s for a log line matching `pattern` (an ECMAScript
  // regex with one capture group); returns the group, or "" if the child
  // exited or the time ran out.
  std::string WaitForLog(const std::string& pattern);
  // Waits up to `timeout_ms` for `text` (plain text, not a pattern) in the
  // log; false if it did not appear.
  bool WaitForText(const std::string& text, int timeout_ms = 10000);

  bool HasExited();
  // Waits up to 20 s; returns the exit code (128+signal when killed), or -1.
  int WaitForExit();
  void Signal(int signal_number);
  std::string log() const;
  pid_t pid() const { return pid_; }

 private:
  std::string dir_;
  std::string log_path_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_code_ = -1;
};

}  // namespace orb::testing

#endif  // ORB_TESTS_TESTING_CHILD_PROCESS_H_
