#include "broker/orbd/flags_help.h"

#include <algorithm>
#include <utility>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace orb::orbd {

bool WantsHelp(const std::vector<std::string>& args) {
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") return false;
    if (arg == "--help" || arg == "-h" || arg == "-help" || arg == "--helpshort" ||
        arg == "--helpfull") {
      return true;
    }
  }
  return false;
}

std::string FlagsHelp(absl::string_view defined_in,
                      const std::map<std::string, std::string>& placeholders) {
  std::vector<std::pair<std::string, std::string>> lines;  // (left column, help)
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (flag->IsRetired() || !absl::EndsWith(flag->Filename(), defined_in)) continue;
    std::string left = absl::StrCat("--", absl::StrReplaceAll(name, {{"_", "-"}}));
    const bool is_bool = flag->IsOfType<bool>();
    if (!is_bool) {
      std::string placeholder = "VALUE";
      if (flag->IsOfType<int32_t>() || flag->IsOfType<int64_t>()) placeholder = "N";
      if (flag->IsOfType<double>()) placeholder = "NUMBER";
      if (auto named = placeholders.find(std::string(name)); named != placeholders.end()) {
        placeholder = named->second;
      }
      absl::StrAppend(&left, "=", placeholder);
    }
    std::string help = flag->Help();
    const std::string default_value = flag->DefaultValue();
    if (!default_value.empty() && default_value != "false") {
      absl::StrAppend(&help, " (default: ", default_value, ")");
    }
    lines.emplace_back(std::move(left), std::move(help));
  }
  std::sort(lines.begin(), lines.end());
  size_t width = 0;
  for (const auto& line : lines) width = std::max(width, line.first.size());
  std::string out;
  for (const auto& [left, help] : lines) {
    absl::StrAppend(&out, "  ", left, std::string(width - left.size() + 2, ' '), help, "\n");
  }
  return out;
}

}  // namespace orb::orbd
