import CGit2
import Support

// Lifetime rule for every libgit2 object in GitKit (Handle and Repository):
// never read the raw pointer outside `withPointer { ... }`. Swift may release an object
// right after its last use, so `f(handle.pointer)` or a C pointer read from it later
// (a name, an oid, blob bytes) can be freed before it is used. Do all C calls with the
// pointer, and copy out everything derived from it (String(cString:), `.pointee`, Data),
// inside the closure. With two objects, nest their `withPointer` calls. `pointer` is
// private so the compiler rejects any other use.

/// Owns one libgit2 object pointer and frees it exactly once, when the handle goes away.
/// Every libgit2 object the layer creates is wrapped in one of these right after creation.
final class Handle {
    private let pointer: OpaquePointer
    private let release: (OpaquePointer) -> Void

    init(_ pointer: OpaquePointer, release: @escaping (OpaquePointer) -> Void) {
        self.pointer = pointer
        self.release = release
    }

    deinit { release(pointer) }

    /// Lends the raw pointer to `body`, keeping this handle alive until `body` returns.
    /// Nothing derived from the pointer may escape `body` uncopied.
    func withPointer<T, E: Error>(_ body: (OpaquePointer) throws(E) -> T) throws(E) -> T {
        try withExtendedLifetime(self) { () throws(E) -> T in try body(pointer) }
    }

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
