import ArgumentParser
import Foundation
import GitKit
import Lifecycle
import SessionKit
import LifecycleCore

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

    /// The shell `--generate-completion-script [SHELL]` asks for, if that is the command.
    static func requestedShell(_ arguments: [String]) -> CompletionShell? {
        guard let first = arguments.first else { return nil }
        if first.hasPrefix("--generate-completion-script=") {
            return CompletionShell(rawValue: String(first.dropFirst("--generate-completion-script=".count)))
        }
        guard first == "--generate-completion-script" else { return nil }
        return arguments.count > 1 ? CompletionShell(rawValue: arguments[1]) : CompletionShell.autodetected()
    }

    /// The name of bash's function that adds candidates which are never expanded.
    static let literalFunction = "__ppds_add_literal_completions"

    /// swift-argument-parser's bash script hands the output of ppds's own completions to
    /// `compgen -W`, which expands each word as shell code: a branch named `x$(id>f)` would
    /// run `id` when Tab is pressed after `--base`. Here each such call reads the lines ppds
    /// prints and keeps, as literal text, those that start with the word being completed.
    /// (zsh's and fish's scripts read the lines without expanding them.)
    static func literalBash(_ script: String) -> String {
        let call = "__ppds_add_completions -W \"$(__ppds_custom_complete "
        var lines: [String] = []
        for line in script.split(separator: "\n", omittingEmptySubsequences: false) {
            guard let range = line.range(of: call), line.hasSuffix(")\"") else {
                lines.append(String(line))
                continue
            }
            let arguments = line[range.upperBound..<line.index(line.endIndex, offsetBy: -2)]
            lines.append(String(line[..<range.lowerBound]) + literalFunction + " " + arguments)
        }
        let function = """
        \(literalFunction)() {
            local completion
            while IFS='' read -r completion; do
                [[ "${completion}" == "${cur}"* ]] && COMPREPLY+=("${completion}")
            done < <(__ppds_custom_complete "${@}")
        }

        """
        var fixed = lines.joined(separator: "\n")
        if let place = fixed.range(of: "\ncomplete -o filenames -F ") {
            fixed.insert(contentsOf: "\n" + function, at: place.lowerBound)
        }
        return fixed
    }

    static let issueKind: CompletionKind = .custom { words, index, prefix in issues(words, index, prefix) }
    static let refKind: CompletionKind = .custom { words, index, prefix in refs(words, index, prefix) }
}
