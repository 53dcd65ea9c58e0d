import Foundation

/// Blobs inflated from a pack, kept while a bulk start-work runs. It writes the same commit's
/// files into several worktrees, and inflating every blob from the pack once per worktree was
/// most of its time. Content-addressed, so a hit is always right; bounded (nothing more is kept
/// once full); off unless a run asked for it, and emptied when the last such run ends, so a
/// single start, or a long-running `ppds serve`, does not hold files in memory.
public final class InflatedBlobCache: @unchecked Sendable {
    public static let shared = InflatedBlobCache()

    private let lock = NSLock()
    private var entries: [ObjectID: [UInt8]] = [:]
    private var bytes = 0
    private var limit = 0
    private var largest = 0
    private var users = 0

    /// Keeps blobs of at most `largest` bytes, `limit` bytes in all, until the matching `end()`.
    public func begin(limit: Int, largest: Int) {
        lock.lock()
        defer { lock.unlock() }
        users += 1
        self.limit = max(self.limit, limit)
        self.largest = max(self.largest, largest)
    }

    /// The run that called `begin` is over; the last one empties the cache.
    public func end() {
        lock.lock()
        defer { lock.unlock() }
        users = max(0, users - 1)
        guard users == 0 else { return }
        entries = [:]
        bytes = 0
        limit = 0
        largest = 0
    }

    func content(_ id: ObjectID) -> [UInt8]? {
        lock.lock()
        defer { lock.unlock() }
        return entries[id]
    }

    func keep(_ id: ObjectID, _ content: UnsafeRawBufferPointer) {
        guard wouldKeep(content.count) else { return }
        let copy = Array(content)
        lock.lock()
        defer { lock.unlock() }
        guard entries[id] == nil, bytes + copy.count <= limit else { return }
        entries[id] = copy
        bytes += copy.count
    }

    private func wouldKeep(_ count: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return count <= largest && bytes + count <= limit
    }
}
