#include "orb/policy/policy_loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "policy/edit_distance.h"

namespace orb::policy {

std::string PolicyError::ToString() const {
  if (line > 0) return absl::StrCat(file, ":", line, ": ", message);
  return absl::StrCat(file, ": ", message);
}

const TypeRules* CompiledPolicy::FindType(absl::string_view type_name) const {
  auto it = types_.find(type_name);
  return it == types_.end() ? nullptr : &it->second;
}

AclPtr CompiledPolicy::FindPathAcl(absl::string_view path) const {
  auto it = path_acls_.find(path);
  return it == path_acls_.end() ? nullptr : it->second;
}

namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::TextFormat;

constexpr absl::string_view kAllPermissionsName = "ALL_PERMISSIONS";
constexpr absl::string_view kNoPermissionRequiredName = "NO_PERMISSION_REQUIRED";
constexpr absl::string_view kSystemPrefix = "system.";
constexpr uint32_t kMaxTicketLifetimeSeconds = 366 * 24 * 60 * 60;

// Upper bounds of `limits` (inclusive). Zero always means "the default".
struct LimitBound {
  absl::string_view field;
  uint64_t min;
  uint64_t max;
};
constexpr LimitBound kLimitBounds[] = {
    {"max_handles_per_session", 1, 10'000'000},
    {"max_sessions_per_identity", 1, 1'000'000},
    {"max_value_depth", 1, 64},
    {"max_value_elements", 1, 100'000'000},
    {"max_message_bytes", 1024, 2'147'483'647},
    {"session_ttl_seconds", 1, 7 * 24 * 60 * 60},
    {"max_member_calls_per_identity", 1, 1'000'000},
    {"max_batch_operations", 1, 10'000},
    {"max_stream_operations_in_flight", 1, 10'000},
    {"request_id_window_seconds", 1, 24 * 60 * 60},
    {"max_request_ids_per_session", 1, 1'000'000},
    {"max_watches_per_session", 1, 10'000},
    {"max_names_per_watch", 1, 10'000},
};

// Where a message sits in the policy text: its parse-info subtree and the
// 1-based line it starts on (0 when unknown, e.g. a message built in code).
class Where {
 public:
  Where(const Descriptor* descriptor, const TextFormat::ParseInfoTree* tree, int line)
      : descriptor_(descriptor), tree_(tree), line_(line) {}

  int line() const { return line_; }

  // The 1-based line of `field` (its `index`-th value when repeated), or the
  // message's own line when the field was not written.
  int Line(absl::string_view field, int index = -1) const {
    const int found = FieldLine(field, index);
    return found > 0 ? found : line_;
  }

  // Whether `field` (its `index`-th value) appears in the text, even with a
  // default value such as "".
  bool Written(absl::string_view field, int index = -1) const {
    return FieldLine(field, index) > 0;
  }

  Where Nested(absl::string_view field, int index = -1) const {
    const FieldDescriptor* f = Field(field);
    index = Index(f, index);
    const TextFormat::ParseInfoTree* nested =
        tree_ == nullptr ? nullptr : tree_->GetTreeForNested(f, index);
    return Where(f->message_type(), nested, Line(field, index));
  }

 private:
  const FieldDescriptor* Field(absl::string_view name) const {
    const FieldDescriptor* f = descriptor_->FindFieldByName(std::string(name));
    return f;
  }
  static int Index(const FieldDescriptor* f, int index) {
    if (!f->is_repeated()) return -1;
    return index < 0 ? 0 : index;
  }
  int FieldLine(absl::string_view field, int index) const {
    if (tree_ == nullptr) return 0;
    const FieldDescriptor* f = Field(field);
    if (f == nullptr) return 0;
    const TextFormat::ParseLocation loc = tree_->GetLocation(f, Index(f, index));
    return loc.line < 0 ? 0 : loc.line + 1;
  }

  const Descriptor* descriptor_;
  const TextFormat::ParseInfoTree* tree_;
  int line_;
};

// Collects problems: a line and a message each.
class Problems {
 public:
  explicit Problems(std::string prefix = "") : prefix_(std::move(prefix)) {}
  void Add(int line, std::string message) {
    items_.push_back({line, prefix_.empty() ? std::move(message) : prefix_ + message});
  }
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  const std::vector<std::pair<int, std::string>>& items() const { return items_; }

 private:
  std::string prefix_;
  std::vector<std::pair<int, std::string>> items_;
};

std::string Quote(absl::string_view s) { return absl::StrCat("'", absl::CHexEscape(s), "'"); }

// Messages quote what the file says where it says something unexpected (an
// unknown field name, a token the parser did not expect), and a typo can
// glue a key or hash into that text, e.g. `sha256cb8f...` with its colon
// and quotes missing. Every run of 16 or more hex digits is cut out of
// messages, so no such slip puts a secret into a log line.
std::string RedactHexRuns(absl::string_view message) {
  constexpr size_t kMinRun = 16;
  std::string out;
  size_t i = 0;
  while (i < message.size()) {
    size_t j = i;
    while (j < message.size() && absl::ascii_isxdigit(message[j])) ++j;
    if (j - i >= kMinRun) {
      out += "<hex digits withheld>";
    } else {
      absl::StrAppend(&out, message.substr(i, j - i));
    }
    if (j < message.size()) out.push_back(message[j]);
    i = j + 1;
  }
  return out;
}

bool IsIdentifier(absl::string_view name) {
  if (name.empty()) return false;
  if (!absl::ascii_isalpha(name[0]) && name[0] != '_') return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '_') return false;
  }
  return true;
}

bool HasSpaceOrControl(absl::string_view s) {
  for (char c : s) {
    if (absl::ascii_isspace(c) || absl::ascii_iscntrl(c)) return true;
  }
  return false;
}

bool IsWildcard(absl::string_view name) {
  return name == kWildcardAny || name == kWildcardAnd || name == kWildcardOr;
}

// A permission name as written in an ACE, a lock, an entry or
// default_permission. Returns false (after reporting) when unusable.
bool CheckPermissionName(absl::string_view name, absl::string_view what, int line,
                         Problems& problems) {
  if (name.empty()) {
    problems.Add(line, absl::StrCat("empty permission name in ", what,
                                    ": write the permission, e.g. \"view\""));
    return false;
  }
  if (name == kAllPermissionsName) {
    problems.Add(line, absl::StrCat(
                           "'ALL_PERMISSIONS' is reserved and cannot be used as a permission "
                           "name in ",
                           what,
                           (what == "an ACE" ? ": write all_permissions: true instead"
                                             : ": name the permission the operation needs")));
    return false;
  }
  if (name == kNoPermissionRequiredName) {
    problems.Add(line, absl::StrCat("'NO_PERMISSION_REQUIRED' is reserved and cannot be used as "
                                    "a permission name in ",
                                    what,
                                    (what == "an ACE"
                                         ? ": an ACE cannot opt out of permissions"
                                         : ": write lock { no_permission_required: true }")));
    return false;
  }
  if (HasSpaceOrControl(name)) {
    problems.Add(line, absl::StrCat("permission name ", Quote(name), " in ", what,
                                    " contains white space or control characters: remove them"));
    return false;
  }
  return true;
}

bool CheckPrincipal(absl::string_view principal, int line, Problems& problems) {
  if (principal.empty()) {
    problems.Add(line,
                 "ACE has an empty principal: name a userid, a group (e.g. \"group:editors\"), "
                 "system.Everyone or system.Authenticated");
    return false;
  }
  if (absl::StartsWith(principal, kSystemPrefix) && principal != kEveryone &&
      principal != kAuthenticated) {
    problems.Add(line, absl::StrCat("unknown system principal ", Quote(principal),
                                    ": the system principals are system.Everyone and "
                                    "system.Authenticated"));
    return false;
  }
  if (HasSpaceOrControl(principal)) {
    problems.Add(line, absl::StrCat("principal ", Quote(principal),
                                    " contains white space or control characters: remove them"));
    return false;
  }
  return true;
}

// Validates one ACE and, when valid, returns its AceSpec.
std::optional<AceSpec> CompileAce(const orb::v1::Ace& ace, const Where& where,
                                  Problems& problems) {
  const size_t before = problems.size();
  const bool permission_given = !ace.permission().empty() || where.Written("permission");
  std::vector<absl::string_view> forms;
  if (permission_given) forms.push_back("permission");
  if (ace.permissions_size() > 0) forms.push_back("permissions");
  if (ace.all_permissions()) forms.push_back("all_permissions");
  if (ace.permissions_empty()) forms.push_back("permissions_empty");

  if (ace.deny_all()) {
    std::vector<absl::string_view> extra;
    if (ace.action() != orb::v1::Ace::ACTION_UNSPECIFIED || where.Written("action")) {
      extra.push_back("action");
    }
    if (!ace.principal().empty() || where.Written("principal")) extra.push_back("principal");
    extra.insert(extra.end(), forms.begin(), forms.end());
    if (!extra.empty()) {
      problems.Add(where.Line("deny_all"),
                   absl::StrCat("deny_all: true is a whole ACE, (Deny, system.Everyone, "
                                "ALL_PERMISSIONS); remove ",
                                absl::StrJoin(extra, " and "),
                                " or write the ACE without deny_all"));
      return std::nullopt;
    }
    return AceSpec::DenyAll();
  }

  AceSpec spec;
  switch (ace.action()) {
    case orb::v1::Ace::ALLOW:
      spec.action = AceAction::kAllow;
      break;
    case orb::v1::Ace::DENY:
      spec.action = AceAction::kDeny;
      break;
    case orb::v1::Ace::ACTION_UNSPECIFIED:
      problems.Add(where.Line("action"),
                   "ACE has no action: add action: ALLOW or action: DENY (or write the whole "
                   "ACE as deny_all: true)");
      break;
    default:
      problems.Add(where.Line("action"),
                   absl::StrCat("ACE action ", static_cast<int>(ace.action()),
                                " is not valid: write action: ALLOW or action: DENY"));
      break;
  }
  CheckPrincipal(ace.principal(), where.Line("principal"), problems);
  spec.principal = ace.principal();

  if (forms.empty()) {
    problems.Add(where.line(),
                 "ACE names no permission: give exactly one of permission: \"p\", "
                 "permissions: [\"p\", ...], all_permissions: true or permissions_empty: true");
  } else if (forms.size() > 1) {
    problems.Add(where.Line(forms[1]),
                 absl::StrCat("ACE gives ", absl::StrJoin(forms, " and "),
                              ": give exactly one of permission, permissions, all_permissions "
                              "or permissions_empty"));
  } else if (forms[0] == "permission") {
    spec.form = PermissionForm::kString;
    if (CheckPermissionName(ace.permission(), "an ACE", where.Line("permission"), problems)) {
      spec.permissions = {ace.permission()};
    }
  } else if (forms[0] == "permissions") {
    spec.form = PermissionForm::kList;
    for (int i = 0; i < ace.permissions_size(); ++i) {
      CheckPermissionName(ace.permissions(i), "an ACE", where.Line("permissions", i), problems);
      spec.permissions.push_back(ace.permissions(i));
    }
  } else if (forms[0] == "all_permissions") {
    spec.form = PermissionForm::kAllPermissions;
  } else {
    spec.form = PermissionForm::kList;  // the empty sequence: matches nothing
  }
  if (problems.size() != before) return std::nullopt;
  return spec;
}

std::optional<std::vector<AceSpec>> CompileAces(const orb::v1::Acl& acl, const Where& where,
                                                Problems& problems) {
  std::vector<AceSpec> specs;
  bool ok = true;
  for (int i = 0; i < acl.ace_size(); ++i) {
    std::optional<AceSpec> spec = CompileAce(acl.ace(i), where.Nested("ace", i), problems);
    if (spec) {
      specs.push_back(std::move(*spec));
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return specs;
}

// Turns the parser's messages into ones that say what to fix.
class SyntaxErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  explicit SyntaxErrorCollector(Problems* problems) : problems_(problems) {}

  void AddError(int line, int column, const std::string& message) override {
    Report(line, column, message);
  }
  // With unknown fields allowed (so that all of them are found in one pass),
  // the parser reports each as a warning; every warning is an error here.
  void AddWarning(int line, int column, const std::string& message) override {
    Report(line, column, message);
  }

 private:
  void Report(int line, int column, const std::string& message) {
    problems_->Add(line + 1, Rewrite(column, message));
  }

  static std::string Rewrite(int column, const std::string& message) {
    // Message type "orb.v1.User" has no field named "bar".
    constexpr absl::string_view kUnknownField = "Message type \"";
    if (absl::StartsWith(message, kUnknownField) &&
        absl::StrContains(message, "\" has no field named \"")) {
      std::vector<std::string> parts = absl::StrSplit(message, '"');
      if (parts.size() >= 4) {
        const std::string& type = parts[1];
        const std::string& field = parts[3];
        return absl::StrCat("unknown field ", Quote(field), " in ", ShortName(type),
                            KnownFields(type, field));
      }
    }
    // Unknown enumeration value of "FOO" for field "action".
    constexpr absl::string_view kUnknownEnum = "Unknown enumeration value of \"";
    if (absl::StartsWith(message, kUnknownEnum)) {
      std::vector<std::string> parts = absl::StrSplit(message, '"');
      if (parts.size() >= 4) {
        return absl::StrCat("unknown value ", Quote(parts[1]), " for ", parts[3],
                            EnumValues(parts[3], parts[1]));
      }
    }
    if (absl::EndsWith(message, "got: ") || absl::EndsWith(message, "found \"\".")) {
      return absl::StrCat("syntax error at column ", column + 1,
                          ": unexpected end of file (is a closing '}' missing?)");
    }
    return absl::StrCat("syntax error at column ", column + 1, ": ", message);
  }

  static std::string ShortName(absl::string_view full_name) {
    absl::ConsumePrefix(&full_name, "orb.v1.");
    return std::string(full_name);
  }

  // ": did you mean 'x'? T" when one of `names` is close to `written`, else
  // ": t" (`then` with its first letter in lower case).
  static std::string DidYouMean(absl::string_view written, const std::vector<std::string>& names,
                                std::string then) {
    const std::optional<std::string> close = ClosestMatch(written, names);
    if (!close.has_value()) return absl::StrCat(": ", then);
    then[0] = absl::ascii_toupper(then[0]);
    return absl::StrCat(": did you mean ", Quote(*close), "? ", then);
  }

  static std::string KnownFields(const std::string& type, absl::string_view written) {
    const Descriptor* d =
        google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(type);
    if (d == nullptr || d->field_count() == 0) return "";
    std::vector<std::string> names;
    for (int i = 0; i < d->field_count(); ++i) names.push_back(d->field(i)->name());
    return DidYouMean(written, names,
                      absl::StrCat("the fields of ", ShortName(type), " are ",
                                   absl::StrJoin(names, ", "), " (see docs/policy.md)"));
  }

  // The values that may be written for the enum field called `field` in the
  // policy schema. The *_UNSPECIFIED values are the proto3 zero values, which
  // mean "not written": none is a valid choice, so none is offered.
  static std::string EnumValues(const std::string& field, absl::string_view written) {
    const google::protobuf::FileDescriptor* file = orb::v1::Policy::descriptor()->file();
    std::vector<const Descriptor*> pending;
    for (int i = 0; i < file->message_type_count(); ++i) pending.push_back(file->message_type(i));
    while (!pending.empty()) {
      const Descriptor* d = pending.back();
      pending.pop_back();
      for (int i = 0; i < d->nested_type_count(); ++i) pending.push_back(d->nested_type(i));
      const FieldDescriptor* f = d->FindFieldByName(field);
      if (f == nullptr || f->enum_type() == nullptr) continue;
      std::vector<std::string> values;
      for (int i = 0; i < f->enum_type()->value_count(); ++i) {
        const std::string& name = f->enum_type()->value(i)->name();
        if (!absl::EndsWith(name, "_UNSPECIFIED")) values.push_back(name);
      }
      return DidYouMean(written, values, absl::StrCat("write one of ", absl::StrJoin(values, ", ")));
    }
    return "";
  }

  Problems* problems_;
};

std::string JoinPath(absl::string_view base_dir, absl::string_view path) {
  if (absl::StartsWith(path, "/") || base_dir.empty()) return std::string(path);
  return absl::StrCat(base_dir, absl::EndsWith(base_dir, "/") ? "" : "/", path);
}

// Reads a whole file; on failure returns the reason (strerror wording).
// With `secret_file` the path must be a regular file of at most
// kMaxSecretFileBytes: a key file named /dev/zero, a FIFO or a terminal
// would otherwise make the loader read forever or block.
constexpr size_t kMaxSecretFileBytes = 4096;
absl::StatusOr<std::string> ReadWholeFile(const std::string& path, bool secret_file = false) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (secret_file ? O_NONBLOCK : 0));
  if (fd < 0) return absl::NotFoundError(std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    ::close(fd);
    return absl::NotFoundError("is a directory, not a file");
  }
  if (secret_file && !S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::NotFoundError("is not a regular file");
  }
  std::string data;
  char buffer[8192];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n == 0) break;
    if (secret_file && data.size() + static_cast<size_t>(n > 0 ? n : 0) > kMaxSecretFileBytes) {
      ::close(fd);
      return absl::NotFoundError(
          absl::StrCat("is larger than ", kMaxSecretFileBytes, " bytes; a key file holds one key"));
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return absl::NotFoundError(std::strerror(err));
    }
    data.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return data;
}

std::string DirName(absl::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash == absl::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

}  // namespace

// Validates a parsed policy and builds the CompiledPolicy. One instance per
// compilation; not thread-safe.
class PolicyCompiler {
 public:
  PolicyCompiler(absl::string_view file, absl::string_view base_dir)
      : file_(file), base_dir_(base_dir) {}

  LoadResult Compile(absl::string_view text);

 private:
  void CheckUsers(const Where& root);
  void CheckAuthentication(const Where& root);
  void CheckTickets(const Where& where);
  void CheckMtls(const Where& where);
  void CheckDefaultPermission(const Where& root);
  void CheckTypes(const Where& root);
  void CheckOlp(const orb::v1::ObjectLockProfile& olp, const Where& where);
  void CheckEntry(const orb::v1::OlpEntry& entry, absl::string_view table, const Where& where);
  std::optional<Lock> CompileLock(const orb::v1::Lock& lock, const Where& where);
  void ResolveInherits(const Where& root);
  OlpPtr BuildOlp(int type_index);
  void CheckPathAcls(const Where& root);
  void CheckLimits(const Where& root);
  void CheckAdmin(const Where& root);
  LoadResult Finish();

  const std::string file_;
  const std::string base_dir_;
  Problems problems_;
  orb::v1::Policy policy_;
  std::string resolved_ticket_key_hex_;  // the key, from hex or file
  std::string text_sha256_;
  std::string text_;
  AclPtr admin_acl_;

  absl::flat_hash_map<std::string, int> user_lines_;   // userid -> line
  absl::flat_hash_set<std::string> groups_;            // every group named
  absl::flat_hash_map<std::string, int> type_index_;   // name -> index in policy_.type()
  absl::flat_hash_map<std::string, AclPtr> type_acls_;
  absl::flat_hash_map<std::string, AclPtr> path_acls_;
  // Per type index: its inherit target (-1: none) and the OLP once built.
  std::vector<int> inherit_;
  std::vector<OlpPtr> olps_;
};

LoadResult PolicyCompiler::Compile(absl::string_view text) {
  text_sha256_ = Sha256Hex(text);
  text_ = std::string(text);
  Problems syntax;
  SyntaxErrorCollector collector(&syntax);
  TextFormat::ParseInfoTree tree;
  TextFormat::Parser parser;
  parser.RecordErrorsTo(&collector);
  parser.WriteLocationsTo(&tree);
  parser.AllowUnknownField(true);
  const bool parsed = parser.ParseFromString(std::string(text), &policy_);
  if (!parsed || !syntax.empty()) {
    // The rest of the file was not read (or not all of it was understood):
    // report what the parser found, and nothing that follows from it.
    problems_ = std::move(syntax);
    if (problems_.empty()) problems_.Add(0, "the policy text could not be parsed");
    return Finish();
  }

  const Where root(orb::v1::Policy::descriptor(), &tree, 0);
  CheckUsers(root);
  CheckAuthentication(root);
  CheckDefaultPermission(root);
  CheckTypes(root);
  CheckPathAcls(root);
  CheckLimits(root);
  CheckAdmin(root);
  return Finish();
}

void PolicyCompiler::CheckUsers(const Where& root) {
  for (int i = 0; i < policy_.user_size(); ++i) {
    for (const std::string& group : policy_.user(i).group()) groups_.insert(group);
  }
  for (int i = 0; i < policy_.user_size(); ++i) {
    const orb::v1::User& user = policy_.user(i);
    const Where where = root.Nested("user", i);
    const std::string& userid = user.userid();
    const int line = where.Line("userid");
    if (userid.empty()) {
      problems_.Add(line, "user has an empty userid: write userid: \"<name>\"");
    } else if (absl::StartsWith(userid, kSystemPrefix)) {
      problems_.Add(line, absl::StrCat("userid ", Quote(userid),
                                       " starts with 'system.', which is reserved for "
                                       "system.Everyone and system.Authenticated: rename the user"));
    } else if (HasSpaceOrControl(userid)) {
      problems_.Add(line, absl::StrCat("userid ", Quote(userid),
                                       " contains white space or control characters"));
    } else if (groups_.contains(userid)) {
      problems_.Add(line, absl::StrCat("userid ", Quote(userid),
                                       " is also used as a group name: a principal is either a "
                                       "user or a group; rename one of them"));
    } else if (auto [it, inserted] = user_lines_.emplace(userid, line); !inserted) {
      problems_.Add(line, absl::StrCat("duplicate user ", Quote(userid), " (first declared at line ",
                                       it->second, "): list each user once, with all its groups"));
    }
    absl::flat_hash_set<std::string> seen;
    for (int g = 0; g < user.group_size(); ++g) {
      const std::string& group = user.group(g);
      const int group_line = where.Line("group", g);
      if (group.empty()) {
        problems_.Add(group_line, absl::StrCat("user ", Quote(userid),
                                               " has an empty group name: remove it or name the "
                                               "group, e.g. \"group:editors\""));
      } else if (absl::StartsWith(group, kSystemPrefix)) {
        problems_.Add(group_line,
                      absl::StrCat("group ", Quote(group),
                                   " starts with 'system.': system principals are given by "
                                   "authentication, never by the users table"));
      } else if (HasSpaceOrControl(group)) {
        problems_.Add(group_line, absl::StrCat("group ", Quote(group),
                                               " contains white space or control characters"));
      } else if (!seen.insert(group).second) {
        problems_.Add(group_line, absl::StrCat("group ", Quote(group), " is listed twice for user ",
                                               Quote(userid), ": remove one"));
      }
    }
  }
}

void PolicyCompiler::CheckAuthentication(const Where& root) {
  if (!policy_.has_authentication()) return;
  const orb::v1::Authentication& authn = policy_.authentication();
  const Where where = root.Nested("authentication");

  // Token hash -> (userid, line) of its first appearance.
  absl::flat_hash_map<std::string, std::pair<std::string, int>> hashes;
  for (int i = 0; i < authn.bearer_token_size(); ++i) {
    const orb::v1::BearerToken& token = authn.bearer_token(i);
    const Where t = where.Nested("bearer_token", i);
    if (token.userid().empty()) {
      problems_.Add(t.Line("userid"),
                    "bearer_token has no userid: write userid: \"<a user of the users table>\"");
    } else if (!user_lines_.contains(token.userid())) {
      problems_.Add(t.Line("userid"),
                    absl::StrCat("bearer_token names user ", Quote(token.userid()),
                                 ", which the users table does not declare: add user { userid: ",
                                 "\"", absl::CHexEscape(token.userid()), "\" } or fix the userid"));
    }
    std::string raw;
    if (token.sha256().size() != 64 || !DecodeLowerHex(token.sha256(), &raw)) {
      problems_.Add(t.Line("sha256"),
                    "bearer_token.sha256 must be 64 lower-case hex digits, the SHA-256 of the "
                    "token (print it with 'orbctl policy hash-token'); the token itself never "
                    "goes in a policy file");
      continue;
    }
    auto [it, inserted] = hashes.emplace(token.sha256(), std::make_pair(token.userid(),
                                                                         t.Line("sha256")));
    if (!inserted) {
      problems_.Add(t.Line("sha256"),
                    absl::StrCat("this bearer token hash is already configured at line ",
                                 it->second.second, " (for user ", Quote(it->second.first),
                                 "): one secret is never reused for two purposes; give each "
                                 "user and each use its own token"));
    }
  }

  if (authn.has_tickets()) {
    CheckTickets(where.Nested("tickets"));
    if (!resolved_ticket_key_hex_.empty()) {
      auto same = hashes.find(resolved_ticket_key_hex_);
      if (same != hashes.end()) {
        problems_.Add(where.Line("tickets"),
                      absl::StrCat("the ticket signing key equals the bearer token hash of user ",
                                   Quote(same->second.first), " (line ", same->second.second,
                                   "): anyone who can read token hashes could mint tickets; "
                                   "make a new key (e.g. 'openssl rand -hex 32')"));
      }
      std::string key;
      if (same == hashes.end() && DecodeLowerHex(resolved_ticket_key_hex_, &key)) {
        for (const std::string& form : {key, resolved_ticket_key_hex_}) {
          auto it = hashes.find(Sha256Hex(form));
          if (it != hashes.end()) {
            problems_.Add(where.Line("tickets"),
                          absl::StrCat("the ticket signing key is also configured as the bearer "
                                       "token of user ",
                                       Quote(it->second.first), " (line ", it->second.second,
                                       "): one secret is never reused for two purposes; make a "
                                       "new key (e.g. 'openssl rand -hex 32')"));
            break;
          }
        }
      }
    }
  }
  if (authn.has_mtls()) CheckMtls(where.Nested("mtls"));
}

void PolicyCompiler::CheckTickets(const Where& where) {
  const orb::v1::TicketAuth& tickets = policy_.authentication().tickets();
  const bool has_hex = !tickets.hmac_key_hex().empty() || where.Written("hmac_key_hex");
  const bool has_file = !tickets.hmac_key_file().empty() || where.Written("hmac_key_file");
  if (has_hex && has_file) {
    problems_.Add(where.Line("hmac_key_file"),
                  "tickets gives both hmac_key_hex and hmac_key_file: give exactly one");
  } else if (!has_hex && !has_file) {
    problems_.Add(where.line(),
                  "tickets has no key: give hmac_key_file: \"<path>\" (preferred) or "
                  "hmac_key_hex: \"<64+ lower-case hex digits>\"");
  } else if (has_hex) {
    std::string key;
    if (!DecodeLowerHex(tickets.hmac_key_hex(), &key)) {
      problems_.Add(where.Line("hmac_key_hex"),
                    "tickets.hmac_key_hex must be lower-case hex digits (an even number of "
                    "0-9a-f), e.g. from 'openssl rand -hex 32'");
    } else if (key.size() < kMinTicketKeyBytes) {
      problems_.Add(where.Line("hmac_key_hex"),
                    absl::StrCat("tickets.hmac_key_hex is too short: ", key.size(),
                                 " bytes; a ticket key needs at least ", kMinTicketKeyBytes,
                                 " bytes (", 2 * kMinTicketKeyBytes, " hex digits)"));
    } else {
      resolved_ticket_key_hex_ = tickets.hmac_key_hex();
    }
  } else {
    const std::string path = JoinPath(base_dir_, tickets.hmac_key_file());
    const int line = where.Line("hmac_key_file");
    absl::StatusOr<std::string> contents =
        tickets.hmac_key_file().empty() ? absl::NotFoundError("the path is empty")
                                        : ReadWholeFile(path, /*secret_file=*/true);
    if (!contents.ok()) {
      problems_.Add(line, absl::StrCat("cannot read tickets.hmac_key_file ", Quote(path), ": ",
                                       contents.status().message()));
    } else {
      const std::string hex(absl::StripAsciiWhitespace(*contents));
      std::string key;
      if (!DecodeLowerHex(hex, &key) || hex.empty()) {
        problems_.Add(line, absl::StrCat("tickets.hmac_key_file ", Quote(path),
                                         " must hold the key as lower-case hex digits (e.g. "
                                         "made with 'openssl rand -hex 32 > FILE')"));
      } else if (key.size() < kMinTicketKeyBytes) {
        problems_.Add(line, absl::StrCat("the key in tickets.hmac_key_file ", Quote(path),
                                         " is too short: ", key.size(),
                                         " bytes; a ticket key needs at least ",
                                         kMinTicketKeyBytes, " bytes"));
      } else {
        resolved_ticket_key_hex_ = hex;
      }
    }
  }
  if (tickets.max_lifetime_seconds() > kMaxTicketLifetimeSeconds) {
    problems_.Add(where.Line("max_lifetime_seconds"),
                  absl::StrCat("tickets.max_lifetime_seconds ", tickets.max_lifetime_seconds(),
                               " is out of range: at most ", kMaxTicketLifetimeSeconds,
                               " (366 days); 0 means 24 hours"));
  }
}

void PolicyCompiler::CheckMtls(const Where& where) {
  const orb::v1::MtlsAuth& mtls = policy_.authentication().mtls();
  if (!orb::v1::MtlsAuth::Source_IsValid(mtls.userid_from())) {
    problems_.Add(where.Line("userid_from"),
                  absl::StrCat("mtls.userid_from ", static_cast<int>(mtls.userid_from()),
                               " is not valid: write one of SUBJECT_CN, SAN_DNS, SAN_URI, "
                               "SAN_EMAIL"));
  }
  absl::flat_hash_map<std::string, int> names;
  for (int i = 0; i < mtls.map_size(); ++i) {
    const orb::v1::CertificateMapping& m = mtls.map(i);
    const Where w = where.Nested("map", i);
    if (m.certificate_name().empty()) {
      problems_.Add(w.Line("certificate_name"),
                    "mtls.map entry has an empty certificate_name: write the certificate "
                    "field's value it maps");
    } else if (auto [it, inserted] = names.emplace(m.certificate_name(),
                                                   w.Line("certificate_name"));
               !inserted) {
      problems_.Add(w.Line("certificate_name"),
                    absl::StrCat("certificate_name ", Quote(m.certificate_name()),
                                 " is already mapped at line ", it->second,
                                 ": map each certificate name once"));
    }
    if (m.userid().empty()) {
      problems_.Add(w.Line("userid"), "mtls.map entry has an empty userid: write the userid");
    } else if (absl::StartsWith(m.userid(), kSystemPrefix)) {
      problems_.Add(w.Line("userid"),
                    absl::StrCat("mtls.map userid ", Quote(m.userid()),
                                 " starts with 'system.', which is reserved"));
    } else if (!user_lines_.contains(m.userid())) {
      problems_.Add(w.Line("userid"),
                    absl::StrCat("mtls.map names user ", Quote(m.userid()),
                                 ", which the users table does not declare: add user { userid: ",
                                 "\"", absl::CHexEscape(m.userid()), "\" } or fix the userid"));
    }
  }
}

void PolicyCompiler::CheckDefaultPermission(const Where& root) {
  if (policy_.default_permission().empty() && !root.Written("default_permission")) return;
  CheckPermissionName(policy_.default_permission(), "default_permission",
                      root.Line("default_permission"), problems_);
}

void PolicyCompiler::CheckTypes(const Where& root) {
  const int n = policy_.type_size();
  inherit_.assign(n, -1);
  olps_.assign(n, nullptr);
  absl::flat_hash_map<std::string, int> lines;
  for (int i = 0; i < n; ++i) {
    const orb::v1::TypePolicy& type = policy_.type(i);
    const Where where = root.Nested("type", i);
    const int line = where.Line("name");
    if (type.name().empty()) {
      problems_.Add(line, "type has an empty name: write the registered type name, e.g. "
                          "name: \"demo.Blog\"");
    } else if (HasSpaceOrControl(type.name())) {
      problems_.Add(line, absl::StrCat("type name ", Quote(type.name()),
                                       " contains white space or control characters"));
    } else if (auto [it, inserted] = lines.emplace(type.name(), line); !inserted) {
      problems_.Add(line, absl::StrCat("duplicate type ", Quote(type.name()),
                                       " (first declared at line ", it->second,
                                       "): merge the two declarations into one"));
    } else {
      type_index_[type.name()] = i;
    }
    if (!type.has_acl() && !type.has_olp()) {
      problems_.Add(where.line(), absl::StrCat("type ", Quote(type.name()),
                                               " declares neither acl nor olp: add one or "
                                               "remove the type"));
    }
    if (type.has_acl()) {
      std::optional<std::vector<AceSpec>> aces =
          CompileAces(type.acl(), where.Nested("acl"), problems_);
      if (aces) type_acls_[type.name()] = Acl::Compile(std::move(*aces));
    }
    if (type.has_olp()) CheckOlp(type.olp(), where.Nested("olp"));
  }
  ResolveInherits(root);
}

void PolicyCompiler::CheckOlp(const orb::v1::ObjectLockProfile& olp, const Where& where) {
  const struct {
    absl::string_view view_field;
    const orb::v1::OlpTables* tables;
  } views[] = {{"instance", &olp.instance()}, {"cls", &olp.cls()}};
  constexpr absl::string_view kOps[] = {"getattr", "setattr", "delattr", "call"};
  for (const auto& view : views) {
    const Where vw = where.Nested(view.view_field);
    const google::protobuf::Reflection* reflection = view.tables->GetReflection();
    for (absl::string_view op : kOps) {
      const FieldDescriptor* field =
          orb::v1::OlpTables::descriptor()->FindFieldByName(std::string(op));
      absl::flat_hash_map<std::string, int> seen;
      const int count = reflection->FieldSize(*view.tables, field);
      const std::string table = absl::StrCat(view.view_field == "cls" ? "class" : "instance",
                                             " ", op);
      for (int i = 0; i < count; ++i) {
        const auto& entry = static_cast<const orb::v1::OlpEntry&>(
            reflection->GetRepeatedMessage(*view.tables, field, i));
        const Where ew = vw.Nested(op, i);
        CheckEntry(entry, table, ew);
        if (entry.name().empty()) continue;
        auto [it, inserted] = seen.emplace(entry.name(), ew.Line("name"));
        if (!inserted) {
          problems_.Add(ew.Line("name"),
                        absl::StrCat("duplicate entry ", Quote(entry.name()), " in the ", table,
                                     " table (first at line ", it->second,
                                     "): list each name once per table"));
        }
      }
    }
  }
}

void PolicyCompiler::CheckEntry(const orb::v1::OlpEntry& entry, absl::string_view table,
                                const Where& where) {
  const std::string& name = entry.name();
  const int name_line = where.Line("name");
  if (name.empty()) {
    problems_.Add(name_line,
                  absl::StrCat("entry with an empty name in the ", table,
                               " table: write a member name, or one of the wildcards '*', '&', "
                               "'|'"));
  } else if (!IsWildcard(name) && !IsIdentifier(name)) {
    const bool pattern = name.find_first_of("*?[]&|") != std::string::npos;
    if (pattern && absl::StrContains(name, "_")) {
      problems_.Add(name_line,
                    absl::StrCat(Quote(name), " is not a member name: wildcards never reach "
                                 "names that start with '_' and there are no patterns; list "
                                 "each '_' name by its exact name (e.g. name: \"_cache\")"));
    } else if (pattern) {
      problems_.Add(name_line,
                    absl::StrCat(Quote(name), " is not a member name: the only wildcards are "
                                 "the whole names '*' (any name not listed), '&' and '|'; "
                                 "patterns are not supported, list names exactly"));
    } else {
      problems_.Add(name_line,
                    absl::StrCat(Quote(name), " is not a member name: use an identifier "
                                 "([A-Za-z_][A-Za-z0-9_]*) or one of the wildcards '*', '&', "
                                 "'|'"));
    }
  }
  const bool permission_given = !entry.permission().empty() || where.Written("permission");
  if (permission_given && entry.has_lock()) {
    problems_.Add(where.Line("lock"),
                  absl::StrCat("entry ", Quote(name),
                               " gives both permission and lock: permission: \"p\" is short "
                               "for lock { permission: \"p\" }; keep one"));
    return;
  }
  if (permission_given) {
    CheckPermissionName(entry.permission(), absl::StrCat("OLP entry ", Quote(name)),
                        where.Line("permission"), problems_);
    return;
  }
  if (entry.has_lock()) {
    const Where lw = where.Nested("lock");
    if (name == kWildcardOr &&
        entry.lock().kind_case() == orb::v1::Lock::kNoPermissionRequired) {
      problems_.Add(lw.line(),
                    absl::StrCat("'|' with no_permission_required grants every name of the ",
                                 table, " table (but '_' names) to everyone, overriding every "
                                 "other entry: if that is meant, write '*' with "
                                 "no_permission_required and remove the other entries"));
      return;
    }
    CompileLock(entry.lock(), lw);
    return;
  }
  if (policy_.default_permission().empty()) {
    problems_.Add(name_line,
                  absl::StrCat("entry ", Quote(name),
                               " names no lock and the policy has no default_permission: add "
                               "permission: \"p\" or lock { ... }, or set default_permission"));
  }
}

std::optional<Lock> PolicyCompiler::CompileLock(const orb::v1::Lock& lock, const Where& where) {
  switch (lock.kind_case()) {
    case orb::v1::Lock::kPermission:
      if (!CheckPermissionName(lock.permission(), "a lock", where.Line("permission"),
                               problems_)) {
        return std::nullopt;
      }
      return Lock::Permission(lock.permission());
    case orb::v1::Lock::kAllOf:
    case orb::v1::Lock::kAnyOf: {
      const bool all = lock.kind_case() == orb::v1::Lock::kAllOf;
      const absl::string_view field = all ? "all_of" : "any_of";
      const orb::v1::LockList& list = all ? lock.all_of() : lock.any_of();
      const Where lw = where.Nested(field);
      std::vector<Lock> children;
      bool ok = true;
      for (int i = 0; i < list.lock_size(); ++i) {
        std::optional<Lock> child = CompileLock(list.lock(i), lw.Nested("lock", i));
        if (child) {
          children.push_back(std::move(*child));
        } else {
          ok = false;
        }
      }
      if (!ok) return std::nullopt;
      return all ? Lock::AllOf(std::move(children)) : Lock::AnyOf(std::move(children));
    }
    case orb::v1::Lock::kBlocked:
      if (!lock.blocked()) {
        problems_.Add(where.Line("blocked"),
                      "blocked: false means nothing: write blocked: true, or another kind of "
                      "lock");
        return std::nullopt;
      }
      return Lock::Blocked();
    case orb::v1::Lock::kNoPermissionRequired:
      if (!lock.no_permission_required()) {
        problems_.Add(where.Line("no_permission_required"),
                      "no_permission_required: false means nothing: write "
                      "no_permission_required: true, or another kind of lock");
        return std::nullopt;
      }
      return Lock::NoPermissionRequired();
    case orb::v1::Lock::KIND_NOT_SET:
      break;
  }
  problems_.Add(where.line(),
                "lock has no kind: give exactly one of permission: \"p\", all_of { lock ... }, "
                "any_of { lock ... }, blocked: true or no_permission_required: true");
  return std::nullopt;
}

void PolicyCompiler::ResolveInherits(const Where& root) {
  const int n = policy_.type_size();
  for (int i = 0; i < n; ++i) {
    const orb::v1::TypePolicy& type = policy_.type(i);
    if (!type.has_olp()) continue;
    const std::string& base = type.olp().inherit();
    if (base.empty()) continue;
    const int line = root.Nested("type", i).Nested("olp").Line("inherit");
    auto it = type_index_.find(base);
    if (it == type_index_.end()) {
      problems_.Add(line, absl::StrCat("type ", Quote(type.name()), " inherits from ",
                                       Quote(base),
                                       ", which this policy does not declare: inherit names a "
                                       "type declared in this policy file with an olp"));
      continue;
    }
    if (!policy_.type(it->second).has_olp()) {
      problems_.Add(line, absl::StrCat("type ", Quote(type.name()), " inherits from ",
                                       Quote(base), ", which declares no olp: add an olp to ",
                                       Quote(base), " or remove the inherit"));
      continue;
    }
    inherit_[i] = it->second;
  }
  // Cycles: follow each chain; a node met twice in one chain closes a cycle.
  std::vector<int> state(n, 0);  // 0 unvisited, 1 on the current chain, 2 finished
  for (int start = 0; start < n; ++start) {
    std::vector<int> chain;
    int at = start;
    while (at >= 0 && state[at] == 0) {
      state[at] = 1;
      chain.push_back(at);
      at = inherit_[at];
    }
    if (at >= 0 && state[at] == 1) {
      auto first = std::find(chain.begin(), chain.end(), at);
      std::vector<std::string> names;
      for (auto c = first; c != chain.end(); ++c) names.push_back(policy_.type(*c).name());
      names.push_back(policy_.type(at).name());
      problems_.Add(root.Nested("type", at).Nested("olp").Line("inherit"),
                    absl::StrCat("inherit cycle: ", absl::StrJoin(names, " -> "),
                                 ": an OLP cannot inherit from itself; remove one inherit"));
    }
    for (int c : chain) state[c] = 2;
  }
}

OlpPtr PolicyCompiler::BuildOlp(int i) {
  if (olps_[i] != nullptr) return olps_[i];
  Olp::Builder builder;
  if (inherit_[i] >= 0) {
    OlpPtr base = BuildOlp(inherit_[i]);
    builder.Inherit(*base);
  }
  const orb::v1::ObjectLockProfile& olp = policy_.type(i).olp();
  const std::pair<View, const orb::v1::OlpTables*> views[] = {
      {View::kInstance, &olp.instance()}, {View::kClass, &olp.cls()}};
  const Where none(orb::v1::Lock::descriptor(), nullptr, 0);
  for (const auto& [view, tables] : views) {
    const std::pair<Op, const google::protobuf::RepeatedPtrField<orb::v1::OlpEntry>*> ops[] = {
        {Op::kGetAttr, &tables->getattr()},
        {Op::kSetAttr, &tables->setattr()},
        {Op::kDelAttr, &tables->delattr()},
        {Op::kCall, &tables->call()}};
    for (const auto& [op, entries] : ops) {
      for (const orb::v1::OlpEntry& entry : *entries) {
        if (!entry.permission().empty()) {
          builder.Expose(view, op, entry.name(), Lock::Permission(entry.permission()));
        } else if (entry.has_lock()) {
          std::optional<Lock> lock = CompileLock(entry.lock(), none);
          if (lock) builder.Expose(view, op, entry.name(), std::move(*lock));
        } else {
          builder.Expose(view, op, entry.name(), Lock::Permission(policy_.default_permission()));
        }
      }
    }
  }
  olps_[i] = builder.Build();
  return olps_[i];
}

void PolicyCompiler::CheckPathAcls(const Where& root) {
  absl::flat_hash_map<std::string, int> lines;
  for (int i = 0; i < policy_.path_acl_size(); ++i) {
    const orb::v1::PathAcl& entry = policy_.path_acl(i);
    const Where where = root.Nested("path_acl", i);
    const std::string& path = entry.path();
    const int line = where.Line("path");
    bool path_ok = false;
    if (path.empty()) {
      problems_.Add(line, "path_acl has an empty path: object paths start with '/' (\"/\" is the "
                          "root, \"/a/b\" the child 'b' of the root's child 'a')");
    } else if (path[0] != '/') {
      problems_.Add(line, absl::StrCat("path ", Quote(path),
                                       " does not start with '/': object paths are absolute, "
                                       "e.g. \"/", absl::CHexEscape(path), "\""));
    } else if (path.size() > 1 && path.back() == '/') {
      problems_.Add(line, absl::StrCat("path ", Quote(path),
                                       " ends with '/': write it without the trailing slash"));
    } else if (path.size() > 1 && absl::StrContains(path, "//")) {
      problems_.Add(line, absl::StrCat("path ", Quote(path),
                                       " has an empty segment ('//'): each segment names a child"));
    } else {
      path_ok = true;
      if (path.size() > 1) {
        for (absl::string_view segment : absl::StrSplit(absl::string_view(path).substr(1), '/')) {
          if (segment == "." || segment == "..") {
            problems_.Add(line, absl::StrCat("path ", Quote(path), " has a ", Quote(segment),
                                             " segment: paths name children exactly, without "
                                             "'.' or '..'"));
            path_ok = false;
            break;
          }
          if (HasSpaceOrControl(segment)) {
            problems_.Add(line, absl::StrCat("path ", Quote(path),
                                             " contains white space or control characters"));
            path_ok = false;
            break;
          }
        }
      }
    }
    if (path_ok) {
      auto [it, inserted] = lines.emplace(path, line);
      if (!inserted) {
        problems_.Add(line, absl::StrCat("duplicate path_acl for ", Quote(path),
                                         " (first at line ", it->second,
                                         "): give each path one ACL, with its ACEs in order"));
        path_ok = false;
      }
    }
    if (!entry.has_acl()) {
      problems_.Add(where.line(), absl::StrCat("path_acl ", Quote(path),
                                               " has no acl: add acl { ace { ... } } (an "
                                               "empty acl {} matches nothing)"));
      continue;
    }
    std::optional<std::vector<AceSpec>> aces =
        CompileAces(entry.acl(), where.Nested("acl"), problems_);
    if (aces && path_ok) path_acls_[path] = Acl::Compile(std::move(*aces));
  }
}

void PolicyCompiler::CheckLimits(const Where& root) {
  if (!policy_.has_limits()) return;
  const Where where = root.Nested("limits");
  const orb::v1::Limits& limits = policy_.limits();
  const google::protobuf::Reflection* reflection = limits.GetReflection();
  for (const LimitBound& bound : kLimitBounds) {
    const FieldDescriptor* f =
        orb::v1::Limits::descriptor()->FindFieldByName(std::string(bound.field));
    const uint64_t value = f->cpp_type() == FieldDescriptor::CPPTYPE_UINT64
                               ? reflection->GetUInt64(limits, f)
                               : reflection->GetUInt32(limits, f);
    if (value == 0) continue;
    if (value < bound.min || value > bound.max) {
      problems_.Add(where.Line(bound.field),
                    absl::StrCat("limits.", bound.field, " ", value, " is out of range: write ",
                                 bound.min, "..", bound.max, ", or 0 for the default"));
    }
  }
}

void PolicyCompiler::CheckAdmin(const Where& root) {
  if (!policy_.has_admin()) return;
  const Where where = root.Nested("admin");
  if (!policy_.admin().has_acl()) {
    problems_.Add(where.line(),
                  "admin has no acl: add acl { ace { action: ALLOW principal: \"...\" "
                  "permission: \"policy.reload\" } }, or remove admin to refuse every admin "
                  "call");
    return;
  }
  std::optional<std::vector<AceSpec>> aces =
      CompileAces(policy_.admin().acl(), where.Nested("acl"), problems_);
  if (aces) admin_acl_ = Acl::Compile(std::move(*aces));
}

LoadResult PolicyCompiler::Finish() {
  LoadResult result;
  if (problems_.empty()) {
    std::shared_ptr<CompiledPolicy> compiled(new CompiledPolicy());
    compiled->file_ = file_;
    compiled->text_sha256_ = text_sha256_;
    compiled->text_ = std::move(text_);
    compiled->admin_acl_ = admin_acl_;
    compiled->default_permission_ = policy_.default_permission();
    compiled->debug_authorization_ = policy_.debug_authorization();
    const orb::v1::Limits& l = policy_.limits();
    Limits& limits = compiled->limits_;
    if (l.max_handles_per_session() != 0) {
      limits.max_handles_per_session = l.max_handles_per_session();
    }
    if (l.max_sessions_per_identity() != 0) {
      limits.max_sessions_per_identity = l.max_sessions_per_identity();
    }
    if (l.max_value_depth() != 0) limits.max_value_depth = l.max_value_depth();
    if (l.max_value_elements() != 0) limits.max_value_elements = l.max_value_elements();
    if (l.max_message_bytes() != 0) limits.max_message_bytes = l.max_message_bytes();
    if (l.session_ttl_seconds() != 0) limits.session_ttl_seconds = l.session_ttl_seconds();
    if (l.max_member_calls_per_identity() != 0) {
      limits.max_member_calls_per_identity = l.max_member_calls_per_identity();
    }
    if (l.max_batch_operations() != 0) limits.max_batch_operations = l.max_batch_operations();
    if (l.max_stream_operations_in_flight() != 0) {
      limits.max_stream_operations_in_flight = l.max_stream_operations_in_flight();
    }
    if (l.request_id_window_seconds() != 0) {
      limits.request_id_window_seconds = l.request_id_window_seconds();
    }
    if (l.max_request_ids_per_session() != 0) {
      limits.max_request_ids_per_session = l.max_request_ids_per_session();
    }
    if (l.max_watches_per_session() != 0) {
      limits.max_watches_per_session = l.max_watches_per_session();
    }
    if (l.max_names_per_watch() != 0) limits.max_names_per_watch = l.max_names_per_watch();

    for (int i = 0; i < policy_.type_size(); ++i) {
      const orb::v1::TypePolicy& type = policy_.type(i);
      TypeRules rules;
      rules.name = type.name();
      auto acl = type_acls_.find(type.name());
      if (acl != type_acls_.end()) rules.acl = acl->second;
      if (type.has_olp()) rules.olp = BuildOlp(i);
      compiled->types_.emplace(type.name(), std::move(rules));
    }
    compiled->path_acls_ = std::move(path_acls_);

    orb::v1::Policy for_authn = policy_;
    if (for_authn.authentication().has_tickets()) {
      orb::v1::TicketAuth* tickets = for_authn.mutable_authentication()->mutable_tickets();
      tickets->set_hmac_key_hex(resolved_ticket_key_hex_);
      tickets->clear_hmac_key_file();
    }
    absl::StatusOr<std::unique_ptr<const Authenticator>> authenticator =
        Authenticator::Create(for_authn);
    if (authenticator.ok()) {
      compiled->authenticator_ = std::move(*authenticator);
      compiled->source_ = std::move(policy_);
      result.policy = std::move(compiled);
      return result;
    }
    problems_.Add(0, std::string(authenticator.status().message()));
  }
  std::vector<std::pair<int, std::string>> items = problems_.items();
  std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
    // Located problems first, in file order; then the unlocated ones.
    const int la = a.first > 0 ? a.first : INT_MAX;
    const int lb = b.first > 0 ? b.first : INT_MAX;
    return la < lb;
  });
  for (auto& [line, message] : items) {
    result.errors.push_back(PolicyError{file_, line, RedactHexRuns(message)});
  }
  return result;
}

LoadResult CompilePolicyText(absl::string_view text, absl::string_view file,
                             absl::string_view base_dir) {
  PolicyCompiler compiler(file, base_dir);
  return compiler.Compile(text);
}

absl::StatusOr<PolicyPtr> LoadPolicyFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) {
    return absl::NotFoundError(
        absl::StrCat("cannot read policy file ", Quote(path), ": ", text.status().message()));
  }
  LoadResult result = CompilePolicyText(*text, path, DirName(path));
  if (!result.errors.empty()) {
    std::vector<std::string> lines;
    for (const PolicyError& error : result.errors) lines.push_back(error.ToString());
    return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
  }
  return result.policy;
}

absl::StatusOr<std::vector<AceSpec>> AceSpecsFromProto(const orb::v1::Acl& acl) {
  std::vector<AceSpec> specs;
  std::vector<std::string> messages;
  for (int i = 0; i < acl.ace_size(); ++i) {
    Problems problems(absl::StrCat("ace ", i, ": "));
    std::optional<AceSpec> spec =
        CompileAce(acl.ace(i), Where(orb::v1::Ace::descriptor(), nullptr, 0), problems);
    for (const auto& item : problems.items()) messages.push_back(item.second);
    if (spec) specs.push_back(std::move(*spec));
  }
  if (!messages.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid ACL: ", absl::StrJoin(messages, "; ")));
  }
  return specs;
}

}  // namespace orb::policy
