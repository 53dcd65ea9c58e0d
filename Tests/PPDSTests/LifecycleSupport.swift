import Foundation
import Testing
import TestSupport
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

extension GitFixture {
    /// `ppds start-work` offline, returning the JSON results (fails the test on a crash).
    func startWork(_ arguments: [String], environment: [String: String] = [:], stdin: String? = nil) throws -> (ProcessResult, [[String: Any]]) {
        let result = try ppds(["start-work", "--offline", "--json"] + arguments, environment: environment, stdin: stdin)
        let results = (try? result.json())?["results"] as? [[String: Any]] ?? []
        return (result, results)
    }

    /// Starts one issue with a title and returns its worktree path and branch.
    @discardableResult
    func started(_ issue: Int, title: String? = nil) throws -> (worktree: String, branch: String) {
        var arguments = [String(issue)]
        if let title { arguments.append("--title=" + title) }
        let (result, results) = try startWork(arguments)
        try result.check()
        let worktree = try #require(results.first?["worktree"] as? String)
        let branch = try #require(results.first?["branch"] as? String)
        return (worktree, branch)
    }

    /// Gives the repository a bare `origin` (`<folder>/origin.git`, reached as `url` or its
    /// file:// form) that `main` tracks, as a clone of a forge would have; returns its path.
    @discardableResult
    func addBareOrigin(fileURL: Bool = true) throws -> String {
        let origin = folder.file("origin.git")
        try git("clone", "-q", "--bare", repo, origin)
        try git("remote", "add", "origin", fileURL ? "file://" + origin : origin)
        try git("fetch", "-q", "origin")
        try git("branch", "-q", "-u", "origin/main", "main")
        try git("remote", "set-head", "origin", "main")
        return origin
    }

    /// Starts `issue`, commits `file` in its worktree and ships it.
    @discardableResult
    func shipped(_ issue: Int, file: String = "feature.txt", content: String = "feature\n") throws -> (worktree: String, branch: String, commit: String) {
        let (worktree, branch) = try started(issue, title: "Work \(issue)")
        let commit = try self.commit(file, content, in: worktree)
        // Never pushed: --force ships past the guardrail (these tests are about what comes after).
        try ppds(["ship", String(issue), "--pr", "https://example.com/o/r/pull/\(issue)", "--force"]).check()
        return (worktree, branch, commit)
    }

    func prune(_ arguments: [String] = []) throws -> (ProcessResult, [String: [String: Any]]) {
        let result = try ppds(["prune", "--json"] + arguments)
        var byIssue: [String: [String: Any]] = [:]
        for item in (try? result.json())?["results"] as? [[String: Any]] ?? [] {
            byIssue[item["issue"] as? String ?? item["worktree"] as? String ?? "?"] = item
        }
        return (result, byIssue)
    }

    func sessionFileExists(_ issue: Int) -> Bool {
        FileManager.default.fileExists(atPath: home + "/sessions/work-\(issue).json")
    }

    func branchExists(_ name: String) throws -> Bool {
        try gitResult(["rev-parse", "--verify", "-q", "refs/heads/" + name]).status == 0
    }

    /// Lines of `git worktree list --porcelain` that name worktrees.
    func worktreePaths() throws -> [String] {
        try git("worktree", "list", "--porcelain").split(separator: "\n")
            .filter { $0.hasPrefix("worktree ") }.map { String($0.dropFirst(9)) }
    }

    /// Everything in the folder that holds the repository, other than the repo and PPDS_HOME.
    func siblings() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0 != "repo" && $0 != "home" }.sorted()
    }

    /// Replaces line `line` of src/app.txt and commits, in `directory`.
    func editLine(_ line: Int, _ text: String, message: String, in directory: String? = nil) throws {
        let path = (directory ?? repo) + "/src/app.txt"
        var lines = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
        lines[line - 1] = text
        try commit("src/app.txt", lines.joined(separator: "\n"), message: message, in: directory)
    }
}
