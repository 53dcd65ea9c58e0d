import Foundation

/// Maps items on up to `jobs` threads, keeping input order. Each call of `body` runs on one
/// thread from start to end, so it may open its own libgit2 handle.
public func parallelMap<Item: Sendable, Result: Sendable>(_ items: [Item], jobs: Int, _ body: @escaping @Sendable (Item) -> Result) -> [Result] {
    parallelMap(items, jobs: jobs, context: { () }) { _, item in body(item) }
}

/// The same, with per-thread state made by `context` on the thread that uses it (for example
/// a repository handle and its caches, which must not cross threads).
public func parallelMap<Item: Sendable, Context, Result: Sendable>(
    _ items: [Item], jobs: Int, context: @escaping @Sendable () -> Context,
    _ body: @escaping @Sendable (inout Context, Item) -> Result
) -> [Result] {
    let jobs = max(1, min(jobs, items.count))
    if jobs == 1 {
        var state = context()
        return items.map { body(&state, $0) }
    }
    let box = ResultBox<Result>(count: items.count)
    let group = DispatchGroup()
    for _ in 0..<jobs {
        group.enter()
        Thread.detachNewThread {
            var state = context()
            while let index = box.nextIndex() {
                box.store(body(&state, items[index]), at: index)
            }
            group.leave()
        }
    }
    group.wait()
    return box.results()
}

private final class ResultBox<Result>: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private var values: [Result?]

    init(count: Int) { values = Array(repeating: nil, count: count) }

    func nextIndex() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard next < values.count else { return nil }
        defer { next += 1 }
        return next
    }

    func store(_ value: Result, at index: Int) {
        lock.lock(); values[index] = value; lock.unlock()
    }

    func results() -> [Result] {
        lock.lock(); defer { lock.unlock() }
        return values.map { $0! }
    }
}
