#include "orb/policy/symbols.h"

#include <algorithm>
#include <utility>

#include "absl/base/internal/raw_logging.h"
#include "base/sync.h"

namespace orb::policy {

SymbolTable& SymbolTable::Global() {
  // Never destroyed: ids and views handed out must outlive every static
  // object that might still hold them during shutdown.
  static SymbolTable* const table = new SymbolTable();
  return *table;
}

SymbolId SymbolTable::Intern(absl::string_view name) {
  {
    // Most names are already known; take the shared lock first so that
    // concurrent compiles and session setups do not serialize. A name at
    // zero references is still in the table until Release's exclusive
    // section forgets it, and that section sees this reference.
    orb::ReaderMutexHold lock(&mu_);
    auto it = ids_.find(name);
    if (it != ids_.end()) {
      entries_[it->second].refs.fetch_add(1, std::memory_order_relaxed);
      return it->second;
    }
  }
  orb::MutexHold lock(&mu_);
  auto it = ids_.find(name);  // another thread may have won the race
  if (it != ids_.end()) {
    entries_[it->second].refs.fetch_add(1, std::memory_order_relaxed);
    return it->second;
  }
  SymbolId id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    // kNoSymbol must stay unambiguous, so the table refuses to reach it.
    ABSL_RAW_CHECK(entries_.size() < kNoSymbol, "SymbolTable is full");
    id = static_cast<SymbolId>(entries_.size());
    entries_.emplace_back();
  }
  Entry& e = entries_[id];
  e.name.assign(name.data(), name.size());
  e.live = true;
  e.refs.store(1, std::memory_order_relaxed);
  ids_.emplace(absl::string_view(e.name), id);
  return id;
}

void SymbolTable::Ref(SymbolId id) {
  orb::ReaderMutexHold lock(&mu_);
  ABSL_RAW_CHECK(id < entries_.size(), "SymbolTable::Ref: unknown id");
  entries_[id].refs.fetch_add(1, std::memory_order_relaxed);
}

void SymbolTable::Release(SymbolId id) {
  if (id == kNoSymbol) return;
  {
    orb::ReaderMutexHold lock(&mu_);
    ABSL_RAW_CHECK(id < entries_.size(), "SymbolTable::Release: unknown id");
    if (entries_[id].refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  }
  orb::MutexHold lock(&mu_);
  Entry& e = entries_[id];
  // Another Intern may have taken the name up again meanwhile, or another
  // Release (of a later last reference) may have forgotten it already.
  if (!e.live || e.refs.load(std::memory_order_acquire) != 0) return;
  ids_.erase(absl::string_view(e.name));
  e.live = false;
  std::string().swap(e.name);
  free_.push_back(id);
}

SymbolId SymbolTable::Find(absl::string_view name) const {
  orb::ReaderMutexHold lock(&mu_);
  auto it = ids_.find(name);
  return it == ids_.end() ? kNoSymbol : it->second;
}

absl::string_view SymbolTable::Name(SymbolId id) const {
  orb::ReaderMutexHold lock(&mu_);
  ABSL_RAW_CHECK(id < entries_.size() && entries_[id].live, "SymbolTable::Name: unknown id");
  return entries_[id].name;
}

size_t SymbolTable::size() const {
  orb::ReaderMutexHold lock(&mu_);
  return ids_.size();
}

size_t SymbolTable::capacity() const {
  orb::ReaderMutexHold lock(&mu_);
  return entries_.size();
}

Principals::Principals(std::vector<std::string> as_given) : as_given_(std::move(as_given)) {
  SymbolTable& table = SymbolTable::Global();
  sorted_ids_.reserve(as_given_.size());
  for (const std::string& name : as_given_) sorted_ids_.push_back(table.Intern(name));
  std::sort(sorted_ids_.begin(), sorted_ids_.end());
  // One reference per distinct id: a name given twice gives one back.
  for (size_t i = 1; i < sorted_ids_.size(); ++i) {
    if (sorted_ids_[i] == sorted_ids_[i - 1]) table.Release(sorted_ids_[i]);
  }
  sorted_ids_.erase(std::unique(sorted_ids_.begin(), sorted_ids_.end()), sorted_ids_.end());
  for (SymbolId id : sorted_ids_) mask_ |= MaskBit(id);
}

Principals::Principals(const Principals& other)
    : as_given_(other.as_given_), sorted_ids_(other.sorted_ids_), mask_(other.mask_) {
  SymbolTable& table = SymbolTable::Global();
  for (SymbolId id : sorted_ids_) table.Ref(id);
}

Principals::Principals(Principals&& other) noexcept
    : as_given_(std::move(other.as_given_)),
      sorted_ids_(std::move(other.sorted_ids_)),
      mask_(other.mask_) {
  other.as_given_.clear();
  other.sorted_ids_.clear();
  other.mask_ = 0;
}

Principals& Principals::operator=(const Principals& other) {
  if (this != &other) *this = Principals(other);
  return *this;
}

Principals& Principals::operator=(Principals&& other) noexcept {
  if (this != &other) {
    Principals old(std::move(*this));  // releases this one's references
    as_given_ = std::move(other.as_given_);
    sorted_ids_ = std::move(other.sorted_ids_);
    mask_ = other.mask_;
    other.as_given_.clear();
    other.sorted_ids_.clear();
    other.mask_ = 0;
  }
  return *this;
}

Principals::~Principals() {
  SymbolTable& table = SymbolTable::Global();
  for (SymbolId id : sorted_ids_) table.Release(id);
}

bool Principals::Contains(SymbolId id) const {
  // The mask rejects most non-members with one AND; only a possible member
  // pays for the search.
  if ((mask_ & MaskBit(id)) == 0) return false;
  return std::binary_search(sorted_ids_.begin(), sorted_ids_.end(), id);
}

}  // namespace orb::policy
