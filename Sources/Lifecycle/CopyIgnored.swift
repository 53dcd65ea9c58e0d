import Foundation
#if canImport(Glibc)
import Glibc
import Config
import GitKit
import SessionKit
import Support
#endif

/// Copies ignored files people need (`.env`, `.envrc`, …) from the main worktree into a new
/// one: the config's patterns, intersected with what git ignores. Never overwrites.
enum CopyIgnored {
    static func copy(patterns: [String], from repoRoot: String, to worktree: String, repository: Repository) -> (copied: [String], warnings: [String]) {
        var copied: [String] = [], warnings: [String] = []
        for pattern in patterns {
            guard !pattern.hasPrefix("/"), !pattern.split(separator: "/").contains("..") else {
                warnings.append("copy pattern '\(pattern)' must be relative to the repository, without '..'; skipped")
                continue
            }
            for relative in glob(pattern, in: repoRoot) {
                guard repository.isIgnored(relative) else { continue }
                let target = worktree + "/" + relative
                guard !FileManager.default.fileExists(atPath: target) else { continue }
                do {
                    try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    try FileManager.default.copyItem(atPath: repoRoot + "/" + relative, toPath: target)
                    copied.append(relative)
                } catch {
                    warnings.append("could not copy \(relative): \(error.localizedDescription)")
                }
            }
        }
        return (copied, warnings)
    }

    /// Paths matching `pattern` under `root`, relative to it.
    static func glob(_ pattern: String, in root: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        let prefix = root.hasSuffix("/") ? root : root + "/"
        guard Glibc.glob(prefix + pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { index in
            guard let cString = result.gl_pathv[index] else { return nil }
            let path = String(cString: cString)
            guard path.hasPrefix(prefix) else { return nil }
            return String(path.dropFirst(prefix.count))
        }
    }
}
