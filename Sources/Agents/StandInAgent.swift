/// A stand-in worker agent: a bash script that follows the worker protocol without an AI, for
/// the demo and the tests. It plans (attaching a plan), waits for the review, asks a question
/// with options (stuck), waits for the answer, works (a commit in its worktree) and ships.
/// Everything it runs is by argv: no value of the session or of an answer becomes code.
///
/// Its environment: the `PPDS_*` variables `spawn` gives every agent; `PPDS_STANDIN_PAUSE`
/// (seconds between steps, default 0), `PPDS_STANDIN_PR` (the PR URL it ships with), and
/// `PPDS_BIN` (the ppds to run, default `ppds` on PATH).
public enum StandInAgent {
    public static let script = #"""
    #!/usr/bin/env bash
    # ppds stand-in worker: follows the worker protocol (plan, review, question, work, ship).
    set -u
    ppds=${PPDS_BIN:-ppds}
    issue=${PPDS_ISSUE:?PPDS_ISSUE is not set: run me with ppds spawn}
    pause=${PPDS_STANDIN_PAUSE:-0}
    step() { printf 'stand-in #%s: %s\n' "$issue" "$1"; sleep "$pause"; }

    step "planning"
    "$ppds" update --status planning || exit 1
    printf '%s\n' "Plan for #$issue:" "1. Read the code around the issue." "2. Make the change, with a test." "3. Ship it." \
        | "$ppds" update --status planning_complete --plan - || exit 1
    step "plan attached; waiting for the review"
    "$ppds" wait || exit 1
    "$ppds" update --status working || exit 1

    step "asking a question"
    "$ppds" update --status stuck --reason "Which approach for #$issue?" --context "The stand-in needs a decision to go on" \
        --option "the simple one" --option "the thorough one" || exit 1
    "$ppds" wait || exit 1
    "$ppds" update --status working || exit 1

    step "working"
    printf 'work for #%s\n' "$issue" > "stand-in-$issue.txt"
    git add -- "stand-in-$issue.txt" && git commit -q -m "stand-in work for #$issue" -- "stand-in-$issue.txt" || exit 1
    step "shipping"
    "$ppds" ship --force --pr "${PPDS_STANDIN_PR:-https://github.com/example/project/pull/$issue}" || exit 1
    step "done"
    """#
}
