#include "client/orbctl/shell_names.h"

#include <cctype>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace orb::orbctl {

namespace {

constexpr char kReleased[] = "was released";
constexpr char kDropped[] = "was dropped with the lost session";

std::string NameOf(uint64_t n) { return absl::StrCat("$", n); }

// N of a well-formed name ("$" and digits, no leading zero), else 0.
uint64_t NumberOf(absl::string_view name) {
  uint64_t n = 0;
  if (name.size() < 2 || name[0] != '$' || name[1] == '0') return 0;
  if (!absl::SimpleAtoi(name.substr(1), &n)) return 0;
  for (char c : name.substr(1)) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return 0;
  }
  return n;
}

}  // namespace

std::string HandleNames::Name(const client::Ref& ref) {
  for (const auto& [n, named] : live_) {
    if (named == ref) return NameOf(n);
  }
  live_.emplace(++last_, ref);
  return NameOf(last_);
}

absl::StatusOr<client::Ref> HandleNames::Find(absl::string_view name) const {
  const uint64_t n = NumberOf(name);
  if (auto it = live_.find(n); it != live_.end()) return it->second;
  if (auto it = gone_.find(n); it != gone_.end()) {
    return absl::NotFoundError(absl::StrCat("'", name, "' ", it->second));
  }
  return absl::NotFoundError(absl::StrCat("'", name, "' names no handle (see 'handles')"));
}

absl::Status HandleNames::Release(absl::string_view name) {
  absl::StatusOr<client::Ref> found = Find(name);
  if (!found.ok()) return found.status();
  const uint64_t n = NumberOf(name);
  live_.erase(n);
  gone_.emplace(n, kReleased);
  return absl::OkStatus();
}

std::vector<std::string> HandleNames::DropAll() {
  std::vector<std::string> names;
  for (const auto& entry : live_) {
    names.push_back(NameOf(entry.first));
    gone_.emplace(entry.first, kDropped);
  }
  live_.clear();
  return names;
}

std::vector<std::pair<std::string, client::Ref>> HandleNames::List() const {
  std::vector<std::pair<std::string, client::Ref>> list;
  for (const auto& [n, ref] : live_) list.emplace_back(NameOf(n), ref);
  return list;
}

bool HandleNames::StartsWithName(absl::string_view text) {
  return text.size() >= 2 && text[0] == '$' && std::isdigit(static_cast<unsigned char>(text[1]));
}

size_t HandleNames::NameLength(absl::string_view text) {
  size_t end = 1;
  while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
  return end;
}

}  // namespace orb::orbctl
