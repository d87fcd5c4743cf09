// sd_notify for the daemon (service_manager.h).
#include "broker/orbd/service_manager.h"

#include <systemd/sd-daemon.h>

namespace orb::orbd {

bool NotifyServiceManager(const std::string& state) {
  // 0: keep $NOTIFY_SOCKET, so that a reload can notify again.
  return sd_notify(0, state.c_str()) >= 0;
}

}  // namespace orb::orbd
