// orbctl: the orb command-line tool. `policy ...` is offline; every other
// command talks to a broker (remote_commands.cc).
#include <cstdio>
#include <cstring>
#include <string>

#include "client/orbctl/commands.h"

namespace {

constexpr char kPolicyUsage[] =
    "usage: orbctl policy <command> [args]\n"
    "\n"
    "Offline policy tools:\n"
    "  policy check FILE                 validate a policy file (exit 0 OK, 1 errors)\n"
    "  policy eval-cases --in F --out G  evaluate a Pyramid ACL case file\n"
    "  policy mint-ticket ...            create a signed, expiring ticket\n"
    "  policy hash-token [TOKEN]         print the SHA-256 a policy stores for a token\n"
    "\n"
    "Run 'orbctl policy <command> --help' for a command's options.\n";

int PolicyMain(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::fputs(kPolicyUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::string sub = argv[1];
  if (sub == "check") return orb::orbctl::PolicyCheck(argc - 1, argv + 1);
  if (sub == "eval-cases") return orb::orbctl::PolicyEvalCases(argc - 1, argv + 1);
  if (sub == "mint-ticket") return orb::orbctl::PolicyMintTicket(argc - 1, argv + 1);
  if (sub == "hash-token") return orb::orbctl::PolicyHashToken(argc - 1, argv + 1);
  std::fprintf(stderr, "orbctl: unknown policy command '%s'\n\n%s", sub.c_str(), kPolicyUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "policy") == 0) return PolicyMain(argc - 1, argv + 1);
  return orb::orbctl::RemoteMain(argc, argv);
}
