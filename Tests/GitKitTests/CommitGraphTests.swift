import Foundation
import Testing
import TestSupport
@testable import GitKit
import Support

/// ppds's reading of git's commit-graph: the same answers as without it and as `git` itself, on
/// the benchmarks' long history (squashes, merges, rebases, unmerged branches), with the graph
/// current, older than the refs, split into a chain, and with changed-path Bloom filters.
@Suite(.serialized) struct CommitGraphTests {
    let folder = TemporaryFolder()
    let repo: String

    /// The benchmarks' history fixture, shortened: 3,100 commits on main and 60 branches.
    init() throws {
        repo = folder.path + "/history"
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Benchmarks/make-history-fixture.sh").path
        try runProcess("/bin/bash", [script, repo, "3100", "60"]).check()
    }

    @discardableResult
    func git(_ arguments: String...) throws -> String {
        try runProcess("/usr/bin/git", ["-C", repo] + arguments).check().stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    var branches: [String] {
        get throws {
            try git("for-each-ref", "--format=%(refname:short)", "refs/heads/").split(separator: "\n").map(String.init).filter { $0 != "main" }
        }
    }

    var expected: [String: Bool] {
        get throws {
            var result: [String: Bool] = [:]
            for line in try String(contentsOfFile: repo + "/expected.tsv", encoding: .utf8).split(separator: "\n") {
                let fields = line.split(separator: "\t")
                result[String(fields[0])] = fields[1] == "merged"
            }
            return result
        }
    }

    /// Every branch's answer, through one detector (as `merged` does) and one detector per
    /// branch (as a single-branch check does).
    func answers(graph: Bool, expectGraph: Bool? = nil) throws -> [String: MergeCheck?] {
        let repository = try Repository.open(at: repo)
        let main = try repository.resolveCommit("main")
        let shared = MergeDetector(repository: repository, useCommitGraph: graph)
        #expect(shared.usesCommitGraph == (expectGraph ?? graph))
        var result: [String: MergeCheck?] = [:]
        for branch in try branches {
            let tip = try repository.resolveCommit(branch)
            let check = try shared.check(tip: tip, base: main)
            #expect(try MergeDetector(repository: repository, useCommitGraph: graph).check(tip: tip, base: main) == check, "\(branch)")
            result[branch] = check
        }
        return result
    }

    /// Merge bases and `rev-list main ^<merge base>` from the graph walker equal git's own.
    func walkerMatchesGit() throws {
        let repository = try Repository.open(at: repo)
        let graph = try #require(CommitGraph.load(commonDir: repository.commonDir, repository: repository))
        let walker = GraphHistory(graph: graph, repository: repository)
        let main = try repository.resolveCommit("main")
        let mainNode = try #require(try walker.node(main))
        for branch in try branches {
            let tip = try repository.resolveCommit(branch)
            let tipNode = try #require(try walker.node(tip))
            guard case .found(let node)? = walker.mergeBase(tipNode, mainNode) else {
                Issue.record("no merge base for \(branch)")
                continue
            }
            #expect(walker.id(node).hex == (try git("merge-base", "main", branch)), "\(branch)")
            let since = try #require(walker.commits(from: mainNode, excluding: node)).map { walker.id($0).hex }
            let gits = try git("rev-list", "main", "^" + walker.id(node).hex).split(separator: "\n").map(String.init)
            #expect(Set(since) == Set(gits) && since.count == gits.count, "\(branch)")
            let own = try #require(walker.commits(from: tipNode, excluding: node)).map { walker.id($0).hex }
            #expect(Set(own) == Set(try git("rev-list", branch, "^" + walker.id(node).hex).split(separator: "\n").map(String.init)))
        }
    }

    @Test func sameAnswersWithAndWithoutTheGraphAndAsExpected() throws {
        let without = try answers(graph: false)
        try git("commit-graph", "write", "--reachable", "--changed-paths")
        let with = try answers(graph: true)
        #expect(with == without)
        for (branch, merged) in try expected {
            #expect((with[branch] ?? nil != nil) == merged, "\(branch): \(String(describing: with[branch]))")
        }
        try walkerMatchesGit()
    }

    @Test func aGraphOlderThanTheRefsStillAnswersTheSame() throws {
        try git("commit-graph", "write", "--reachable")
        // New work after the graph: main moves on, a branch gains a commit, one is merged.
        try git("checkout", "-q", "-b", "late", "open-3")
        try "late\n".write(toFile: repo + "/late.txt", atomically: true, encoding: .utf8)
        try git("add", "late.txt")
        try git("commit", "-q", "-m", "late work")
        try git("checkout", "-q", "main")
        try "main\n".write(toFile: repo + "/main-late.txt", atomically: true, encoding: .utf8)
        try git("add", "main-late.txt")
        try git("commit", "-q", "-m", "main moves after the graph")
        try git("merge", "-q", "--no-ff", "-m", "merge late", "open-4")
        let with = try answers(graph: true)
        #expect(with == (try answers(graph: false)))
        #expect(with["open-4"] == .ancestor)
        #expect(with["late"] ?? nil == nil)
        try walkerMatchesGit()
    }

    @Test func aSplitChainAnswersTheSame() throws {
        try git("commit-graph", "write", "--reachable", "--split", "--changed-paths")
        try git("checkout", "-q", "main")
        try "more\n".write(toFile: repo + "/more.txt", atomically: true, encoding: .utf8)
        try git("add", "more.txt")
        try git("commit", "-q", "-m", "another layer")
        try git("commit-graph", "write", "--reachable", "--split=no-merge", "--changed-paths")
        #expect(FileManager.default.fileExists(atPath: repo + "/.git/objects/info/commit-graphs/commit-graph-chain"))
        let repository = try Repository.open(at: repo)
        let graph = try #require(CommitGraph.load(commonDir: repository.commonDir))
        #expect(graph.layers.count == 2)
        #expect(try answers(graph: true) == (try answers(graph: false)))
        try walkerMatchesGit()
    }

    /// No false "unchanged": every path a commit changes (and each folder above it) is in its
    /// filter, non-ASCII names included (version 1 filters hash bytes as signed chars).
    @Test func bloomFiltersHoldEveryChangedPath() throws {
        try git("checkout", "-q", "main")
        for name in ["ünïcödé/fïlé.txt", "日本/語.swift", "a/b/c/d.txt"] {
            let path = repo + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try "x\n".write(toFile: path, atomically: true, encoding: .utf8)
            try git("add", "--", name)
            try git("commit", "-q", "-m", "add \(name)")
        }
        try git("commit-graph", "write", "--reachable", "--changed-paths")
        let repository = try Repository.open(at: repo)
        let graph = try #require(CommitGraph.load(commonDir: repository.commonDir))
        #expect(graph.hasBloomFilters)
        let log = try git("-c", "core.quotePath=false", "log", "--first-parent", "--format=@%H", "--name-only", "-n", "300", "main")
        var commit: Int?
        var checked = 0, ruledOut = 0
        for line in log.split(separator: "\n") {
            if line.hasPrefix("@") {
                commit = graph.position(of: try #require(ObjectID(hex: String(line.dropFirst()))))
                continue
            }
            guard let commit else { continue }
            var path = Substring(line)
            while !path.isEmpty {
                #expect(graph.mayHaveChanged(Array(path.utf8), at: commit) != false, "\(path)")
                checked += 1
                path = path.lastIndex(of: "/").map { path[..<$0] } ?? ""
            }
            // A path nobody ever changed is ruled out almost always.
            if graph.mayHaveChanged(Array("never/changed/\(checked).txt".utf8), at: commit) == false { ruledOut += 1 }
        }
        #expect(checked > 300)
        #expect(ruledOut > 250)
    }

    @Test func noGraphWhereGitWouldNotUseOne() throws {
        try git("commit-graph", "write", "--reachable")
        let repository = try Repository.open(at: repo)
        #expect(CommitGraph.load(commonDir: repository.commonDir, repository: repository) != nil)
        try git("config", "core.commitGraph", "false")
        #expect(CommitGraph.load(commonDir: repository.commonDir, repository: try Repository.open(at: repo)) == nil)
        try git("config", "core.commitGraph", "true")
        try git("replace", "open-1", "open-2")
        #expect(CommitGraph.load(commonDir: repository.commonDir, repository: try Repository.open(at: repo)) == nil)
        try git("replace", "-d", "open-1")
        // A damaged file is not used: truncated in its chunk table.
        let path = repo + "/.git/objects/info/commit-graph"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try FileManager.default.removeItem(atPath: path)
        try bytes.prefix(64).write(to: URL(fileURLWithPath: path))
        #expect(CommitGraph.load(commonDir: repository.commonDir, repository: try Repository.open(at: repo)) == nil)
        #expect(try answers(graph: true, expectGraph: false) == (try answers(graph: false)))
    }
}
