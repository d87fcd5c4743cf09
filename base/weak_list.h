// Lists of observers held weakly (std::vector<std::weak_ptr<T>>): what an
// object's change listeners and a session's watches share. The caller
// guards the vector; these helpers only walk it.
#ifndef ORB_BASE_WEAK_LIST_H_
#define ORB_BASE_WEAK_LIST_H_

#include <algorithm>
#include <memory>
#include <vector>

namespace orb {

// Removes the entries whose object is gone and, when `target` is not null,
// the entry of `target`.
template <typename T>
void EraseWeak(std::vector<std::weak_ptr<T>>* list, const T* target = nullptr) {
  list->erase(std::remove_if(list->begin(), list->end(),
                             [target](const std::weak_ptr<T>& weak) {
                               std::shared_ptr<T> held = weak.lock();
                               return held == nullptr || held.get() == target;
                             }),
              list->end());
}

// The entries whose object is still alive, held strongly so that the
// caller can use them after releasing its lock; drops the others.
template <typename T>
std::vector<std::shared_ptr<T>> LockLive(std::vector<std::weak_ptr<T>>* list) {
  std::vector<std::shared_ptr<T>> live;
  live.reserve(list->size());
  for (const std::weak_ptr<T>& weak : *list) {
    if (std::shared_ptr<T> held = weak.lock()) live.push_back(std::move(held));
  }
  if (live.size() != list->size()) EraseWeak(list);
  return live;
}

}  // namespace orb

#endif  // ORB_BASE_WEAK_LIST_H_
