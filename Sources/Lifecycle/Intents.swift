import Foundation
#if canImport(Glibc)
import Glibc
import Config
import GitKit
import SessionKit
import Support
import LifecycleCore
#endif

/// A record written before a multi-step operation touches git, so that a process killed
/// half-way can be finished or rolled back (`ppds doctor --fix`, or a rerun).
public struct Intent: Codable, Sendable, Equatable {
    public enum Operation: String, Codable, Sendable {
        case startWork = "start-work"
        /// start-work making a deleted worktree again for an existing session: rolled back
        /// like a start, except that the session and its branch always stay.
        case recreate
        case prune

        /// The operations recovery rolls back (prune is finished instead).
        public static let rolledBack: [Operation] = [.startWork, .recreate]
    }

    public var operation: Operation
    public var issue: Int
    public var repo: String
    public var branch: String
    public var worktree: String
    public var adminName: String?
    /// start-work: the commit the branch was created at. prune: the tip that was checked.
    public var commit: String?
    public var pid: Int32
    public var created: String
    /// start-work with `--branch`: the branch was there before and is never deleted.
    public var existingBranch: Bool? = nil
    /// prune: the trash entry its move was making (`Trash`), put back if it was killed.
    public var trashID: String? = nil
    /// Set when the operation failed and exited normally (it was not killed): why.
    public var failure: String? = nil

    public var issueNumber: IssueNumber? { IssueNumber(issue) }

    /// True while the process that wrote it still runs.
    public var isLive: Bool {
        pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
    }
}

/// `$PPDS_HOME/intents/<operation>-<issue>-<repository key>.json`: the key (as for session
/// folders) keeps two repositories' records of the same issue number apart.
public struct IntentStore: Sendable {
    public let home: String

    public init(home: String) { self.home = home }

    public var folder: String { home + "/intents" }

    func path(_ operation: Intent.Operation, _ issue: Int, repo: String) -> String {
        "\(folder)/\(operation.rawValue)-\(issue)-\(SessionStore.folderKey(forRepo: repo)).json"
    }

    /// Where records were kept before they carried the repository's key.
    func legacyPath(_ operation: Intent.Operation, _ issue: Int) -> String { "\(folder)/\(operation.rawValue)-\(issue).json" }

    public func record(_ intent: Intent) throws(PPDSError) {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try PrivateFile.write(try encoder.encode(intent), to: path(intent.operation, intent.issue, repo: intent.repo), home: home)
        } catch {
            throw PPDSError.from(error)
        }
    }

    public func clear(_ intent: Intent) {
        try? FileManager.default.removeItem(atPath: path(intent.operation, intent.issue, repo: intent.repo))
        if load(legacyPath(intent.operation, intent.issue)) == intent { try? FileManager.default.removeItem(atPath: legacyPath(intent.operation, intent.issue)) }
    }

    /// The record of `operation` on `issue` in the repository `repo`, if any.
    public func load(_ operation: Intent.Operation, _ issue: Int, repo: String) -> Intent? {
        if let intent = load(path(operation, issue, repo: repo)) { return intent }
        guard let legacy = load(legacyPath(operation, issue)), samePlace(legacy.repo, repo) else { return nil }
        return legacy
    }

    func load(_ file: String) -> Intent? {
        guard let data = IntentStore.read(file) else { return nil }
        return try? JSONDecoder().decode(Intent.self, from: data)
    }

    /// An intent record is small; a larger file is not ours and is not read whole.
    static let maxFileSize = 64 << 10

    /// Under the home: never through a symlink, never another user's file.
    static func read(_ file: String) -> Data? {
        try? PrivateFile.read(file, limit: maxFileSize)
    }

    /// Every readable record, and the names of unreadable ones.
    public func all() -> (intents: [Intent], unreadable: [String]) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }
        var intents: [Intent] = [], unreadable: [String] = []
        for name in names.sorted() {
            let file = folder + "/" + name
            if let data = IntentStore.read(file), let intent = try? JSONDecoder().decode(Intent.self, from: data),
               intent.worktree.hasPrefix("/"), !intent.branch.isEmpty {
                intents.append(intent)
            } else {
                unreadable.append(file)
            }
        }
        return (intents, unreadable)
    }
}
