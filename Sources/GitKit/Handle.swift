import CGit2
import Support

/// Owns one libgit2 object pointer and frees it exactly once, when the handle goes away.
/// Every libgit2 object the layer creates is wrapped in one of these right after creation.
final class Handle {
    let pointer: OpaquePointer
    private let release: (OpaquePointer) -> Void

    init(_ pointer: OpaquePointer, release: @escaping (OpaquePointer) -> Void) {
        self.pointer = pointer
        self.release = release
    }

    deinit { release(pointer) }

    /// Runs a libgit2 constructor and wraps its result.
    static func make(
        _ operation: String, _ subject: String,
        release: @escaping (OpaquePointer) -> Void,
        _ create: (inout OpaquePointer?) -> Int32
    ) throws(GitError) -> Handle {
        var out: OpaquePointer?
        try gitCall(operation, subject) { create(&out) }
        return Handle(out!, release: release)
    }
}
