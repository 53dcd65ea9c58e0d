import Foundation
import Config
import SessionKit
import Support

/// Each session's block of TCP ports (`ports` in its file), so several dev servers run at once:
/// one block per session, unique among the sessions of this `PPDS_HOME` (every repository).
///
/// A block is held by every session file that is not `cancelled`: a finished session keeps
/// its block until prune (or `cancel`) ends it, because its dev server may still serve a review.
/// New blocks skip ports something on the machine listens on (`ListeningPorts`).
public enum PortAllocation {
    public static let defaultBase = 41000
    public static let defaultSize = 10

    /// The pure choice: the first block of `size` ports from `base` (stepping by `size`, up to
    /// 65535) that overlaps no taken block and holds no listening port.
    public static func choose(base: Int, size: Int, taken: [PortBlock], listening: Set<Int>) -> PortBlock? {
        var first = base
        while first + size - 1 <= 65535 {
            let candidate = PortBlock(first: first, count: size)
            let overlaps = taken.contains { $0.range.overlaps(candidate.range) }
            if !overlaps && !candidate.range.contains(where: listening.contains) { return candidate }
            first += size
        }
        return nil
    }

    /// The blocks the sessions hold (every session file but a cancelled one, other than `except`).
    public static func taken(_ sessions: [Session], except issue: IssueNumber? = nil, repo: String? = nil) -> [PortBlock] {
        sessions.filter { $0.status != .cancelled && !($0.issue == issue && $0.repo == repo) }.compactMap(\.ports)
    }

    /// Chooses a block and hands it to `body` (which records it in the session file) under one
    /// lock for the whole `PPDS_HOME`, so two starts at once never get the same block.
    public static func allocate<T>(store: SessionStore, config: Config, for issue: IssueNumber, repo: String?,
                                   _ body: (PortBlock) throws -> T) throws -> T {
        let base = config.portBase ?? defaultBase, size = config.portSize ?? defaultSize
        try PrivateFile.ensureFolder(store.home)
        return try FileLock.withLock(store.home + "/ports.lock") { () throws -> T in
            let listing = store.list()
            let holders = taken(listing.sessions, except: issue, repo: repo)
            guard let block = choose(base: base, size: size, taken: holders, listening: ListeningPorts.current()) else {
                throw PPDSError.conflict("""
                no free block of \(size) ports from \(base) to 65535: \(holders.count) sessions hold blocks and the rest have ports in use; \
                prune finished sessions ('ppds prune'), or set another range in $PPDS_HOME/config.toml ([ports] base = …, size = …)
                """)
            }
            return try body(block)
        }
    }
}
