#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Waits until session files or the repository's refs change. Uses inotify on Linux (the
/// session folder, the git folder, `refs/heads` and `refs/remotes` with their subfolders, and
/// each worktree's admin folder); anything it cannot watch is covered by the timeout, which
/// makes it a polling loop as a fallback.
public final class ChangeWatcher {
    private var fd: Int32 = -1
    /// Each watched folder with the identity it had: a folder deleted and made again is a new
    /// inode, which the old watch does not see, so it is watched again.
    private var watched: [String: FileIdentity] = [:]
    private let folders: () -> [String]

    /// `folders` is called again after each change, so new branch folders are picked up.
    public init(folders: @escaping () -> [String]) {
        self.folders = folders
        #if os(Linux)
        fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        #endif
        refresh()
    }

    deinit { if fd >= 0 { close(fd) } }

    /// True when inotify is in use; false means plain polling.
    public var isNotifying: Bool { fd >= 0 }

    /// The folders to watch for a repository and a session store.
    public static func folders(gitDir: String, sessionsDir: String) -> [String] {
        var result = [sessionsDir, gitDir, gitDir + "/worktrees"]
        for root in [gitDir + "/refs/heads", gitDir + "/refs/remotes"] {
            result.append(root)
            for relative in (try? FileManager.default.subpathsOfDirectory(atPath: root)) ?? [] {
                var isFolder = false
                if FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isFolder), isFolder {
                    result.append(root + "/" + relative)
                }
            }
        }
        if let names = try? FileManager.default.contentsOfDirectory(atPath: gitDir + "/worktrees") {
            result += names.map { gitDir + "/worktrees/" + $0 }
        }
        return result
    }

    private func refresh() {
        guard fd >= 0 else { return }
        #if os(Linux)
        let mask = UInt32(IN_CREATE | IN_DELETE | IN_MODIFY | IN_MOVED_TO | IN_MOVED_FROM | IN_CLOSE_WRITE | IN_ATTRIB)
        for folder in folders() {
            guard let identity = FileIdentity(path: folder), watched[folder] != identity else { continue }
            if inotify_add_watch(fd, folder, mask) >= 0 { watched[folder] = identity }
        }
        #endif
    }

    /// Blocks until something changes (true) or `timeout` seconds pass (false). Bursts of
    /// events within `settle` seconds count as one change.
    public func wait(timeout: TimeInterval, settle: TimeInterval = 0.1) -> Bool {
        guard fd >= 0 else {
            Threads.sleep(timeout)
            return false
        }
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, Int32(max(0, timeout) * 1000))
        guard ready > 0 else { return false }
        drain()
        Threads.sleep(settle)
        drain()
        refresh()
        return true
    }

    private func drain() {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while read(fd, &buffer, buffer.count) > 0 {}
    }
}
