// orbctl policy check | mint-ticket | hash-token: offline tools for policy
// files and credentials.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <optional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/orbctl/commands.h"
#include "client/orbctl/read_file.h"
#include "orb/policy/authn.h"
#include "orb/policy/policy_loader.h"
#include "orb/policy/served_check.h"

namespace orb::orbctl {
namespace {

constexpr char kCheckUsage[] =
    "usage: orbctl policy check [--types=TYPES.json [--strict]] FILE [FILE...]\n"
    "\n"
    "Loads and validates policy files (text-format orb.v1.Policy, see\n"
    "docs/policy.md) exactly as orbd does. Prints OK for a valid file, or every\n"
    "problem found as FILE:LINE: MESSAGE. Relative key files are resolved\n"
    "against each policy file's folder.\n"
    "\n"
    "  --types=FILE  also check each valid file against the served types that\n"
    "                `orbd --dump-types=FILE` wrote, as orbd does at start:\n"
    "                each finding printed as FILE:LINE: warning: MESSAGE\n"
    "  --strict      a finding makes the file invalid (orbd --strict-policy)\n"
    "\n"
    "Exit status: 0 all valid, 1 a file is invalid or unreadable, 2 usage error.\n";

constexpr char kMintTicketUsage[] =
    "usage: orbctl policy mint-ticket (--key-file FILE | --key-hex HEX) --userid USERID\n"
    "                                 [--ttl SECONDS]\n"
    "\n"
    "Prints a signed, expiring ticket for USERID, to be sent as the metadata\n"
    "'authorization: Ticket <ticket>'. The key is the policy's ticket key\n"
    "(authentication.tickets): lower-case hex, at least 32 bytes.\n"
    "\n"
    "  --key-file FILE  read the key (hex) from FILE; preferred, since a key on\n"
    "                   the command line is visible to other local users\n"
    "  --key-hex HEX    the key itself, as hex\n"
    "  --userid USERID  the user the ticket names\n"
    "  --ttl SECONDS    lifetime from now (default 3600); a server refuses tickets\n"
    "                   that live longer than its tickets.max_lifetime_seconds\n"
    "\n"
    "Exit status: 0 printed, 1 unusable key or key file, 2 usage error.\n";

constexpr char kHashTokenUsage[] =
    "usage: orbctl policy hash-token [TOKEN]\n"
    "       orbctl policy hash-token < FILE\n"
    "\n"
    "Prints the lower-case hex SHA-256 of a bearer token, the value a policy\n"
    "file stores in authentication.bearer_token.sha256. Without TOKEN the token\n"
    "is read from standard input (one trailing newline is ignored), which keeps\n"
    "it out of the shell history. Use '--' before a token that starts with '-'.\n"
    "\n"
    "Exit status: 0 printed, 1 empty token, 2 usage error.\n";

constexpr uint64_t kMaxTtlSeconds = 366 * 24 * 60 * 60;

bool IsHelp(absl::string_view arg) { return arg == "--help" || arg == "-h"; }

int Usage(absl::string_view command, absl::string_view usage, const std::string& message) {
  std::fprintf(stderr, "orbctl policy %s: %s\n\n%s", std::string(command).c_str(),
               message.c_str(), std::string(usage).c_str());
  return 2;
}

int Fail(absl::string_view command, const std::string& message) {
  std::fprintf(stderr, "orbctl policy %s: %s\n", std::string(command).c_str(), message.c_str());
  return 1;
}


std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Splits "--name=value" or "--name value"; returns false on a missing value.
bool TakeValue(int argc, char** argv, int* i, absl::string_view name, std::string* value,
               bool* matched) {
  absl::string_view arg = argv[*i];
  *matched = false;
  if (arg == name) {
    *matched = true;
    if (*i + 1 >= argc) return false;
    *value = argv[++*i];
    return true;
  }
  if (absl::StartsWith(arg, name) && arg.size() > name.size() && arg[name.size()] == '=') {
    *matched = true;
    *value = std::string(arg.substr(name.size() + 1));
    return true;
  }
  return true;
}

int RunCheck(int argc, char** argv) {
  std::vector<std::string> files;
  std::string types_file;
  bool has_types = false;
  bool strict = false;
  bool options_done = false;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (!options_done && IsHelp(arg)) {
      std::fputs(kCheckUsage, stdout);
      return 0;
    }
    if (!options_done && arg == "--") {
      options_done = true;
      continue;
    }
    if (!options_done && arg == "--strict") {
      strict = true;
      continue;
    }
    if (!options_done) {
      bool matched = false;
      if (!TakeValue(argc, argv, &i, "--types", &types_file, &matched)) {
        return Usage("check", kCheckUsage, "--types needs a file");
      }
      if (matched) {
        has_types = true;
        continue;
      }
    }
    if (!options_done && absl::StartsWith(arg, "-") && arg != "-") {
      return Usage("check", kCheckUsage, absl::StrCat("unknown option '", arg, "'"));
    }
    files.emplace_back(arg);
  }
  if (files.empty()) return Usage("check", kCheckUsage, "no policy file given");
  if (strict && !has_types) return Usage("check", kCheckUsage, "--strict needs --types");
  std::optional<v1::ServedTypes> served;
  if (has_types) {
    std::string json;
    std::string error;
    if (!ReadFile(types_file, &json, &error)) {
      Fail("check", error);
      return 1;
    }
    absl::StatusOr<v1::ServedTypes> parsed = policy::ServedTypesFromJson(json);
    if (!parsed.ok()) {
      Fail("check", absl::StrCat(types_file, ": ", parsed.status().message()));
      return 1;
    }
    served = *std::move(parsed);
  }

  int status = 0;
  for (const std::string& file : files) {
    std::string text;
    std::string error;
    if (!ReadFile(file, &text, &error)) {
      Fail("check", error);
      status = 1;
      continue;
    }
    policy::LoadResult result = policy::CompilePolicyText(text, file, DirName(file));
    if (result.errors.empty() && served.has_value()) {
      const std::vector<policy::PolicyError> found =
          policy::CheckAgainstServed(text, file, *served);
      for (const policy::PolicyError& f : found) {
        std::printf("%s:%d: %s%s\n", f.file.c_str(), f.line, strict ? "" : "warning: ",
                    f.message.c_str());
      }
      if (strict && !found.empty()) {
        status = 1;
        continue;
      }
    }
    if (result.errors.empty()) {
      if (files.size() == 1) {
        std::printf("OK\n");
      } else {
        std::printf("%s: OK\n", file.c_str());
      }
      continue;
    }
    status = 1;
    for (const policy::PolicyError& e : result.errors) {
      std::printf("%s\n", e.ToString().c_str());
    }
  }
  std::fflush(stdout);
  return status;
}

int RunMintTicket(int argc, char** argv) {
  std::string key_hex, key_file, userid, ttl_text;
  bool has_key_hex = false, has_key_file = false, has_userid = false, has_ttl = false;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (IsHelp(arg)) {
      std::fputs(kMintTicketUsage, stdout);
      return 0;
    }
    struct Option {
      absl::string_view name;
      std::string* value;
      bool* seen;
    } options[] = {{"--key-hex", &key_hex, &has_key_hex},
                   {"--key-file", &key_file, &has_key_file},
                   {"--userid", &userid, &has_userid},
                   {"--ttl", &ttl_text, &has_ttl}};
    bool matched = false;
    for (const Option& option : options) {
      if (!TakeValue(argc, argv, &i, option.name, option.value, &matched)) {
        return Usage("mint-ticket", kMintTicketUsage,
                     absl::StrCat(option.name, " needs a value"));
      }
      if (matched) {
        if (*option.seen) {
          return Usage("mint-ticket", kMintTicketUsage,
                       absl::StrCat(option.name, " given twice"));
        }
        *option.seen = true;
        break;
      }
    }
    if (!matched) {
      // Only an option's name is echoed: a bare argument may be a key typed
      // in the wrong place.
      if (absl::StartsWith(arg, "--")) {
        return Usage("mint-ticket", kMintTicketUsage,
                     absl::StrCat("unknown option '", arg.substr(0, arg.find('=')), "'"));
      }
      return Usage("mint-ticket", kMintTicketUsage,
                   absl::StrCat("unexpected argument at position ", i));
    }
  }
  if (has_key_hex == has_key_file) {
    return Usage("mint-ticket", kMintTicketUsage, "give exactly one of --key-file and --key-hex");
  }
  if (!has_userid || userid.empty()) {
    return Usage("mint-ticket", kMintTicketUsage, "--userid is required");
  }
  if (absl::StartsWith(userid, "system.")) {
    return Usage("mint-ticket", kMintTicketUsage,
                 "userids starting with 'system.' are reserved; servers refuse such tickets");
  }
  uint64_t ttl = 3600;
  if (has_ttl && (!absl::SimpleAtoi(ttl_text, &ttl) || ttl == 0 || ttl > kMaxTtlSeconds ||
                  ttl_text.find_first_not_of("0123456789") != std::string::npos)) {
    return Usage("mint-ticket", kMintTicketUsage,
                 absl::StrCat("--ttl must be a whole number of seconds, 1..", kMaxTtlSeconds));
  }

  std::string source = "--key-hex";
  if (has_key_file) {
    std::string error;
    if (!ReadFile(key_file, &key_hex, &error)) return Fail("mint-ticket", error);
    key_hex = std::string(absl::StripAsciiWhitespace(key_hex));
    source = absl::StrCat("the key file '", key_file, "'");
  }
  std::string key;
  if (key_hex.empty() || !policy::DecodeLowerHex(key_hex, &key)) {
    return Fail("mint-ticket", absl::StrCat(source, " must hold the key as lower-case hex "
                                            "digits (e.g. 'openssl rand -hex 32')"));
  }
  if (key.size() < policy::kMinTicketKeyBytes) {
    return Fail("mint-ticket", absl::StrCat("the key from ", source, " is too short: ",
                                            key.size(), " bytes; tickets need at least ",
                                            policy::kMinTicketKeyBytes, " bytes"));
  }
  const absl::Time expiry = absl::Now() + absl::Seconds(static_cast<int64_t>(ttl));
  const std::string ticket = policy::MintTicket(key, userid, expiry);
  if (ticket.empty()) return Fail("mint-ticket", "cannot compute the ticket signature");
  std::printf("%s\n", ticket.c_str());
  std::fflush(stdout);
  return 0;
}

int RunHashToken(int argc, char** argv) {
  std::vector<std::string> tokens;
  bool options_done = false;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (!options_done && IsHelp(arg)) {
      std::fputs(kHashTokenUsage, stdout);
      return 0;
    }
    if (!options_done && arg == "--") {
      options_done = true;
      continue;
    }
    if (!options_done && absl::StartsWith(arg, "-")) {
      // Not echoed: it may be the token itself.
      return Usage("hash-token", kHashTokenUsage,
                   "unknown option (put '--' before a token that starts with '-')");
    }
    tokens.emplace_back(arg);
  }
  if (tokens.size() > 1) {
    return Usage("hash-token", kHashTokenUsage, "give at most one token");
  }
  std::string token;
  if (tokens.empty()) {
    std::ostringstream buffer;
    buffer << std::cin.rdbuf();
    token = buffer.str();
    if (absl::EndsWith(token, "\n")) token.pop_back();
    if (absl::EndsWith(token, "\r")) token.pop_back();
  } else {
    token = tokens[0];
  }
  if (token.empty()) return Fail("hash-token", "the token is empty");
  const std::string hash = policy::Sha256Hex(token);
  if (hash.empty()) return Fail("hash-token", "cannot compute SHA-256");
  std::printf("%s\n", hash.c_str());
  std::fflush(stdout);
  return 0;
}

// The border of each command: nothing escapes as an exception.
template <typename F>
int Guarded(absl::string_view command, F run) {
  try {
    return run();
  } catch (const std::exception& e) {
    return Fail(command, std::string("internal error: ") + e.what());
  } catch (...) {
    return Fail(command, "internal error");
  }
}

}  // namespace

int PolicyCheck(int argc, char** argv) {
  return Guarded("check", [&] { return RunCheck(argc, argv); });
}

int PolicyMintTicket(int argc, char** argv) {
  return Guarded("mint-ticket", [&] { return RunMintTicket(argc, argv); });
}

int PolicyHashToken(int argc, char** argv) {
  return Guarded("hash-token", [&] { return RunHashToken(argc, argv); });
}

}  // namespace orb::orbctl
