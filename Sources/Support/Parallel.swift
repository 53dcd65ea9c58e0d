#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import Synchronization
import Dispatch

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
        Threads.detach {
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

/// The next index to hand out and the results so far, behind one lock.
private final class ResultBox<Result: Sendable>: Sendable {
    private struct State {
        var next = 0
        var values: [Result?]
    }

    private let state: Mutex<State>

    init(count: Int) { state = Mutex(State(values: Array(repeating: nil, count: count))) }

    func nextIndex() -> Int? {
        state.withLock { state in
            guard state.next < state.values.count else { return nil }
            defer { state.next += 1 }
            return state.next
        }
    }

    func store(_ value: sending Result, at index: Int) {
        state.withLock { $0.values[index] = value }
    }

    func results() -> [Result] {
        state.withLock { $0.values.map { $0! } }
    }
}
