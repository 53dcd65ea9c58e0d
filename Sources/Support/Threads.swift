#if canImport(Glibc)
import Glibc
#endif

/// Foundation's `Thread.detachNewThread` and `Thread.sleep`, for the targets the front links
/// (FoundationEssentials has no Thread).
public enum Threads {
    /// Runs `body` on a new detached thread.
    public static func detach(_ body: @escaping @Sendable () -> Void) {
        final class Box { let body: @Sendable () -> Void; init(_ body: @escaping @Sendable () -> Void) { self.body = body } }
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { context in
            let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
            box.body()
            return nil
        }, context)
        if started == 0 {
            pthread_detach(thread)
        } else {
            // No thread (resource limits): run it here rather than lose the work.
            Unmanaged<Box>.fromOpaque(context).takeRetainedValue().body()
        }
    }

    /// Sleeps `seconds` (fractions included), resuming after a signal.
    public static func sleep(_ seconds: Double) {
        guard seconds > 0 else { return }
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}
