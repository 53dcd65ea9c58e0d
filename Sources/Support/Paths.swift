#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials

public enum Paths {
    public static func trimmingSlash(_ path: String) -> String {
        var path = path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path
    }
}

/// Resolves symlinks and `..`, drops a trailing slash, so that two spellings of one folder
/// compare equal.
public func canonicalPath(_ path: String) -> String {
    let url = URL(fileURLWithPath: path).standardizedFileURL
    var resolved = url.resolvingSymlinksInPath().path
    if resolved.isEmpty { resolved = url.path }
    return Paths.trimmingSlash(resolved)
}
