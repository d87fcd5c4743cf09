// PluginRegistrar (orb/broker/plugin.h): what a plugin's entry point uses
// to offer its services.
#include <utility>

#include "absl/strings/str_cat.h"
#include "orb/broker/plugin.h"

namespace orb::broker {
namespace {

bool IsServiceName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

absl::Status PluginRegistrar::AddService(DaemonService service) {
  if (!IsServiceName(service.name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("service name '", service.name,
                     "' must be 1 to 64 letters, digits, '_', '-' or '.'"));
  }
  if (!service.register_types || !service.make_root) {
    return absl::InvalidArgumentError(absl::StrCat(
        "service '", service.name, "' needs both register_types and make_root"));
  }
  for (const DaemonService& offered : services_) {
    if (offered.name == service.name) {
      return absl::AlreadyExistsError(
          absl::StrCat("service '", service.name, "' was offered twice"));
    }
  }
  services_.push_back(std::move(service));
  return absl::OkStatus();
}

void PluginRegistrar::Fail(absl::Status status) {
  if (failure_.ok()) failure_ = std::move(status);
}

}  // namespace orb::broker
