#!/usr/bin/env bash
# A stand-in agent for the demo and the tests: it follows the worker protocol with the real
# ppds commands, as a coding agent told by ppds's prompt would. It plans, waits for the plan's
# review, asks one question with options, waits for the answer, works, commits and ships.
#
# Usage (spawned by `ppds spawn <issue> -- stand-in-agent.sh PPDS [QUESTION]`, in the worktree):
#   PPDS      the ppds executable to call
#   QUESTION  the question to ask when stuck (default: which of two approaches)
# It reads PPDS_ISSUE, which ppds gives every spawned agent. Every value goes by argv.
set -euo pipefail
ppds=${1:?usage: stand-in-agent.sh PPDS [QUESTION]}
question=${2:-"Which approach should I take?"}
issue=${PPDS_ISSUE:?PPDS_ISSUE is not set: start me with ppds spawn}
pace=${STAND_IN_PACE:-1}
# The last message `--wait` prints, without its time stamp.
last_message() { tail -n 1 | sed 's/^ *\[[^]]*\] //'; }
say() { printf '\033[1;35m[stand-in %s]\033[0m %s\n' "$issue" "$*"; }

say "reading the issue and planning"
"$ppds" update "$issue" --status planning
sleep "$pace"
printf '1. Find where the change goes\n2. Make it, with a test\n3. Ship it\n' > "${TMPDIR:-/tmp}/stand-in-plan.$$"
say "plan ready; waiting for its review"
reply=$("$ppds" update "$issue" --status planning_complete --plan "${TMPDIR:-/tmp}/stand-in-plan.$$" --wait --timeout 30m | last_message)
rm -f "${TMPDIR:-/tmp}/stand-in-plan.$$"
say "review: $reply"

"$ppds" update "$issue" --status working
sleep "$pace"
say "asking: $question"
answer=$("$ppds" update "$issue" --status stuck --reason "$question" \
    --context "Two ways fit the code; they differ in how much they change." \
    --option "the small change" --option "the thorough change" --wait --timeout 30m | last_message)
say "answer: $answer"

"$ppds" update "$issue" --status working
sleep "$pace"
printf 'work for %s: %s\n' "$issue" "$answer" > "stand-in-$issue.txt"
git add "stand-in-$issue.txt"
git commit -q -m "stand-in agent: work for $issue"
say "committed; shipping"
if git remote get-url origin >/dev/null 2>&1; then
    "$ppds" ship "$issue" --push --pr "${STAND_IN_PR_BASE:-https://github.com/example/shop/pull}/$issue"
else
    "$ppds" ship "$issue" --force --pr "${STAND_IN_PR_BASE:-https://github.com/example/shop/pull}/$issue"
fi
say "shipped"
