import Foundation
import Support
import Agents
import Forge
import LifecycleCore
import Replication

/// The demo's stand-in for gh: a script on PATH that prints recorded JSON of gh's real shapes
/// (`gh issue list --json number,title,labels,assignees,updatedAt,url`, `gh pr view <url> --json
/// state,isDraft,reviewDecision,statusCheckRollup,mergedAt,mergeCommit,headRefName`), from files
/// the demo writes as its story goes on: no network, and nothing from outside the demo's folder.
struct DemoForge {
    let folder: String

    var bin: String { folder + "/bin" }

    func install(issues: [(Int, String, [String])]) throws {
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        let data = folder + "/forge"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let script = """
            #!/bin/sh
            # ppds demo: a stand-in for gh, answering from \(data)
            case "$1 $2" in
              "issue list") cat '\(data)/issues.json' ;;
              "pr view") n=${3##*/}; if [ -e "\(data)/pr-$n.json" ]; then cat "\(data)/pr-$n.json"; else echo "no pull requests found for $3" >&2; exit 1; fi ;;
              *) echo "the demo's gh does not know '$1 $2'" >&2; exit 1 ;;
            esac

            """
        try script.write(toFile: bin + "/gh", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin + "/gh")
        let list: [JSONValue] = issues.enumerated().map { index, issue in
            .object(["number": .int(Int64(issue.0)), "title": .string(issue.1), "assignees": .array([]),
                     "labels": .array(issue.2.map { .object(["name": .string($0)]) }),
                     "updatedAt": .string("2026-12-0\(index + 1)T09:00:00Z"),
                     "url": .string("https://github.com/example/shop/issues/\(issue.0)")])
        }
        try JSONWriter.write(.array(list)).write(toFile: data + "/issues.json", atomically: true, encoding: .utf8)
        // The demo's own gh comes first on this process's PATH (and so for what it runs).
        setenv("PATH", bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"), 1)
    }

    /// Records the forge's answer about PR `number`: open with its checks, or merged.
    func pullRequest(_ number: Int, branch: String, review: String, checks: [(String, String)], merged: Bool = false) throws {
        let rollup: [JSONValue] = checks.map { name, conclusion in
            .object(["__typename": .string("CheckRun"), "name": .string(name), "status": .string("COMPLETED"), "conclusion": .string(conclusion),
                     "workflowName": .string("CI")])
        }
        let pr: JSONValue = .object([
            "state": .string(merged ? "MERGED" : "OPEN"), "isDraft": .bool(false), "reviewDecision": .string(review),
            "statusCheckRollup": .array(rollup), "headRefName": .string(branch),
            "mergedAt": merged ? .string("2026-12-07T12:00:00Z") : .null,
            "mergeCommit": merged ? .object(["oid": .string("4f2c3e1d9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d")]) : .null,
        ])
        try JSONWriter.write(pr).write(toFile: folder + "/forge/pr-\(number).json", atomically: true, encoding: .utf8)
    }
}
