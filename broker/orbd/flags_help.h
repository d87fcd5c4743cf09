// orbd's --help: the flags orbd itself defines, one line each.
//
// Abseil's own --help lists only flags defined in a file named after the
// program (orbd's are in main.cc), so it printed "No flags matched." and
// exited 1; --helpfull would list Abseil's internal flags as well. orbd
// answers --help (and -h, --helpshort, --helpfull) itself, before Abseil
// parses the line, from the flags registered by one source file.
#ifndef ORB_BROKER_ORBD_FLAGS_HELP_H_
#define ORB_BROKER_ORBD_FLAGS_HELP_H_

#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace orb::orbd {

// True when `args` (argv, argv[0] first) asks for help: --help, -h,
// --helpshort or --helpfull before any "--".
bool WantsHelp(const std::vector<std::string>& args);

// One line per flag registered by a file whose path ends with
// `defined_in`, sorted by name: "  --tls-cert=FILE   <help> (default: X)".
// Names are written with dashes, as operators type them; a bool flag has
// no "=VALUE"; `placeholders` names the value of a flag (by its name as
// defined: "tls_cert" -> "FILE"), else it is N for an integer, NUMBER for
// a double, VALUE otherwise. The default is shown when it is not empty or
// false.
std::string FlagsHelp(absl::string_view defined_in,
                      const std::map<std::string, std::string>& placeholders);

}  // namespace orb::orbd

#endif  // ORB_BROKER_ORBD_FLAGS_HELP_H_
