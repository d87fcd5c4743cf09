// The demo service: Pyramid's blog, made live.
//
//   demo.Blog (the root)
//     getattr title, entry_count, Entry (view)   setattr title (edit)
//     call add_entry(title, body) -> demo.Entry (add)
//     call entries() -> [demo.Entry] (view)   call entry(name) -> demo.Entry (view)
//     type ACL: (Allow, system.Everyone, view), (Allow, system.Authenticated, add),
//               (Allow, group:editors, [add, edit, delete]), DENY_ALL
//     `_secret` is a bound member that no OLP entry ever reaches.
//   demo.Entry (child of the blog, named "entry-<n>")
//     getattr title, body, owner (view)   setattr title, body (edit)
//     delattr body (edit)                  call delete() (delete)
//     dynamic ACL: (Allow, <owner>, [edit, delete]); the blog's ACL above it
//     class view (through getattr Entry on the blog): getattr max_title_length
//
// So anonymous callers read, authenticated users add entries and edit or
// delete their own, and group:editors edit and delete anyone's.
//
// Thread safety: the broker serializes member access per object
// (Concurrency::kSerialized); the blog's entry list has its own lock because
// an entry's delete() changes it from the entry's call.
// Every member only touches memory under short locks, so both types are
// declared NonBlocking and run on gRPC's threads.
#ifndef ORB_BROKER_DEMO_BLOG_H_
#define ORB_BROKER_DEMO_BLOG_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "orb/broker/call_context.h"
#include "orb/broker/object.h"
#include "orb/broker/type_registry.h"

namespace orb::demo {

inline constexpr int64_t kMaxTitleLength = 200;

class Entry;

class Blog final : public broker::Object {
 public:
  explicit Blog(std::string title);

  std::string title() const { return title_; }
  // Errors: INVALID_ARGUMENT when empty or longer than kMaxTitleLength.
  absl::Status set_title(std::string title);
  int64_t entry_count() const ABSL_LOCKS_EXCLUDED(entries_mu_);

  // A new entry owned by the caller. Errors: PERMISSION_DENIED for an
  // anonymous caller; INVALID_ARGUMENT for a bad title.
  absl::StatusOr<std::shared_ptr<Entry>> AddEntry(const broker::CallContext& ctx, std::string title,
                                                  std::string body)
      ABSL_LOCKS_EXCLUDED(entries_mu_);
  std::vector<std::shared_ptr<Entry>> Entries() const ABSL_LOCKS_EXCLUDED(entries_mu_);
  // Errors: NOT_FOUND when no entry has that name.
  absl::StatusOr<std::shared_ptr<Entry>> FindEntry(const std::string& name) const
      ABSL_LOCKS_EXCLUDED(entries_mu_);
  // Removes the entry named `name`; false when there is none.
  bool RemoveEntry(const std::string& name) ABSL_LOCKS_EXCLUDED(entries_mu_);

 private:
  friend absl::Status RegisterBlogTypes(broker::TypeRegistry& registry);

  std::string title_;   // serialized by the broker (access_mutex())
  std::string secret_;  // bound as "_secret", never exposed

  mutable absl::Mutex entries_mu_;
  std::vector<std::shared_ptr<Entry>> entries_ ABSL_GUARDED_BY(entries_mu_);
  uint64_t next_entry_ ABSL_GUARDED_BY(entries_mu_) = 1;
};

class Entry final : public broker::Object {
 public:
  Entry(std::string owner, std::string title, std::string body);

  const std::string& owner() const { return owner_; }
  std::string title() const { return title_; }
  // Errors: INVALID_ARGUMENT when empty or longer than kMaxTitleLength.
  absl::Status set_title(std::string title);
  // Null once deleted with delattr.
  std::optional<std::string> body() const { return body_; }
  void set_body(std::string body) { body_ = std::move(body); }
  // Errors: NOT_FOUND when already deleted.
  absl::Status del_body();
  // Removes this entry from its blog. Errors: NOT_FOUND when already removed.
  absl::Status Delete();

 private:
  const std::string owner_;  // immutable: read by the dynamic ACL without a lock
  std::string title_;        // serialized by the broker
  std::optional<std::string> body_;
};

// Registers demo.Blog and demo.Entry with their bindings, ACLs and OLPs.
// Errors: as TypeRegistry::Register (e.g. ALREADY_EXISTS when called twice).
absl::Status RegisterBlogTypes(broker::TypeRegistry& registry);

// A new, empty blog to serve as the broker's root.
std::shared_ptr<Blog> MakeBlog(std::string title = "orb demo blog");

}  // namespace orb::demo

#endif  // ORB_BROKER_DEMO_BLOG_H_
