import ArgumentParser
import Foundation
import GitKit
import Lifecycle
import SessionKit

/// Shell completions that read this repository: issue numbers of its sessions, and refs for
/// `--base`. They run inside ppds when the shell asks, so each one is quick, reads only, and
/// answers nothing (never an error) when it cannot tell.
enum Completions {
    /// The `--repo` value among the words typed so far, if any.
    static func repo(in words: [String]) -> String? {
        for (index, word) in words.enumerated() {
            if word.hasPrefix("--repo=") { return String(word.dropFirst(7)) }
            if word == "--repo", index + 1 < words.count { return words[index + 1] }
        }
        return nil
    }

    static func workspace(_ words: [String]) -> Workspace? {
        let given = repo(in: words).map { ($0 as NSString).expandingTildeInPath }
        return try? Workspace.locate(repo: given)
    }

    /// This repository's session issue numbers that start with `prefix` (`#` and `work-` kept).
    static func issues(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
        guard let workspace = workspace(words) else { return [] }
        let numbers = workspace.store.list().sessions.filter { workspace.owns($0) }.map { String($0.issue.value) }
        let lead = prefix.hasPrefix("#") ? "#" : prefix.hasPrefix("work-") ? "work-" : ""
        return Array(Set(numbers)).sorted { Int($0) ?? 0 < Int($1) ?? 0 }.map { lead + $0 }.filter { $0.hasPrefix(prefix) }
    }

    /// Local and remote-tracking branch names that start with `prefix`.
    static func refs(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
        guard let workspace = workspace(words), let repository = try? workspace.openRepository() else { return [] }
        let local = (try? repository.branchNames()) ?? []
        let remote = (try? repository.remoteBranchNames()) ?? []
        return (local.sorted() + remote.sorted()).filter { $0.hasPrefix(prefix) }
    }

    static let issueKind: CompletionKind = .custom { words, index, prefix in issues(words, index, prefix) }
    static let refKind: CompletionKind = .custom { words, index, prefix in refs(words, index, prefix) }
}
