#!/usr/bin/env bash
# Fails when project code takes an absl::Mutex (or waits on Abseil's
# synchronization types) without going through base/sync.h.
#
# Why: Debian's Abseil is built without ThreadSanitizer, so TSan cannot see
# absl::Mutex, absl::CondVar, absl::Notification or absl::Barrier doing
# their work. A plain absl lock would make the TSan build report races that
# do not exist, or, once suppressed, hide ones that do. base/sync.h wraps
# each lock so TSan sees it; this check keeps it that way.
#
# Usage: check_visible_locks.sh <source dir>
set -euo pipefail
root="${1:?usage: check_visible_locks.sh <source dir>}"
cd "$root"

# Direct lock calls on a mutex object (x.Lock(), p->ReaderLock(), ...), the
# scoped absl lock classes, and Abseil's other blocking primitives.
pattern='absl::(Releasable|Reader|Writer)?MutexLock\b|absl::CondVar\b|absl::Notification\b|absl::Barrier\b|absl::BlockingCounter\b|(\.|->)(Lock|Unlock|ReaderLock|ReaderUnlock|WriterLock|WriterUnlock|TryLock|ReaderTryLock|LockWhen|LockWhenWithTimeout|ReaderLockWhen|Await|AwaitWithTimeout|AwaitWithDeadline)\('

mapfile -t files < <(find policy broker client tests bench examples -type f \
  \( -name '*.h' -o -name '*.cc' -o -name '*.inc' \) ! -path 'base/sync.h' 2>/dev/null | sort)
if [ ${#files[@]} -eq 0 ]; then
  echo "check_visible_locks: no sources found under $root" >&2
  exit 2
fi

if hits=$(grep -nE "$pattern" "${files[@]}"); then
  echo "Plain Abseil locks found. ThreadSanitizer cannot see them (Debian's Abseil is"
  echo "not built with TSan). Use orb::MutexHold, orb::ReaderMutexHold,"
  echo "orb::HoldVisible/ReleaseVisible or orb::AwaitWithTimeout from base/sync.h,"
  echo "or std::mutex/std::condition_variable in tests:"
  echo "$hits"
  exit 1
fi
echo "check_visible_locks: ${#files[@]} files, every absl::Mutex goes through base/sync.h"
