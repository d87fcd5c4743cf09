// The names `orbctl shell` gives the handles its commands return: $1, $2,
// ... in the order they are printed, never reused within one shell.
#ifndef ORB_CLIENT_ORBCTL_SHELL_NAMES_H_
#define ORB_CLIENT_ORBCTL_SHELL_NAMES_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "orb/client/client.h"

namespace orb::orbctl {

// Holds a Ref for every name, so that a named handle stays alive in the
// session until it is released or the shell ends. Not thread-safe (the
// shell runs one command at a time).
class HandleNames {
 public:
  // The name of `ref`: the name it already has when the same handle (same
  // id in the same session) is named, else the next "$N". Keeps `ref`.
  std::string Name(const client::Ref& ref);

  // The handle named `name` ("$3"). Errors (nothing is sent): NOT_FOUND
  // "'$9' names no handle (see 'handles')", "'$2' was released", "'$1' was
  // dropped with the lost session".
  absl::StatusOr<client::Ref> Find(absl::string_view name) const;

  // Forgets `name`; its Ref goes, which queues the handle's release in the
  // session. Errors: as Find.
  absl::Status Release(absl::string_view name);

  // Forgets every name (their session is gone) and returns them in order.
  // Numbering goes on, so a later $N never means a handle of before.
  std::vector<std::string> DropAll();

  // The named handles, in the order they were named.
  std::vector<std::pair<std::string, client::Ref>> List() const;

  // Whether `text` starts with a handle name: '$' and a digit.
  static bool StartsWithName(absl::string_view text);
  // The length of the handle name `text` starts with ("$12.title": 3).
  // REQUIRES: StartsWithName(text).
  static size_t NameLength(absl::string_view text);

 private:
  uint64_t last_ = 0;                            // the last N given
  std::map<uint64_t, client::Ref> live_;         // by N
  std::map<uint64_t, const char*> gone_;         // N -> why it went
};

}  // namespace orb::orbctl

#endif  // ORB_CLIENT_ORBCTL_SHELL_NAMES_H_
