#include "orb/demo/blog.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "orb/broker/binding.h"
#include "orb/policy/olp.h"
#include "base/sync.h"

namespace orb::demo {

using orb::broker::CallContext;
using orb::broker::Concurrency;
using orb::broker::TypeBuilder;
using orb::broker::TypeRegistry;

namespace {

using policy::AceSpec;
using policy::Lock;
using policy::Op;
using policy::View;

absl::Status CheckTitle(const std::string& title) {
  if (title.empty()) return absl::InvalidArgumentError("a title may not be empty");
  if (static_cast<int64_t>(title.size()) > kMaxTitleLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("a title is at most ", kMaxTitleLength, " bytes"));
  }
  return absl::OkStatus();
}

policy::OlpPtr BlogOlp() {
  policy::Olp::Builder b;
  for (const char* name : {"title", "entry_count", "Entry"}) {
    b.Expose(View::kInstance, Op::kGetAttr, name, Lock::Permission("view"));
  }
  b.Expose(View::kInstance, Op::kSetAttr, "title", Lock::Permission("edit"));
  b.Expose(View::kInstance, Op::kCall, "add_entry", Lock::Permission("add"));
  b.Expose(View::kInstance, Op::kCall, "entries", Lock::Permission("view"));
  b.Expose(View::kInstance, Op::kCall, "entry", Lock::Permission("view"));
  return b.Build();
}

policy::OlpPtr EntryOlp() {
  policy::Olp::Builder b;
  for (const char* name : {"title", "body", "owner"}) {
    b.Expose(View::kInstance, Op::kGetAttr, name, Lock::Permission("view"));
  }
  b.Expose(View::kInstance, Op::kSetAttr, "title", Lock::Permission("edit"));
  b.Expose(View::kInstance, Op::kSetAttr, "body", Lock::Permission("edit"));
  b.Expose(View::kInstance, Op::kDelAttr, "body", Lock::Permission("edit"));
  b.Expose(View::kInstance, Op::kCall, "delete", Lock::Permission("delete"));
  b.Expose(View::kClass, Op::kGetAttr, "max_title_length", Lock::Permission("view"));
  return b.Build();
}

}  // namespace

Blog::Blog(std::string title)
    : title_(std::move(title)), secret_("the blog's private signing salt") {}

absl::Status Blog::set_title(std::string title) {
  absl::Status s = CheckTitle(title);
  if (s.ok()) title_ = std::move(title);
  return s;
}

int64_t Blog::entry_count() const {
  orb::MutexHold lock(&entries_mu_);
  return static_cast<int64_t>(entries_.size());
}

absl::StatusOr<std::shared_ptr<Entry>> Blog::AddEntry(const CallContext& ctx, std::string title,
                                                      std::string body) {
  if (ctx.userid().empty()) {
    return absl::PermissionDeniedError("anonymous callers cannot own entries");
  }
  absl::Status s = CheckTitle(title);
  if (!s.ok()) return s;
  auto entry = std::make_shared<Entry>(ctx.userid(), std::move(title), std::move(body));
  {
    orb::MutexHold lock(&entries_mu_);
    entry->SetLocation(shared_from_this(), absl::StrCat("entry-", next_entry_++));
    entries_.push_back(entry);
  }
  Changed("entry_count");  // to whoever watches it
  return entry;
}

std::vector<std::shared_ptr<Entry>> Blog::Entries() const {
  orb::MutexHold lock(&entries_mu_);
  return entries_;
}

absl::StatusOr<std::shared_ptr<Entry>> Blog::FindEntry(const std::string& name) const {
  orb::MutexHold lock(&entries_mu_);
  for (const auto& entry : entries_) {
    if (entry->name() == name) return entry;
  }
  return absl::NotFoundError(absl::StrCat("no entry named '", name, "'"));
}

bool Blog::RemoveEntry(const std::string& name) {
  std::shared_ptr<Entry> removed;  // destroyed after the lock is released
  {
    orb::MutexHold lock(&entries_mu_);
    auto it = std::find_if(entries_.begin(), entries_.end(),
                           [&](const std::shared_ptr<Entry>& e) { return e->name() == name; });
    if (it == entries_.end()) return false;
    removed = std::move(*it);
    entries_.erase(it);
  }
  Changed("entry_count");
  return true;
}

Entry::Entry(std::string owner, std::string title, std::string body)
    : owner_(std::move(owner)), title_(std::move(title)), body_(std::move(body)) {}

absl::Status Entry::set_title(std::string title) {
  absl::Status s = CheckTitle(title);
  if (s.ok()) title_ = std::move(title);
  return s;
}

absl::Status Entry::del_body() {
  if (!body_.has_value()) return absl::NotFoundError("the body is already deleted");
  body_.reset();
  return absl::OkStatus();
}

absl::Status Entry::Delete() {
  auto blog = std::dynamic_pointer_cast<Blog>(parent());
  if (blog == nullptr || !blog->RemoveEntry(name())) {
    return absl::NotFoundError("this entry was already deleted");
  }
  return absl::OkStatus();
}

absl::Status RegisterBlogTypes(TypeRegistry& registry) {
  TypeBuilder<Blog> blog("demo.Blog");
  blog.Property("title", &Blog::title, &Blog::set_title)
      .Property("entry_count", &Blog::entry_count)
      .Attribute("_secret", &Blog::secret_)
      .Method("add_entry", &Blog::AddEntry, {"title", "body"})
      .Method("entries", &Blog::Entries)
      .Method("entry", &Blog::FindEntry, {"name"})
      .ClassObject<Entry>("Entry")
      .Acl({AceSpec::Allow(std::string(policy::kEveryone), "view"),
            AceSpec::Allow(std::string(policy::kAuthenticated), "add"),
            AceSpec::Allow("group:editors", std::vector<std::string>{"add", "edit", "delete"}),
            AceSpec::DenyAll()})
      .Olp(BlogOlp())
      .Concurrency(Concurrency::kSerialized)
      .NonBlocking();  // in-memory work under short locks
  absl::Status s = registry.Register(std::move(blog));
  if (!s.ok()) return s;

  TypeBuilder<Entry> entry("demo.Entry");
  entry.Property("title", &Entry::title, &Entry::set_title)
      .Property("body", &Entry::body, &Entry::set_body, &Entry::del_body)
      .Property("owner", [](const Entry& e) { return e.owner(); })
      .Method("delete", &Entry::Delete)
      .ClassAttribute("max_title_length", [] { return kMaxTitleLength; })
      .DynamicAcl([](const Entry& e) {
        std::vector<AceSpec> acl;
        if (!e.owner().empty()) {
          acl.push_back(AceSpec::Allow(e.owner(), std::vector<std::string>{"edit", "delete"}));
        }
        return acl;
      })
      .Olp(EntryOlp())
      .Concurrency(Concurrency::kSerialized)
      .NonBlocking();
  return registry.Register(std::move(entry));
}

std::shared_ptr<Blog> MakeBlog(std::string title) {
  return std::make_shared<Blog>(std::move(title));
}

}  // namespace orb::demo
