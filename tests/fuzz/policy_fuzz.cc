// Fuzz target: loading policy text (policy::CompilePolicyText).
//
// The input is the text of a policy file. Whatever it says, the loader must:
//   - return either a policy or at least one error, never both nor neither,
//     and give the same answer when asked twice;
//   - give every error a message and a line inside the text;
//   - never put a secret of the text (a bearer token hash, a ticket key)
//     into an error message;
//   - for a policy it accepts: accept it again when it is written back out
//     (TextFormat of CompiledPolicy::source()), and answer Authenticate()
//     for any credential with an identity or UNAUTHENTICATED; and check
//     it against a served type (CheckAgainstServed): at most 50 findings,
//     each with a message and a line inside the text.
// Relative key file paths resolve in an empty folder made for the run.
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "orb/v1/policy.pb.h"
#include "orb/policy/authn.h"
#include "orb/policy/policy_loader.h"
#include "orb/policy/served_check.h"
#include "tests/fuzz/fuzz_input.h"

namespace orb::fuzz {
namespace {

const std::string& EmptyBaseDir() {
  static const std::string* const dir = [] {
    std::string pattern = "/tmp/orb-policy-fuzz-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) Finding("cannot make a temporary folder");
    return new std::string(pattern);
  }();
  return *dir;
}

// The secrets a text names, found by parsing it leniently (errors ignored).
std::vector<std::string> SecretsIn(const std::string& text) {
  std::vector<std::string> secrets;
  orb::v1::Policy policy;
  google::protobuf::TextFormat::Parser parser;
  parser.AllowPartialMessage(true);
  parser.AllowUnknownField(true);
  parser.AllowUnknownExtension(true);
  class Quiet : public google::protobuf::io::ErrorCollector {
    void AddError(int, int, const std::string&) override {}
  } quiet;
  parser.RecordErrorsTo(&quiet);
  if (!parser.ParseFromString(text, &policy)) return secrets;
  // Only values that look like a hash or key: 16+ hex digits. Shorter or
  // wordy values can be part of a message's own text by coincidence (the
  // fuzzer once copied words of a message into hmac_key_hex; the message
  // then rightly "contained" them).
  const auto add = [&](const std::string& s) {
    if (s.size() >= 16 && s.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos) {
      secrets.push_back(s);
    }
  };
  for (const auto& token : policy.authentication().bearer_token()) add(token.sha256());
  add(policy.authentication().tickets().hmac_key_hex());
  return secrets;
}

void CheckErrors(const std::string& text, const policy::LoadResult& result) {
  const int lines = 1 + static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  const std::vector<std::string> secrets = SecretsIn(text);
  for (const policy::PolicyError& e : result.errors) {
    if (e.message.empty()) Finding("an error without a message");
    if (e.line < 0 || e.line > lines + 1) {
      Finding(absl::StrCat("error line ", e.line, " outside the text's ", lines, " lines: ",
                           e.message));
    }
    for (const std::string& secret : secrets) {
      if (absl::StrContains(e.ToString(), secret)) {
        Finding(absl::StrCat("an error message contains a secret of the policy: ", e.message));
      }
    }
  }
}

void CheckAuthenticator(const policy::CompiledPolicy& compiled, FuzzInput& in) {
  const std::vector<std::string> schemes = {"Bearer ", "Ticket ", "bearer ", "", "Basic "};
  for (int i = 0; i < 3; ++i) {
    policy::CallCredentials credentials;
    credentials.authorization = in.Pick(schemes) + in.Bytes(96);
    absl::StatusOr<policy::Identity> identity =
        compiled.authenticator().Authenticate(credentials, absl::FromUnixSeconds(1700000000));
    if (!identity.ok() && identity.status().code() != absl::StatusCode::kUnauthenticated) {
      Finding(absl::StrCat("Authenticate answered ", identity.status().ToString()));
    }
  }
}

// The served-types check on an accepted policy, against a served type
// whose name and members the corpus policies use.
void CheckServedFit(const std::string& text) {
  static const orb::v1::ServedTypes* const served = [] {
    auto* s = new orb::v1::ServedTypes();
    orb::v1::ServedType* type = s->add_type();
    type->set_name("demo.Blog");
    for (const char* name : {"title", "entries", "add_entry", "_secret"}) {
      orb::v1::ServedMember* m = type->add_member();
      m->set_name(name);
      m->set_view("instance");
      m->set_kind("attribute");
    }
    return s;
  }();
  const int lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
  const std::vector<orb::policy::PolicyError> found =
      orb::policy::CheckAgainstServed(text, "fuzz.textproto", *served);
  if (found.size() > 50) Finding(absl::StrCat(found.size(), " findings: more than the bound"));
  for (const orb::policy::PolicyError& f : found) {
    if (f.message.empty()) Finding("a served-types finding without a message");
    if (f.line < 1 || f.line > lines) {
      Finding(absl::StrCat("a served-types finding at line ", f.line, " of ", lines, ": ",
                           f.message));
    }
  }
}

}  // namespace
}  // namespace orb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace orb::fuzz;
  // Policy files are small; past this the loader's cost is all the fuzzer
  // would measure.
  if (size > 64 * 1024) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  orb::policy::LoadResult first = orb::policy::CompilePolicyText(text, "fuzz.textproto", EmptyBaseDir());
  if ((first.policy == nullptr) == first.errors.empty()) {
    Finding(absl::StrCat("CompilePolicyText returned ", first.policy != nullptr ? "a policy" : "no policy",
                         " and ", first.errors.size(), " errors"));
  }
  CheckErrors(text, first);

  orb::policy::LoadResult second = orb::policy::CompilePolicyText(text, "fuzz.textproto", EmptyBaseDir());
  if ((second.policy != nullptr) != (first.policy != nullptr) ||
      second.errors.size() != first.errors.size()) {
    Finding("the same text compiled twice gave different answers");
  }
  for (size_t i = 0; i < first.errors.size(); ++i) {
    if (first.errors[i].ToString() != second.errors[i].ToString()) {
      Finding(absl::StrCat("the same text compiled twice gave different errors: ",
                           first.errors[i].ToString(), " / ", second.errors[i].ToString()));
    }
  }
  if (first.policy == nullptr) return 0;

  std::string written;
  if (!google::protobuf::TextFormat::PrintToString(first.policy->source(), &written)) {
    Finding("cannot print an accepted policy");
  }
  orb::policy::LoadResult again =
      orb::policy::CompilePolicyText(written, "written.textproto", EmptyBaseDir());
  if (again.policy == nullptr) {
    Finding(absl::StrCat("an accepted policy, written back out, is refused: ",
                         again.errors.front().ToString(), "\n", written));
  }
  FuzzInput in(data, size);
  CheckAuthenticator(*first.policy, in);
  CheckServedFit(text);
  return 0;
}
