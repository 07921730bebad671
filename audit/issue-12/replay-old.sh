#!/usr/bin/env bash
# Replays the issue-12 attack tests against the contracts as they were before the fix (e9a084e, the parent of
# 1c31d82 "two-step cancel, batches skip unfulfillable jobs, claim before propose, equivocation evidence for batch
# signatures"), with the test helpers of the fix, in a temporary git worktree. Expected: the attack tests FAIL there
# (see README.md next to this script for each failure and why). Needs `npm ci` done in this clone; ~4 min.
#
#   bash audit/issue-12/replay-old.sh
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WT=$(mktemp -d)/veritas-before-issue-12
OLD=e9a084e FIX=1c31d82 TESTS=0adbfa7
git -C "$ROOT" worktree add -q --detach "$WT" "$OLD"
trap 'git -C "$ROOT" worktree remove --force "$WT"' EXIT
ln -s "$ROOT/node_modules" "$WT/node_modules"
for p in scripts/lib/constants.ts scripts/lib/tee.ts test/helpers/attacks.ts test/helpers/escrow.ts test/helpers/gas.ts \
  test/helpers/optimistic.ts; do
  git -C "$ROOT" show "$FIX:$p" > "$WT/$p"
done
files=()
for t in cancel-front-running proposal-copying batch-equivocation audit-checks; do
  git -C "$ROOT" show "$TESTS:test/attacks/$t.ts" > "$WT/test/attacks/$t.ts"
  files+=("test/attacks/$t.ts")
done
mkdir -p "$WT/test/attacks/old-api"
cp "$ROOT/audit/issue-12/old-api-batch-cancel.ts" "$WT/test/attacks/old-api/batch-cancel.ts"
files+=("test/attacks/old-api/batch-cancel.ts")
cd "$WT" && npx hardhat test mocha "${files[@]}"
echo "(exit code $?: non-zero is the expected outcome on the code before the fix)"
