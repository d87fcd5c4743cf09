// Tells systemd (or any service manager speaking the sd_notify protocol)
// what the daemon is doing: READY=1 once it serves, RELOADING=1 and READY=1
// around a SIGHUP reload, STOPPING=1 when it drains. A no-op when the
// daemon was not started with $NOTIFY_SOCKET (not under Type=notify).
#ifndef ORB_BROKER_ORBD_SERVICE_MANAGER_H_
#define ORB_BROKER_ORBD_SERVICE_MANAGER_H_

#include <string>

namespace orb::orbd {

// Sends `state` (newline-separated NAME=VALUE assignments, e.g.
// "READY=1\nSTATUS=serving"). Returns false only when a service manager is
// listening and the message could not be sent; thread-compatible.
bool NotifyServiceManager(const std::string& state);

}  // namespace orb::orbd

#endif  // ORB_BROKER_ORBD_SERVICE_MANAGER_H_
