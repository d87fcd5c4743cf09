// Reading a whole file for orbctl's commands.
#ifndef ORB_CLIENT_ORBCTL_READ_FILE_H_
#define ORB_CLIENT_ORBCTL_READ_FILE_H_

#include <string>

namespace orb::orbctl {

// Reads `path` into `*out`. On failure returns false and sets `*error` to
// "cannot read '<path>': <reason>".
bool ReadFile(const std::string& path, std::string* out, std::string* error);

}  // namespace orb::orbctl

#endif  // ORB_CLIENT_ORBCTL_READ_FILE_H_
