import Foundation

/// Blobs inflated from a pack, kept for the rest of the process once enabled. Bulk start-work
/// writes the same commit's files into several worktrees, and inflating every blob from the
/// pack once per worktree was most of its time. Content-addressed, so a hit is always right;
/// bounded (nothing more is kept once full); off unless enabled, so a single start does not hold
/// its files in memory.
public final class InflatedBlobCache: @unchecked Sendable {
    public static let shared = InflatedBlobCache()

    private let lock = NSLock()
    private var entries: [ObjectID: [UInt8]] = [:]
    private var bytes = 0
    private var limit = 0
    private var largest = 0

    /// Keeps blobs of at most `largest` bytes, `limit` bytes in all.
    public func enable(limit: Int, largest: Int) {
        lock.lock()
        defer { lock.unlock() }
        self.limit = limit
        self.largest = largest
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
