import Foundation
import Config
import GitKit
import SessionKit
import Support

/// Title, labels and the names derived from them.
public struct IssueInfo: Sendable, Equatable {
    public var issue: IssueNumber
    public var title: String?
    public var labels: [String]

    public init(issue: IssueNumber, title: String? = nil, labels: [String] = []) {
        self.issue = issue
        self.title = title
        self.labels = labels
    }
}

public enum Naming {
    public static let maxSlugLength = 40

    /// The title in lower-case kebab ASCII, at most about 40 characters, cut at a word
    /// boundary; `issue-<n>` when nothing is left. Only `[a-z0-9-]` survives, so a title can
    /// never add a path separator, `..`, or anything a shell would act on.
    public static func slug(_ title: String?, issue: IssueNumber) -> String {
        let folded = (title ?? "").folding(options: [.diacriticInsensitive, .caseInsensitive, .widthInsensitive],
                                           locale: Locale(identifier: "en_US_POSIX")).lowercased()
        var out = ""
        for scalar in folded.unicodeScalars {
            if scalar.isASCII && (("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)) {
                out.unicodeScalars.append(scalar)
            } else if !out.isEmpty && !out.hasSuffix("-") {
                out += "-"
            }
        }
        while out.hasSuffix("-") { out.removeLast() }
        if out.count > maxSlugLength {
            let cut = String(out.prefix(maxSlugLength + 1))
            if let boundary = cut.lastIndex(of: "-"), cut.distance(from: cut.startIndex, to: boundary) >= 12 {
                out = String(cut[..<boundary])
            } else {
                out = String(out.prefix(maxSlugLength))
            }
            while out.hasSuffix("-") { out.removeLast() }
        }
        return out.isEmpty ? "issue-\(issue.value)" : out
    }

    /// The first word of a title that names a type (the word's leading letters, any case).
    public static let titleWordTypes: [String: String] = [
        "fix": "fix", "bug": "fix", "crash": "fix", "broken": "fix",
        "docs": "docs", "doc": "docs", "documentation": "docs", "readme": "docs",
        "chore": "chore", "bump": "chore", "cleanup": "chore", "refactor": "chore",
    ]

    /// `--type`, else the first label with a known type, else the title's first word
    /// (`titleWordTypes`), else the configured default, else `feat`.
    public static func type(given: String?, labels: [String], title: String? = nil, config: Config) -> String {
        if let given { return given }
        for label in labels {
            if let type = config.labelTypes[label.lowercased()] { return type }
        }
        if let type = typeFromTitle(title) { return type }
        return config.defaultType ?? "feat"
    }

    /// The type the title's first word names ("Fix the cart" → fix, "Docs: …" → docs), if any.
    public static func typeFromTitle(_ title: String?) -> String? {
        guard let title else { return nil }
        let word = title.drop { !$0.isLetter }.prefix { $0.isASCII && $0.isLetter }.lowercased()
        return titleWordTypes[word]
    }

    /// A type goes into branch names and paths: the same characters as a slug.
    public static func isValidType(_ type: String) -> Bool {
        !type.isEmpty && type.count <= 20 && type.unicodeScalars.allSatisfy {
            $0.isASCII && (("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_")
        }
    }

    /// Fills `{type}`, `{slug}`, `{issue}`, `{repo}` and `{parent}`.
    public static func render(_ template: String, type: String, slug: String, issue: IssueNumber, repoRoot: String) -> String {
        let url = URL(fileURLWithPath: repoRoot)
        return template
            .replacingOccurrences(of: "{type}", with: type)
            .replacingOccurrences(of: "{slug}", with: slug)
            .replacingOccurrences(of: "{issue}", with: String(issue.value))
            .replacingOccurrences(of: "{repo}", with: url.lastPathComponent)
            .replacingOccurrences(of: "{parent}", with: url.deletingLastPathComponent().path)
    }

    /// The worktree admin name for a folder: its last component, in plain characters.
    public static func adminName(for path: String) -> String {
        var name = ""
        for scalar in (path as NSString).lastPathComponent.unicodeScalars {
            let plain = scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || scalar == "-" || scalar == "_")
            name.unicodeScalars.append(plain ? scalar : "-")
        }
        while name.hasPrefix("-") || name.hasPrefix(".") { name.removeFirst() }
        return name.isEmpty ? "worktree" : String(name.prefix(100))
    }
}

/// Names chosen for one issue.
public struct ChosenNames: Sendable, Equatable {
    public var branch: String
    public var worktree: String
    public var adminName: String
    /// Said when the first choice was taken and a `-<n>` suffix was added.
    public var notice: String? = nil
}

/// Picks a branch, folder and admin name that nothing else holds: not git, not another
/// session, not an in-flight start. Disambiguates with `-<n>`, then `-<n>-2`, … (injective).
package struct NameChooser {
    let repository: Repository
    let config: Config
    let repoRoot: String
    let claimedBranches: Set<String>
    let claimedPaths: Set<String>

    package init(repository: Repository, config: Config, repoRoot: String, claimedBranches: Set<String>, claimedPaths: Set<String>) {
        self.repository = repository
        self.config = config
        self.repoRoot = repoRoot
        self.claimedBranches = claimedBranches
        self.claimedPaths = claimedPaths
    }

    /// `branch`, when given, is an existing branch to use as it is: only the folder is chosen.
    package func choose(issue: IssueNumber, type: String, slug: String, branch fixedBranch: String? = nil) throws(PPDSError) -> ChosenNames {
        let existingBranches = Set((try? repository.branchNames()) ?? [])
        let adminNames = Set(((try? repository.worktrees()) ?? []).map(\.name))
        var taken: [String] = []
        for attempt in 0..<50 {
            let candidate = attempt == 0 ? slug : attempt == 1 ? "\(slug)-\(issue.value)" : "\(slug)-\(issue.value)-\(attempt)"
            let branch = fixedBranch ?? Naming.render(config.branchTemplate, type: type, slug: candidate, issue: issue, repoRoot: repoRoot)
            let rendered = Naming.render(config.worktreeTemplate, type: type, slug: candidate, issue: issue, repoRoot: repoRoot)
            guard Repository.isValidBranchName(branch) else {
                throw PPDSError.failed("\(issue.tag): the branch template gives '\(branch)', which is not a valid branch name")
            }
            guard rendered.hasPrefix("/"), !rendered.split(separator: "/").contains("..") else {
                throw PPDSError.failed("\(issue.tag): the worktree template gives '\(rendered)', which is not an absolute path without '..'")
            }
            let path = URL(fileURLWithPath: rendered).standardizedFileURL.path
            try WorktreePlacement.check(path, config: config, repoRoot: repoRoot, issue: issue)
            let branchTaken = fixedBranch == nil && existingBranches.contains(branch) || claimedBranches.contains(branch) || conflictsByPrefix(branch, existingBranches)
            let pathTaken = claimedPaths.contains(canonicalPath(path)) || FileManager.default.fileExists(atPath: path)
                || (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil
            if branchTaken || pathTaken {
                if attempt == 0 {
                    if branchTaken { taken.append("branch \(branch)") }
                    if pathTaken { taken.append("folder \(path)") }
                }
                continue
            }
            var admin = Naming.adminName(for: path)
            var suffix = 2
            while adminNames.contains(admin) || FileManager.default.fileExists(atPath: repository.worktreesAdminDir + "/" + admin) {
                admin = Naming.adminName(for: path) + "-\(suffix)"
                suffix += 1
            }
            var notice: String?
            if !taken.isEmpty {
                notice = taken.joined(separator: " and ") + (taken.count == 1 ? " was" : " were") + " taken; using "
                    + [taken.contains { $0.hasPrefix("branch ") } && fixedBranch == nil ? branch : nil,
                       taken.contains { $0.hasPrefix("folder ") } ? path : nil].compactMap { $0 }.joined(separator: " and ")
            }
            return ChosenNames(branch: branch, worktree: path, adminName: admin, notice: notice)
        }
        throw PPDSError.failed("\(issue.tag): no free branch or folder name after 50 attempts")
    }

    /// `feat/x` cannot be created when `feat/x/y` or `feat` exists (refs are files).
    private func conflictsByPrefix(_ branch: String, _ existing: Set<String>) -> Bool {
        existing.contains { $0.hasPrefix(branch + "/") || branch.hasPrefix($0 + "/") }
    }
}

/// Where a worktree may go. A path is handed to other programs (tmux, shells, editors), so it
/// never holds `#` or a control character, whatever template made it. A path made from an
/// untrusted repository's `worktree` template must stay under the folders the user allows
/// (`worktree_roots` in `$PPDS_HOME/config.toml`; by default the repository's parent folder),
/// after resolving the symlinks of the folders that exist, and may not pass through a hidden
/// folder below them (`~/.vim/pack/…`, `~/.config/autostart/…`).
public enum WorktreePlacement {
    public static func check(_ path: String, config: Config, repoRoot: String, issue: IssueNumber) throws(PPDSError) {
        if let bad = path.unicodeScalars.first(where: { $0 == "#" || $0.value < 0x20 || $0.value == 0x7f }) {
            throw PPDSError.refused("\(issue.tag): the worktree path '\(TerminalText.escaped(path))' holds '\(bad.escaped(asASCII: true))', which tmux reads as a format and shells as a comment; choose a worktree template (or a folder) without it")
        }
        guard config.worktreeFromRepository && !config.repositoryCommandsTrusted else { return }
        let roots = (config.worktreeRoots.isEmpty ? [(repoRoot as NSString).deletingLastPathComponent] : config.worktreeRoots).map(canonicalPath)
        let file = config.repositoryFile ?? ".ppds.toml"
        let advice = "allow a folder with worktree_roots in $PPDS_HOME/config.toml, set worktree there, or review \(file) and run 'ppds trust'"
        guard let resolved = resolvingExisting(path) else {
            throw PPDSError.refused("\(issue.tag): \(file)'s worktree template gives \(TerminalText.escaped(path)), whose folders cannot be resolved (a dangling symbolic link?); \(advice)")
        }
        guard let root = roots.first(where: { resolved.hasPrefix($0 == "/" ? "/" : $0 + "/") }) else {
            throw PPDSError.refused("\(issue.tag): \(file)'s worktree template gives \(TerminalText.escaped(path))\(resolved == path ? "" : " (\(TerminalText.escaped(resolved)) once links are followed)"), outside the folders allowed for worktrees (\(roots.joined(separator: ", "))); \(advice)")
        }
        let below = resolved.dropFirst(root == "/" ? 1 : root.count + 1).split(separator: "/")
        if let hidden = below.first(where: { $0.hasPrefix(".") }) {
            throw PPDSError.refused("\(issue.tag): \(file)'s worktree template gives \(TerminalText.escaped(resolved)), through the hidden folder '\(TerminalText.escaped(String(hidden)))' under \(root); \(advice)")
        }
        // Under the default root (the repository's parent, often the home folder), only under a
        // folder named after the repository: never '~/bin', '~/go/bin' or '/usr/lib/…', where a
        // checkout would be run or loaded by other programs.
        if config.worktreeRoots.isEmpty {
            let repoName = (canonicalPath(repoRoot) as NSString).lastPathComponent
            let name = below.first.map(String.init) ?? ""
            let prefixed = [repoName + "-", repoName + "_", repoName + "."].contains { name.hasPrefix($0) && name.count > $0.count }
            guard prefixed else {
                throw PPDSError.refused("\(issue.tag): \(file)'s worktree template gives \(TerminalText.escaped(resolved)); an untrusted repository's worktree goes in \(root) under a folder named after the repository ('\(TerminalText.escaped(repoName))-…' or '\(TerminalText.escaped(repoName)).…'); \(advice)")
            }
        }
        // Nor into another repository's work tree (its files would gain the checkout).
        let ownRoot = canonicalPath(repoRoot)
        var folder = root == "/" ? "" : root
        for part in below.dropLast() {
            folder += "/" + part
            var info = stat()
            guard lstat(folder, &info) == 0 else { break }
            if folder != ownRoot && lstat(folder + "/.git", &info) == 0 {
                throw PPDSError.refused("\(issue.tag): \(file)'s worktree template gives \(TerminalText.escaped(resolved)), inside another repository (\(TerminalText.escaped(folder))); \(advice)")
            }
        }
    }

    /// The path with its longest existing prefix resolved by `realpath` (symlinks followed),
    /// the rest as is; nil when that prefix cannot be resolved (a dangling link).
    static func resolvingExisting(_ path: String) -> String? {
        var head = path
        var tail: [String] = []
        while head != "/" && !head.isEmpty {
            var info = stat()
            if lstat(head, &info) == 0 { break }
            tail.insert((head as NSString).lastPathComponent, at: 0)
            head = (head as NSString).deletingLastPathComponent
        }
        guard let real = realpath(head.isEmpty ? "/" : head, nil) else { return nil }
        defer { free(real) }
        let base = String(cString: real)
        return tail.isEmpty ? base : (base == "/" ? "" : base) + "/" + tail.joined(separator: "/")
    }
}
