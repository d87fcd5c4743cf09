#include "policy/symbols.h"

#include <algorithm>
#include <utility>

#include "absl/base/internal/raw_logging.h"
#include "policy/sync.h"

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
    // concurrent compiles and session setups do not serialize.
    orb::ReaderMutexLock lock(&mu_);
    auto it = ids_.find(name);
    if (it != ids_.end()) return it->second;
  }
  orb::MutexLock lock(&mu_);
  auto it = ids_.find(name);  // another thread may have won the race
  if (it != ids_.end()) return it->second;
  // kNoSymbol must stay unambiguous, so the table refuses to reach it.
  ABSL_RAW_CHECK(names_.size() < kNoSymbol, "SymbolTable is full");
  const auto id = static_cast<SymbolId>(names_.size());
  names_.emplace_back(name);
  ids_.emplace(absl::string_view(names_.back()), id);
  return id;
}

SymbolId SymbolTable::Find(absl::string_view name) const {
  orb::ReaderMutexLock lock(&mu_);
  auto it = ids_.find(name);
  return it == ids_.end() ? kNoSymbol : it->second;
}

absl::string_view SymbolTable::Name(SymbolId id) const {
  orb::ReaderMutexLock lock(&mu_);
  ABSL_RAW_CHECK(id < names_.size(), "SymbolTable::Name: unknown id");
  return names_[id];
}

Principals::Principals(std::vector<std::string> as_given) : as_given_(std::move(as_given)) {
  SymbolTable& table = SymbolTable::Global();
  sorted_ids_.reserve(as_given_.size());
  for (const std::string& name : as_given_) sorted_ids_.push_back(table.Intern(name));
  std::sort(sorted_ids_.begin(), sorted_ids_.end());
  sorted_ids_.erase(std::unique(sorted_ids_.begin(), sorted_ids_.end()), sorted_ids_.end());
  for (SymbolId id : sorted_ids_) mask_ |= MaskBit(id);
}

bool Principals::Contains(SymbolId id) const {
  // The mask rejects most non-members with one AND; only a possible member
  // pays for the search.
  if ((mask_ & MaskBit(id)) == 0) return false;
  return std::binary_search(sorted_ids_.begin(), sorted_ids_.end(), id);
}

}  // namespace orb::policy
