import Foundation
import GitKit
import Support

/// What git itself says about a worktree, asked before a removal. libgit2 1.5.1 reads ignore
/// rules, config from the environment (`GIT_CONFIG_GLOBAL`, `GIT_CONFIG_SYSTEM`,
/// `GIT_CONFIG_COUNT`/`KEY_n`/`VALUE_n`), sparse-checkout, split and sparse indexes
/// differently from git, and every difference either lost work or kept a clean worktree
/// forever. So the judgement of "has changes" is git's own: `git status --porcelain=v2`, run
/// here (Lifecycle) rather than in GitKit, which stays a libgit2 binding without subprocesses.
enum GitJudge {
    /// The git executable, or nil when none is on PATH (then libgit2's reading is the fallback).
    static let git: String? = ProcessRunner.find("git")

    /// The environment git runs with: the user's own (so config from the environment counts),
    /// without the variables that would point it at another repository or index.
    static func environment() -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        for key in ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_PREFIX", "GIT_OBJECT_DIRECTORY",
                    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_CEILING_DIRECTORIES"] {
            env.removeValue(forKey: key)
        }
        // A status must not rewrite the worktree's index (its stat data is the worktree's).
        env["GIT_OPTIONAL_LOCKS"] = "0"
        env["LC_ALL"] = "C"
        return env
    }

    static func run(_ arguments: [String], in folder: String, input: Data? = nil) throws(PPDSError) -> String {
        guard let git else { throw PPDSError.failed("git is not on PATH") }
        let output = try ProcessRunner.run([git] + arguments, in: folder, environment: environment(), inheriting: false,
                                           input: input, timeout: 600)
        guard output.status == 0 else {
            throw PPDSError.failed("git \(arguments.first ?? "") in \(folder) failed: \(output.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return output.stdout
    }

    /// The worktree's status as git sees it: changed (staged, unstaged, conflicts, submodules),
    /// untracked (`??`, folders ending in `/`), ignored (folders ending in `/`), and edits hidden
    /// by skip-worktree or assume-unchanged. `gitlinks` are the index's submodule paths.
    static func status(of folder: String) throws(PPDSError) -> (status: WorkingTreeStatus, gitlinks: [String]) {
        let text = try run(["status", "--porcelain=v2", "-z", "--ignored=traditional", "--untracked-files=normal",
                            "--ignore-submodules=none", "--no-renames"], in: folder)
        var status = WorkingTreeStatus(changed: 0, untracked: 0)
        for record in text.split(separator: "\0", omittingEmptySubsequences: true) {
            if record.hasPrefix("? ") {
                let path = String(record.dropFirst(2))
                status.untracked += 1
                if path.hasSuffix("/") { status.untrackedFolders.append(path) }
            } else if record.hasPrefix("! ") {
                status.ignored.append(String(record.dropFirst(2)))
            } else if record.hasPrefix("1 ") || record.hasPrefix("2 ") || record.hasPrefix("u ") {
                status.changed += 1
            }
        }
        // Index entries with their tags: lower-case is assume-unchanged, `S` skip-worktree.
        let listing = try run(["ls-files", "-s", "-v", "-z"], in: folder)
        var hidden: [(path: String, id: String)] = []
        var gitlinks: [String] = []
        for record in listing.split(separator: "\0", omittingEmptySubsequences: true) {
            // "<tag> <mode> <oid> <stage>\t<path>"
            guard let tab = record.firstIndex(of: "\t") else { continue }
            let fields = record[..<tab].split(separator: " ")
            let path = String(record[record.index(after: tab)...])
            guard fields.count >= 4 else { continue }
            let tag = fields[0], mode = fields[1], id = String(fields[2])
            if mode == "160000" { gitlinks.append(path); continue }
            let isHidden = tag == "S" || (tag.count == 1 && tag.first!.isLowercase)
            guard isHidden else { continue }
            var info = stat()
            // Gone (a sparse checkout): nothing of anyone's on disk.
            guard lstat(folder + "/" + path, &info) == 0 else { continue }
            hidden.append((path, id))
        }
        if !hidden.isEmpty {
            let ids = try run(["hash-object", "--stdin-paths"], in: folder,
                              input: Data(hidden.map(\.path).joined(separator: "\n").appending("\n").utf8))
                .split(separator: "\n").map(String.init)
            for (index, entry) in hidden.enumerated() where index >= ids.count || ids[index] != entry.id {
                status.hiddenEdits.append(entry.path)
            }
        }
        status.submoduleFoldersEmpty = !gitlinks.contains { FileManager.default.fileExists(atPath: folder + "/" + $0 + "/.git") }
        return (status, gitlinks)
    }
}
