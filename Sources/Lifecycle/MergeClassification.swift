import Foundation
import Config
import GitKit
import SessionKit
import Support
import LifecycleCore

/// Which local branches are merged into a base, and how: the prune ladder on its own.
public enum MergeClassification {
    public struct Item: Sendable {
        public let branch: String
        public let merged: MergeCheck?
        public let error: String?

        public var json: JSONValue {
            var fields: [String: JSONValue] = ["branch": .string(branch), "merged": merged.map { .string($0.rawValue) } ?? .null]
            if let error { fields["error"] = .string(error) }
            return .object(fields)
        }
    }

    /// Classifies `branches` (default: every local branch but the base's own) against `base`;
    /// with a hint when that walked a long history without a commit-graph.
    public static func run(_ workspace: Workspace, config: Config, base: String?, branches: [String]) throws(PPDSError)
        -> (base: String, items: [Item], hints: [RunHint]) {
        let repository = try workspace.openRepository()
        let resolved = try BaseResolver.resolve(given: base, config: config, repository: repository)
        let names: [String]
        if branches.isEmpty {
            do {
                names = try repository.branchNames().filter { $0 != resolved.name }.sorted()
            } catch {
                throw PPDSError.from(error)
            }
        } else {
            names = branches
        }
        // Many branches are checked on one thread per core (the ladder baseline runs `xargs -P`
        // alike), each with its own repository handle and detector; a few on this thread.
        let baseCommit = resolved.commit
        let jobs = names.count < 8 ? 1 : ProcessInfo.processInfo.activeProcessorCount
        let checked = parallelMap(names, jobs: jobs, context: { () -> Result<(Repository, MergeDetector), PPDSError> in
            do throws(PPDSError) {
                let repository = try workspace.openRepository()
                return .success((repository, MergeDetector(repository: repository)))
            } catch {
                return .failure(error)
            }
        }) { context, name -> (Item, walked: Int) in
            do {
                let (repository, detector) = try context.get()
                guard let branch = try repository.branch(name) else { return (Item(branch: name, merged: nil, error: "no such branch"), 0) }
                let before = detector.commitsWalkedWithoutGraph
                let merged = try detector.check(tip: branch.target, base: baseCommit)
                return (Item(branch: name, merged: merged, error: nil), detector.commitsWalkedWithoutGraph - before)
            } catch {
                return (Item(branch: name, merged: nil, error: PPDSError.from(error).message), 0)
            }
        }
        let hints = RunHint.afterMergeChecks(walked: checked.reduce(0) { $0 + $1.walked }, repository: repository)
        return (resolved.name, checked.map(\.0), hints)
    }
}
