import Foundation
import Testing
import TestSupport
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

/// Session files are input, not truth: lies aimed at the fields prune and the other verbs
/// read (`worktree`, `branch`, `base`, `issue`, `repo`, `status`), then every verb. Afterwards
/// no file outside ppds's own worktrees changed, no commit became unreachable, and no other
/// session's file was written.
@Suite struct AdversarialSessionTests {
    @Test func liesInSessionFilesNeverLoseWorkOrTouchOthers() throws {
        let fixture = try GitFixture()
        let outside = fixture.folder.file("project")
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try "lock\n".write(toFile: outside + "/Cargo.lock", atomically: true, encoding: .utf8)
        try "main's work in progress\n".write(toFile: fixture.repo + "/wip.txt", atomically: true, encoding: .utf8)
        let byHand = fixture.folder.file("by-hand")
        try fixture.git("worktree", "add", "-q", "-b", "by-hand", byHand)
        try "their uncommitted work\n".write(toFile: byHand + "/theirs.txt", atomically: true, encoding: .utf8)

        let (active, activeBranch) = try fixture.started(1, title: "Active")
        try "uncommitted\n".write(toFile: active + "/mine.txt", atomically: true, encoding: .utf8)
        let (merged, mergedBranch) = try fixture.started(2, title: "Merged")
        try fixture.commit("two.txt", "two", in: merged)
        try fixture.ppds(["ship", "2", "--pr", "https://example.com/o/r/pull/2", "--force"]).check()
        try fixture.git("merge", "-q", "--no-ff", "-m", "merge two", mergedBranch)
        let (unmerged, unmergedBranch) = try fixture.started(3, title: "Unmerged")
        try fixture.commit("three.txt", "three, never merged", in: unmerged)
        try fixture.ppds(["cancel", "3"]).check()
        let link = fixture.folder.file("link-to-active")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: active)

        let sessions = fixture.home + "/sessions"
        var originals: [Int: Data] = [:]
        for issue in 1...3 { originals[issue] = try Data(contentsOf: URL(fileURLWithPath: "\(sessions)/work-\(issue).json")) }
        let protectedFolders = [fixture.repo, byHand, outside]
        let filesBefore = try snapshot(protectedFolders, skipping: [fixture.repo + "/.git"])
        let commitsBefore = try reachableCommits(fixture)

        let values: [String: [Any]] = [
            "worktree": [active, merged, unmerged, byHand, outside, fixture.repo, "/", link, "relative/path", fixture.repo + "/../repo", fixture.home],
            "branch": [activeBranch, mergedBranch, unmergedBranch, "main", "by-hand", "../../../../project/Cargo", "refs/heads/main", "-x", "HEAD"],
            "base": [activeBranch, mergedBranch, unmergedBranch, "main", "HEAD", "no-such-ref", "refs/heads/" + unmergedBranch],
            "issue": ["#1", "#2", "#3", "#99", 7, "work-1"],
            "id": ["work-1", "work-2", "work-3"],
            "repo": [fixture.repo, fixture.repo + "/", outside, "/", byHand],
            "status": ["complete", "cancelled", "pr_ready", "working"],
        ]
        let verbs: [[String]] = [
            ["prune"], ["prune", "--all"], ["prune", "--force"], ["prune", "--all", "--force"], ["doctor", "--fix"],
            ["update", "ISSUE", "--status", "working"], ["guide", "ISSUE", "a message"], ["pause", "ISSUE"], ["resume", "ISSUE"],
            ["ship", "ISSUE", "--pr", "https://example.com/o/r/pull/9"], ["cancel", "ISSUE", "--remove"], ["cancel", "ISSUE", "--remove", "--force"],
        ]
        var random = SeededRandom(seed: 9)
        let fields = values.keys.sorted()
        // The lies that once worked, then random ones.
        let targeted: [(issue: Int, lie: [String: Any], verbs: [[String]])] = [
            (3, ["issue": "#1"], verbs.filter { $0.contains("ISSUE") }),
            (3, ["issue": "#1", "id": "work-1"], verbs.filter { $0.contains("ISSUE") }),
            (3, ["base": unmergedBranch, "status": "complete"], [["prune"], ["prune", "--force"]]),
            (3, ["worktree": active, "status": "complete"], [["prune", "--force"], ["cancel", "ISSUE", "--remove", "--force"]]),
            (3, ["worktree": link, "status": "complete"], [["prune", "--force"]]),
            (3, ["worktree": byHand, "branch": "by-hand", "status": "complete"], [["prune", "--force"], ["prune", "--all", "--force"]]),
            (1, ["repo": outside], [["prune", "--all", "--force"], ["doctor", "--fix"]]),
        ]
        for round in 0..<(targeted.count + 48) {
            let issue = round < targeted.count ? targeted[round].issue : [1, 3, 2][round % 3]
            var json = try #require(try JSONSerialization.jsonObject(with: originals[issue]!) as? [String: Any])
            if round < targeted.count {
                for (key, value) in targeted[round].lie { json[key] = value }
            } else {
                // One or two lies, and most often a terminal status so prune takes the bait.
                for _ in 0..<Int.random(in: 1...2, using: &random) {
                    let field = fields.randomElement(using: &random)!
                    json[field] = values[field]!.randomElement(using: &random)!
                }
                if Bool.random(using: &random) { json["status"] = "complete" }
            }
            let file = "\(sessions)/work-\(issue).json"
            try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: file))
            // #1 and #3 keep their worktrees, so nothing but a lie can change their files.
            let others = [1, 3].filter { $0 != issue }
            var othersBefore: [Int: Data] = [:]
            for other in others { othersBefore[other] = try Data(contentsOf: URL(fileURLWithPath: "\(sessions)/work-\(other).json")) }

            let chosen = round < targeted.count ? targeted[round].verbs : Array(verbs.shuffled(using: &random).prefix(4))
            for verb in chosen {
                let arguments = verb.map { $0 == "ISSUE" ? String(issue) : $0 }
                let result = try fixture.ppds(arguments)
                #expect([0, 1, 2, 64].contains(result.status), "round \(round) \(arguments): exit \(result.status) \(result.stderr)")
            }
            for other in others {
                let now = try? Data(contentsOf: URL(fileURLWithPath: "\(sessions)/work-\(other).json"))
                #expect(now == othersBefore[other], "round \(round): work-\(other).json changed while work-\(issue).json lied: \(json)")
            }
            #expect(try snapshot(protectedFolders, skipping: [fixture.repo + "/.git"]) == filesBefore, "round \(round): \(json)")
            let commitsNow = try reachableCommits(fixture)
            #expect(commitsBefore.isSubset(of: commitsNow), "round \(round): lost \(commitsBefore.subtracting(commitsNow)) after \(json)")
            // Put the truth back (doctor may have moved the lying file aside).
            try originals[issue]!.write(to: URL(fileURLWithPath: file))
        }
        #expect(FileManager.default.fileExists(atPath: outside + "/Cargo.lock"))
        #expect(FileManager.default.fileExists(atPath: byHand + "/theirs.txt"))
        #expect(try fixture.branchExists(unmergedBranch))
    }

    /// Every file under the folders with its bytes (symlinks by target).
    func snapshot(_ folders: [String], skipping: [String]) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for folder in folders {
            guard let walker = FileManager.default.enumerator(atPath: folder) else { continue }
            while let relative = walker.nextObject() as? String {
                let path = folder + "/" + relative
                if skipping.contains(where: { path == $0 || path.hasPrefix($0 + "/") }) { walker.skipDescendants(); continue }
                if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                    files[path] = Data(target.utf8)
                } else if let data = FileManager.default.contents(atPath: path) {
                    files[path] = data
                }
            }
        }
        return files
    }

    /// Every commit reachable from any ref, any worktree's HEAD, or the main HEAD.
    func reachableCommits(_ fixture: GitFixture) throws -> Set<String> {
        var heads = ["--all"]
        for path in try fixture.worktreePaths() {
            if let head = try? fixture.git("rev-parse", "--verify", "-q", "HEAD", in: path), !head.isEmpty { heads.append(head) }
        }
        return Set(try fixture.git(["rev-list"] + heads).split(separator: "\n").map(String.init))
    }
}

extension GitFixture {
    @discardableResult
    func git(_ arguments: [String], in directory: String? = nil) throws -> String {
        try runProcess("/usr/bin/git", arguments, in: directory ?? repo).check().stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
