// orbctl policy eval-cases: evaluates a Pyramid ACL case file with orb's ACL
// evaluator, for tests/conformance/check_cases.py to compare with Pyramid.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "client/orbctl/commands.h"
#include "client/orbctl/read_file.h"
#include "policy/acl_cases.h"

namespace orb::orbctl {
namespace {

constexpr char kEvalCasesUsage[] =
    "usage: orbctl policy eval-cases --in CASES.json --out RESULTS.json\n"
    "\n"
    "Evaluates every query of a Pyramid ACL case file (format pyramid-acl-cases/1)\n"
    "with orb's ACL evaluator and writes a pyramid-acl-results/1 file:\n"
    "allowed, acl_node, ace_index, msg_acl_node and msg for each permits query,\n"
    "the sorted principals for each principals_allowed query.\n"
    "\n"
    "  --in FILE    the case file to read\n"
    "  --out FILE   the results file to write ('-' for standard output)\n"
    "\n"
    "Check the results against Pyramid's answers with\n"
    "  python3 tests/conformance/check_cases.py CASES.json RESULTS.json\n"
    "\n"
    "Exit status: 0 written, 1 unreadable or malformed case file or unwritable\n"
    "output, 2 usage error.\n";

constexpr char kPrefix[] = "orbctl policy eval-cases: ";

int UsageError(const std::string& message) {
  std::fprintf(stderr, "%s%s\n\n%s", kPrefix, message.c_str(), kEvalCasesUsage);
  return 2;
}

int Error(const std::string& message) {
  std::fprintf(stderr, "%s%s\n", kPrefix, message.c_str());
  return 1;
}


bool WriteFile(const std::string& path, const std::string& text, std::string* error) {
  if (path == "-") {
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
      *error = "cannot write to standard output";
      return false;
    }
    return true;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    *error = "cannot write " + path + ": " + std::strerror(errno);
    return false;
  }
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) {
    *error = "cannot write " + path;
    return false;
  }
  return true;
}

int Run(int argc, char** argv) {
  std::string in_path;
  std::string out_path;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kEvalCasesUsage, stdout);
      return 0;
    }
    std::string* target = nullptr;
    absl::string_view name;
    if (absl::StartsWith(arg, "--in")) {
      target = &in_path;
      name = "--in";
    } else if (absl::StartsWith(arg, "--out")) {
      target = &out_path;
      name = "--out";
    }
    if (target == nullptr || (arg.size() > name.size() && arg[name.size()] != '=')) {
      return UsageError("unknown argument '" + std::string(arg) + "'");
    }
    if (arg.size() > name.size()) {
      *target = std::string(arg.substr(name.size() + 1));
    } else if (i + 1 < argc) {
      *target = argv[++i];
    } else {
      return UsageError(std::string(name) + " needs a file name");
    }
    if (target->empty()) return UsageError(std::string(name) + " needs a file name");
  }
  if (in_path.empty()) return UsageError("missing --in CASES.json");
  if (out_path.empty()) return UsageError("missing --out RESULTS.json");

  std::string text;
  std::string error;
  if (!ReadFile(in_path, &text, &error)) return Error(error);
  absl::StatusOr<policy::AclCaseFile> cases = policy::ParseAclCaseFile(text);
  if (!cases.ok()) return Error(in_path + ": " + std::string(cases.status().message()));
  const std::string results = policy::EvaluateAclCaseFileToResultsJson(*cases);
  if (!WriteFile(out_path, results, &error)) return Error(error);
  return 0;
}

}  // namespace

int PolicyEvalCases(int argc, char** argv) {
  // The border of the command: nothing may escape as an exception.
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    return Error(std::string("internal error: ") + e.what());
  } catch (...) {
    return Error("internal error");
  }
}

}  // namespace orb::orbctl
