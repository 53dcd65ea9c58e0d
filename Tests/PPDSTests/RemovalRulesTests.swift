import Testing
import GitKit
import Lifecycle
import SessionKit
import View

/// Issue 20: the policy owns every removal rule and their order, and says why in types. In
/// process, without git: each test runs in milliseconds.
@Suite struct RemovalRulesTests {
    typealias Row = RemovalPolicyTests.Row

    /// What `Prune.facts` knows before it reads the worktree or the history.
    static func cheapPart(_ facts: RemovalFacts) -> RemovalFacts {
        var cheap = RemovalFacts(sessionStatus: facts.sessionStatus, claimedBranch: facts.claimedBranch)
        cheap.otherClaimants = facts.otherClaimants
        cheap.fetchedThisRun = facts.fetchedThisRun
        if let worktree = facts.worktree {
            cheap.worktree = WorktreeFacts(name: worktree.name, path: worktree.path, state: worktree.state, head: worktree.head)
            cheap.worktree?.lockReason = worktree.lockReason
        }
        return cheap
    }

    /// Stopping the gathering where the first rules decide never changes a decision: the
    /// order of the rules lives in the policy only.
    @Test func stoppingAtTheCheapRulesDecidesAsTheWholePolicy() {
        var early = 0
        for row in RemovalPolicyTests.rows {
            let options = RemovalOptions(force: row.force, forceDelete: row.forceDelete)
            let cheap = Self.cheapPart(row.facts)
            if RemovalPolicy.decideOnCheapFacts(cheap) != nil {
                early += 1
                #expect(RemovalPolicy.decide(cheap, options) == RemovalPolicy.decide(row.facts, options), "\(row)")
            } else {
                #expect(RemovalPolicy.decideOnCheapFacts(row.facts) == nil, "\(row)")
            }
        }
        #expect(early > 1_000)
    }

    @Test func everyRefusalNamesItsRule() {
        func reason(_ change: (inout Row) -> Void) -> RemovalReason {
            var row = Row(status: .complete, locked: false, claimed: false, head: .ownBranch, linked: true, mounted: false, dirt: .clean,
                          enclosedWork: false, branch: .mergedOurs, force: false, forceDelete: false)
            change(&row)
            return RemovalPolicy.decide(row.facts, RemovalOptions(force: row.force, forceDelete: row.forceDelete)).reason
        }
        #expect(reason { _ in } == .removable(.init(evidence: .merged(.ancestor, into: nil))))
        #expect(reason { $0.branch = .mergedNotOurs } == .removable(.init(evidence: .merged(.patchID, into: nil), keptBranch: "feat/x")))
        #expect(reason { $0.branch = .unmergedOurs; $0.forceDelete = true } == .removable(.init(evidence: .forced)))
        #expect(reason { $0.branch = .gone } == .removable(.init(evidence: .branchGone)))
        #expect(reason { $0.status = .paused } == .sessionActive(.paused))
        #expect(reason { $0.locked = true; $0.force = true; $0.forceDelete = true } == .locked("on a USB disk"))
        #expect(reason { $0.claimed = true } == .claimedByOthers([IssueNumber(2)!]))
        #expect(reason { $0.head = .otherBranch } == .otherBranchCheckedOut(checkedOut: "someone/else", claimed: "feat/x"))
        #expect(reason { $0.head = .unknown } == .headUnreadable)
        #expect(reason { $0.linked = false } == .notLinkedToEntry(path: "/w/x"))
        #expect(reason { $0.mounted = true; $0.force = true } == .mounted(at: "/w/x/volume"))
        #expect(reason { $0.dirt = .changed }.kind == "dirty")
        #expect(reason { $0.dirt = .hidden; $0.force = true; $0.branch = .mergedNotOurs }.kind == "dirtyNotProvablyOurs")
        #expect(reason { $0.enclosedWork = true; $0.force = true } == .enclosedWork(["/w/x/sub/.git"]))
        #expect(reason { $0.branch = .unmergedOurs }.kind == "branchUnmerged")
        #expect(reason { $0.head = .detachedUnmerged }
            == .detachedHeadUnmerged(commit: RemovalPolicyTests.head, base: "its base", matchesIgnoringWhitespace: false))
    }

    @Test func overridesAreNamedWhereTheyExistAndOnlyThere() {
        #expect(PruneText.describe(.dirty(summary: "1 changed")).contains("--force removes it"))
        #expect(!PruneText.describe(.dirtyNotProvablyOurs(summary: "1 changed")).contains("--force removes"))
        #expect(PruneText.describe(.enclosedWork(["/w/x/sub/.git"])).contains("--force --force-delete"))
        #expect(PruneText.describe(.privateCommits(["refs/worktree/x"])).contains("--force-delete"))
        #expect(PruneText.describe(.tooNew(branch: "feat/x")).contains("--min-age 0s"))
        #expect(!PruneText.describe(.locked("")).contains("--"))
        let fetched = RemovalReason.UnmergedBranch(branch: "feat/x", base: "main", unpushed: "1 commit not on the base, never pushed",
                                                   matchesIgnoringWhitespace: false, baseNote: nil, fetchedThisRun: true)
        // Advice never repeats the flag just used.
        #expect(!PruneText.describe(.branchUnmerged(fetched)).contains("--fetch"))
        #expect(PruneText.describe(.branchUnmerged(fetched)).contains("--base REF"))
    }

    @Test func aRemovalSaysHowToUndoIt() {
        let removal = RemovalReason.Removal(evidence: .merged(.sameCommit, into: "main"), keptBranch: nil,
                                            restore: .init(name: "11", until: "2026-02-01T00:00:00Z"))
        #expect(PruneText.describe(.removable(removal))
            == "merged (the same commit) into main; restore with 'ppds restore 11' until 2026-02-01T00:00:00Z")
    }

    @Test func mostFoldersMissingStopsTheRun() {
        #expect(!RemovalPolicy.mostFoldersMissing(missing: 1, of: 1))
        #expect(!RemovalPolicy.mostFoldersMissing(missing: 2, of: 4))
        #expect(RemovalPolicy.mostFoldersMissing(missing: 2, of: 3))
        #expect(RemovalPolicy.mostFoldersMissing(missing: 5, of: 5))
    }

    @Test func theVantageRuleCountsOnlyFinishedFoldersNotMarkedGone() {
        func candidate(_ path: String, finished: Bool = true, gone: Bool = false, exists: Bool = false) -> VantageFacts {
            VantageFacts(finished: finished, path: path, markedGone: gone, folderExists: exists)
        }
        #expect(RemovalPolicy.vantage([candidate("/a"), candidate("/b"), candidate("/c", exists: true)])
            == VantageRefusal(missing: ["/a", "/b"], finished: 3))
        // Doctor marked them gone: they are gone, not out of sight.
        #expect(RemovalPolicy.vantage([candidate("/a", gone: true), candidate("/b", gone: true), candidate("/c", exists: true)]) == nil)
        // Active sessions are not candidates for removal: they do not count.
        #expect(RemovalPolicy.vantage([candidate("/a", finished: false), candidate("/b", finished: false), candidate("/c", exists: true)]) == nil)
        #expect(RemovalPolicy.vantage([candidate("/a"), candidate("/b", exists: true)]) == nil)
    }

    @Test func staleEntriesSpareEveryClaimAndWarnForActiveSessions() {
        let seven = IssueNumber(7)!, eight = IssueNumber(8)!
        let claims: [StaleEntryFacts.Claim] = [
            .init(issue: seven, path: "/w/7", entryName: "w-7", folderMissing: true, sessionActive: true),
            .init(issue: eight, path: "/w/8", entryName: "w-8", folderMissing: true, sessionActive: false),
        ]
        let few = RemovalPolicy.staleEntries(StaleEntryFacts(linked: 5, missingUnlocked: 2, claims: claims))
        #expect(few.prune)
        #expect(few.sparing == ["w-7", "w-8"])
        #expect(few.warnings == [.worktreeMissing(seven, path: "/w/7")])
        let most = RemovalPolicy.staleEntries(StaleEntryFacts(linked: 3, missingUnlocked: 2, claims: []))
        #expect(!most.prune)
        #expect(most.warnings == [.mostFoldersMissing(missing: 2, of: 3)])
    }
}
