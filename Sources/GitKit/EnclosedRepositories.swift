import CGit2
import Foundation
import Support

/// A repository that removing a worktree would destroy: a submodule's repository under the
/// worktree's admin folder (`.git/worktrees/<name>/modules/…`), or a `.git` folder inside
/// the working folder (an embedded submodule, or a clone in an untracked or ignored folder).
public struct EnclosedRepository: Sendable, Equatable {
    /// Its git folder.
    public let gitDir: String
    /// How many of its commits are on no remote-tracking ref (counted up to a small limit);
    /// nil when it could not be read, which counts as holding work.
    public let uniqueCommits: Int?
    /// A clone's own working files have changes (its files are not the worktree's).
    public var dirty = false
    /// A `.git` file: another repository's worktree lives here, with its own work.
    public var isLinkedWorktree = false

    public var holdsWork: Bool { isLinkedWorktree || dirty || (uniqueCommits.map { $0 > 0 } ?? true) }
}

extension Repository {
    /// Every repository that removing the linked worktree `name` (folder `folder`) would
    /// destroy. `status` is the folder's status with ignored content, whose untracked and
    /// ignored folders are searched for `.git` folders.
    public func enclosedRepositories(worktree name: String, folder: String, status: WorkingTreeStatus) throws(GitError) -> [EnclosedRepository] {
        var gitDirs: [String] = []
        Repository.collectGitDirs(under: worktreesAdminDir + "/" + name + "/modules", into: &gitDirs)
        // Embedded submodules: a gitlink whose folder holds a `.git` folder of its own (none
        // when the status saw every submodule folder empty).
        if !status.submoduleFoldersEmpty {
            let worktree = try Repository.open(at: folder)
            defer { withExtendedLifetime(worktree) {} }
            let index = try Handle.make("read index", folder, release: { git_index_free($0) }) {
                out in worktree.withPointer { git_repository_index(&out, $0) }
            }
            index.withPointer { index in
                for position in 0..<git_index_entrycount(index) {
                    guard let entry = git_index_get_byindex(index, position)?.pointee, entry.mode == 0o160000,
                          let path = entry.path else { continue }
                    let dotGit = folder + "/" + String(cString: path) + "/.git"
                    if Repository.isFolder(dotGit) { gitDirs.append(dotGit) }
                }
            }
        }
        // Clones and other worktrees inside untracked or ignored folders.
        var links: [String] = []
        let candidates = status.ignored + status.untrackedFolders
        for relative in candidates where relative.hasSuffix("/") {
            Repository.findDotGitFolders(in: folder + "/" + relative, into: &gitDirs, links: &links)
        }
        var found = gitDirs.map { gitDir in
            var enclosed = EnclosedRepository(gitDir: gitDir, uniqueCommits: Repository.commitsOnNoRemote(gitDir: gitDir))
            // A clone (a `.git` folder inside the worktree) has working files of its own.
            if gitDir.hasSuffix("/.git"), !gitDir.hasPrefix(worktreesAdminDir) {
                enclosed.dirty = (try? Repository.open(at: String(gitDir.dropLast(5))).workingTreeStatus().isDirty) ?? true
            }
            return enclosed
        }
        for link in links {
            var enclosed = EnclosedRepository(gitDir: link, uniqueCommits: nil)
            enclosed.isLinkedWorktree = true
            found.append(enclosed)
        }
        return found
    }

    /// Git folders under a submodule modules folder: each holds `HEAD` and `objects`, and may
    /// hold nested submodules in its own `modules`.
    static func collectGitDirs(under folder: String, into found: inout [String]) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names.sorted() {
            let path = folder + "/" + name
            guard isFolder(path) else { continue }
            if FileManager.default.fileExists(atPath: path + "/HEAD") && isFolder(path + "/objects") {
                found.append(path)
                collectGitDirs(under: path + "/modules", into: &found)
            } else {
                // Submodule names may contain slashes: `modules/libs/a`.
                collectGitDirs(under: path, into: &found)
            }
        }
    }

    /// `.git` folders (clones) and `.git` files (other worktrees) at or below `folder`, not
    /// following symlinks.
    static func findDotGitFolders(in folder: String, into found: inout [String], links: inout [String]) {
        func note(_ path: String) {
            var info = stat()
            guard lstat(path, &info) == 0 else { return }
            if info.st_mode & S_IFMT == S_IFDIR { found.append(path) } else if info.st_mode & S_IFMT == S_IFREG { links.append(path) }
        }
        note(folder + "/.git")
        // readdir with the entry types (an ignored dependency folder holds tens of thousands of
        // files; Foundation's enumerator cost 200 ms on 30,000): symlinks are never followed.
        func walk(_ path: String, depth: Int) {
            guard depth < 256, let dir = opendir(path) else { return }
            defer { closedir(dir) }
            while let item = readdir(dir) {
                let name = withUnsafeBytes(of: item.pointee.d_name) { raw in String(cString: raw.bindMemory(to: CChar.self).baseAddress!) }
                if name == "." || name == ".." { continue }
                let child = path + "/" + name
                if name == ".git" {
                    if path != folder { note(child) }
                    continue
                }
                var isDirectory = item.pointee.d_type == UInt8(DT_DIR)
                if item.pointee.d_type == UInt8(DT_UNKNOWN) {
                    var info = stat()
                    isDirectory = lstat(child, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
                }
                if isDirectory { walk(child, depth: depth + 1) }
            }
        }
        walk(folder, depth: 0)
    }

    static func isFolder(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// Commits reachable from the repository's HEAD and every ref outside `refs/remotes/`
    /// that no remote-tracking ref reaches (up to 10); nil when it cannot be read.
    static func commitsOnNoRemote(gitDir: String) -> Int? {
        guard let repository = try? Repository.open(at: gitDir) else { return nil }
        // The walk and refs use the repository: keep it open until they are gone.
        defer { withExtendedLifetime(repository) {} }
        guard let walk = try? Handle.make("walk", gitDir, release: { git_revwalk_free($0) }, { out in repository.withPointer { git_revwalk_new(&out, $0) } }) else { return nil }
        var pushed = false
        var head = git_oid()
        if repository.withPointer({ git_reference_name_to_id(&head, $0, "HEAD") }) == 0 {
            guard walk.withPointer({ git_revwalk_push($0, &head) }) == 0 else { return nil }
            pushed = true
        }
        git_error_clear()
        guard let iterator = try? Handle.make("list refs", gitDir, release: { git_reference_iterator_free($0) }, {
            out in repository.withPointer { git_reference_iterator_new(&out, $0) }
        }) else { return nil }
        var ref: OpaquePointer?
        while iterator.withPointer({ git_reference_next(&ref, $0) }) == 0, let ref {
            let owned = Handle(ref, release: { git_reference_free($0) })
            let name = owned.withPointer { String(cString: git_reference_name($0)) }
            var resolved: OpaquePointer?
            guard owned.withPointer({ git_reference_resolve(&resolved, $0) }) == 0, let resolved else { git_error_clear(); continue }
            let target = Handle(resolved, release: { git_reference_free($0) })
            // Peel tags to their commits; a ref to a non-commit holds no history.
            var object: OpaquePointer?
            guard target.withPointer({ git_reference_peel(&object, $0, GIT_OBJECT_COMMIT) }) == 0, let object else { git_error_clear(); continue }
            let commit = Handle(object, release: { git_object_free($0) })
            var oid = commit.withPointer { git_object_id($0).pointee }
            if name.hasPrefix("refs/remotes/") {
                guard walk.withPointer({ git_revwalk_hide($0, &oid) }) == 0 else { return nil }
            } else {
                guard walk.withPointer({ git_revwalk_push($0, &oid) }) == 0 else { return nil }
                pushed = true
            }
        }
        git_error_clear()
        guard pushed else { return 0 }
        var count = 0
        var next = git_oid()
        while count < 10 {
            let code = walk.withPointer { git_revwalk_next(&next, $0) }
            if code == GIT_ITEROVER.rawValue { break }
            if code < 0 { git_error_clear(); return nil }
            count += 1
        }
        git_error_clear()
        return count
    }
}
