#include "client/orbctl/read_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace orb::orbctl {

bool ReadFile(const std::string& path, std::string* out, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot read '" + path + "': " + std::strerror(errno);
    return false;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    *error = "cannot read '" + path + "'";
    return false;
  }
  *out = buffer.str();
  return true;
}

}  // namespace orb::orbctl
