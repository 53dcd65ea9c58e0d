#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import Support
import WorkerSteps

/// How the front finds a repository: `GitDiscovery`, and for any place it does not judge, the
/// full program with the same command line (and the hook's payload on its stdin again), before
/// the front changed anything.
enum FrontDiscovery {
    /// The hook's payload, already read from stdin, for the full program to read again. The
    /// front is one thread; it is set once, before the first discovery.
    nonisolated(unsafe) static var payload: Data?

    static func finder(_ start: String, _ repoGiven: Bool) throws(PPDSError) -> String {
        switch GitDiscovery.find(from: start) {
        case .mainWorktree(let folder): return folder
        case .undecided: FullProgram.run(stdin: payload)
        }
    }

    static func locate(_ repo: String?) throws(PPDSError) -> Workspace {
        try Workspace.locate(repo: repo, currentDirectory: PlainFileCalls.currentFolder(), finder: finder)
    }
}
