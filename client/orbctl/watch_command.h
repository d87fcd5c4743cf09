// orbctl watch [--count=N] PATH NAME...: watches attributes of the object
// at PATH (ObjectBroker.Watch through orb::client::Ref::Watch) and prints
// one line per event, in one-shot orbctl and in `orbctl shell` alike.
#ifndef ORB_CLIENT_ORBCTL_WATCH_COMMAND_H_
#define ORB_CLIENT_ORBCTL_WATCH_COMMAND_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "client/orbctl/json.h"
#include "client/orbctl/remote_commands.h"
#include "orb/client/client.h"

namespace orb::orbctl {

// The exit code after Ctrl-C (SIGINT) ended a watch: 128 + SIGINT, as a
// shell reports a program the signal killed.
constexpr int kInterruptedExit = 130;

// "" when g.count is unset, or set on a `watch` command to a whole number
// from 1 up; else the usage error. `command` is the command's words.
std::string CountUsageError(const Globals& g, const std::vector<std::string>& command);

// One event as orbctl prints it (without the newline). Text: "NAME: VALUE"
// pairs in name order, joined by ", ", each VALUE as `orbctl get` prints
// it, then " (dropped: NAME, ...)" when names were dropped. JSON:
// {"initial":BOOL,"values":{NAME:VALUE,...},"dropped":[NAME,...]}.
std::string WatchEventLine(const client::WatchEvent& event, bool json, const HandleNamer& namer);

// Watches `names` of `target` and prints each event on stdout (flushed per
// line) from the calling thread, until g.count events were printed (exit
// 0), the watch ends (reported as Fail() reports, its exit code), or
// SIGINT (exit kInterruptedExit; the handler is the process's only while
// the watch runs, the previous one is put back). A refused start is
// reported as Fail() does. REQUIRES: CountUsageError(g, ...) is "".
Outcome RunWatch(const Globals& g, const client::Ref& target, std::vector<std::string> names,
                 const HandleNamer& namer);

}  // namespace orb::orbctl

#endif  // ORB_CLIENT_ORBCTL_WATCH_COMMAND_H_
