import Testing
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

/// The removal policy as a table, without git: every combination of the facts that matter,
/// checked against rules written here independently of the policy's own code.
@Suite struct RemovalPolicyTests {
    static let tip = ObjectID(hex: "1111111111111111111111111111111111111111")!
    static let head = ObjectID(hex: "2222222222222222222222222222222222222222")!

    enum Head: CaseIterable { case ownBranch, otherBranch, detachedMerged, detachedUnmerged, unknown }
    enum Dirt: CaseIterable { case clean, changed, hidden }
    enum BranchState: CaseIterable { case gone, mergedOurs, mergedNotOurs, unmergedOurs, unmergedLooseMatch }

    struct Row: CustomStringConvertible {
        var status: SessionStatus?
        var locked: Bool
        var claimed: Bool
        var head: Head
        var linked: Bool
        var mounted: Bool
        var dirt: Dirt
        var enclosedWork: Bool
        var branch: BranchState
        var force: Bool
        var forceDelete: Bool

        var description: String {
            "status=\(status?.fileValue ?? "none") locked=\(locked) claimed=\(claimed) head=\(head) linked=\(linked) mounted=\(mounted) dirt=\(dirt) enclosed=\(enclosedWork) branch=\(branch) force=\(force) forceDelete=\(forceDelete)"
        }

        var facts: RemovalFacts {
            var facts = RemovalFacts(sessionStatus: status, claimedBranch: "feat/x")
            if claimed { facts.otherClaimants = [IssueNumber(2)!] }
            let worktreeHead: WorktreeHead
            switch head {
            case .ownBranch: worktreeHead = .branch("feat/x")
            case .otherBranch: worktreeHead = .branch("someone/else")
            case .detachedMerged, .detachedUnmerged: worktreeHead = .detached(RemovalPolicyTests.head)
            case .unknown: worktreeHead = .unknown
            }
            var worktree = WorktreeFacts(name: "x", path: "/w/x", state: .ok, head: worktreeHead)
            worktree.lockReason = locked ? "on a USB disk" : nil
            worktree.linkedToEntry = linked
            worktree.mountPoints = mounted ? ["/w/x/volume"] : []
            worktree.status = WorkingTreeStatus(changed: dirt == .changed ? 1 : 0, untracked: 0,
                                                hiddenEdits: dirt == .hidden ? ["a.txt"] : [])
            worktree.enclosedWithWork = enclosedWork ? ["/w/x/sub/.git"] : []
            facts.worktree = worktree
            if head == .detachedMerged { facts.detachedHead = CommitFacts(commit: RemovalPolicyTests.head, merged: .ancestor) }
            if head == .detachedUnmerged { facts.detachedHead = CommitFacts(commit: RemovalPolicyTests.head) }
            switch branch {
            case .gone: break
            case .mergedOurs: facts.branch = BranchFacts(name: "feat/x", tip: CommitFacts(commit: RemovalPolicyTests.tip, merged: .ancestor), createdByPPDS: true)
            case .mergedNotOurs: facts.branch = BranchFacts(name: "feat/x", tip: CommitFacts(commit: RemovalPolicyTests.tip, merged: .patchID), createdByPPDS: false)
            case .unmergedOurs: facts.branch = BranchFacts(name: "feat/x", tip: CommitFacts(commit: RemovalPolicyTests.tip), createdByPPDS: true)
            case .unmergedLooseMatch:
                var tip = CommitFacts(commit: RemovalPolicyTests.tip)
                tip.matchesIgnoringWhitespace = true
                facts.branch = BranchFacts(name: "feat/x", tip: tip, createdByPPDS: true)
            }
            return facts
        }
    }

    static var rows: [Row] {
        var rows: [Row] = []
        let statuses: [SessionStatus?] = [nil, .working, .stuck, .paused, .complete, .cancelled]
        for status in statuses {
            for locked in [false, true] { for claimed in [false, true] { for head in Head.allCases {
                for linked in [false, true] { for mounted in [false, true] { for dirt in Dirt.allCases {
                    for enclosedWork in [false, true] { for branch in BranchState.allCases {
                        for force in [false, true] { for forceDelete in [false, true] {
                            rows.append(Row(status: status, locked: locked, claimed: claimed, head: head, linked: linked, mounted: mounted,
                                            dirt: dirt, enclosedWork: enclosedWork, branch: branch, force: force, forceDelete: forceDelete))
                        } }
                    } }
                } } }
            } } }
        }
        return rows
    }

    /// The rules, written once more from the issue's text.
    static func mayRemove(_ row: Row) -> Bool {
        if let status = row.status, !status.isTerminal { return false }
        if row.locked || row.claimed || !row.linked || row.mounted { return false }
        if row.head == .otherBranch || row.head == .unknown { return false }
        if row.dirt != .clean && !row.force { return false }
        // --force applies only to a worktree ppds can show is the session's.
        if row.dirt != .clean && row.status != nil && !(row.branch == .mergedOurs || row.branch == .unmergedOurs || row.branch == .unmergedLooseMatch) { return false }
        if row.enclosedWork && !(row.force && row.forceDelete) { return false }
        if (row.branch == .unmergedOurs || row.branch == .unmergedLooseMatch) && !row.forceDelete { return false }
        if row.head == .detachedUnmerged && !row.forceDelete { return false }
        return true
    }

    @Test func everyCombinationFollowsTheRules() {
        let rows = Self.rows
        #expect(rows.count > 10_000)
        var removals = 0
        for row in rows {
            for dryRun in [false, true] {
                let decision = RemovalPolicy.decide(row.facts, RemovalOptions(dryRun: dryRun, force: row.force, forceDelete: row.forceDelete))
                let removes = decision.removeWorktree || decision.deleteBranch || decision.removeSession
                #expect(removes == Self.mayRemove(row), "\(row): \(decision.outcome) \(decision.reason)")
                #expect(removes == (decision.outcome == (dryRun ? .wouldRemove : .removed)), "\(row)")
                if !removes { #expect(decision.outcome.isKept || decision.outcome == .failed, "\(row)") }
                if decision.deleteBranch {
                    // Only a branch ppds can show it created, and only merged unless forced.
                    #expect(row.branch == .mergedOurs || ((row.branch == .unmergedOurs || row.branch == .unmergedLooseMatch) && row.forceDelete), "\(row)")
                }
                if removes && (row.branch == .mergedNotOurs) { #expect(!decision.deleteBranch && Self.keptBranch(decision) == "feat/x", "\(row)") }
                if removes { removals += 1 }
            }
        }
        #expect(removals > 100)
    }

    @Test func overridesNeverUnlockWhatNoFlagOverrides() {
        for row in Self.rows where row.locked || row.claimed || !row.linked || row.mounted || row.head == .otherBranch || row.head == .unknown {
            let decision = RemovalPolicy.decide(row.facts, RemovalOptions(force: true, forceDelete: true))
            #expect(decision.outcome.isKept, "\(row)")
        }
    }

    @Test func aWhitespaceOnlyMatchIsAHintNotAMerge() {
        let row = Row(status: .complete, locked: false, claimed: false, head: .ownBranch, linked: true, mounted: false, dirt: .clean,
                      enclosedWork: false, branch: .unmergedLooseMatch, force: false, forceDelete: false)
        let decision = RemovalPolicy.decide(row.facts, RemovalOptions())
        #expect(decision.outcome == .keptUnmerged)
        guard case .branchUnmerged(let unmerged) = decision.reason else {
            Issue.record("\(decision.reason)")
            return
        }
        #expect(unmerged.matchesIgnoringWhitespace && !unmerged.fetchedThisRun)
        // The words are View's: the hint, and the --fetch advice before --force-delete.
        let words = PruneText.describe(decision.reason)
        #expect(words.contains("ignoring whitespace") && words.contains("--fetch"))
        #expect(words.range(of: "--fetch")!.lowerBound < words.range(of: "--force-delete")!.lowerBound)
    }

    /// The branch a removal leaves (ppds cannot show it created it), from the typed reason.
    static func keptBranch(_ decision: RemovalDecision) -> String? {
        if case .removable(let removal) = decision.reason { return removal.keptBranch }
        return nil
    }

    @Test func namedOutcomes() {
        func outcome(_ change: (inout Row) -> Void) -> PruneOutcome {
            var row = Row(status: .complete, locked: false, claimed: false, head: .ownBranch, linked: true, mounted: false, dirt: .clean,
                          enclosedWork: false, branch: .mergedOurs, force: false, forceDelete: false)
            change(&row)
            return RemovalPolicy.decide(row.facts, RemovalOptions(force: row.force, forceDelete: row.forceDelete)).outcome
        }
        #expect(outcome { _ in } == .removed)
        #expect(outcome { $0.status = .paused } == .keptActive)
        #expect(outcome { $0.locked = true; $0.force = true; $0.forceDelete = true } == .keptLocked)
        #expect(outcome { $0.claimed = true } == .keptClaimed)
        #expect(outcome { $0.head = .otherBranch } == .keptMismatch)
        #expect(outcome { $0.linked = false } == .keptMismatch)
        #expect(outcome { $0.mounted = true; $0.force = true } == .keptMounted)
        #expect(outcome { $0.dirt = .hidden } == .keptDirty)
        #expect(outcome { $0.enclosedWork = true; $0.force = true } == .keptDirty)
        #expect(outcome { $0.branch = .unmergedOurs } == .keptUnmerged)
        #expect(outcome { $0.head = .detachedUnmerged } == .keptUnmerged)
    }

    @Test func aLeftoverFolderIsRemovedOnlyWhenItHoldsNothingElse() {
        var facts = RemovalFacts(sessionStatus: .complete, claimedBranch: "feat/x")
        facts.branch = BranchFacts(name: "feat/x", tip: CommitFacts(commit: Self.tip, merged: .ancestor), createdByPPDS: true)
        facts.folderWithoutEntry = LeftoverFolder(path: "/w/x", removable: false)
        #expect(RemovalPolicy.decide(facts, RemovalOptions(force: true, forceDelete: true)).outcome == .keptMismatch)
        facts.folderWithoutEntry?.removable = true
        let decision = RemovalPolicy.decide(facts, RemovalOptions())
        #expect(decision.outcome == .removed && decision.removeLeftoverFolder)
    }

    @Test func factsThatCouldNotBeGatheredRemoveNothing() {
        var facts = RemovalFacts(sessionStatus: .complete, claimedBranch: "feat/x")
        facts.gatheringProblem = "could not open the repository"
        let decision = RemovalPolicy.decide(facts, RemovalOptions(force: true, forceDelete: true))
        #expect(decision.outcome == .failed && !decision.removeSession && !decision.removeWorktree)
    }

    @Test func aBaseThatCannotBeUsedFailsWithoutRemoving() {
        var facts = RemovalFacts(sessionStatus: .complete, claimedBranch: "feat/x")
        facts.branch = BranchFacts(name: "feat/x", tip: CommitFacts(commit: Self.tip), createdByPPDS: true)
        facts.baseProblem = "the base 'feat/x' is the branch itself"
        let decision = RemovalPolicy.decide(facts, RemovalOptions(force: true, forceDelete: true))
        #expect(decision.outcome == .failed && !decision.deleteBranch)
    }
}
