import Foundation
import Testing
import LifecycleCore
import Support
import TestSupport
@testable import WorkerSteps

/// The front's discovery without libgit2 (`GitDiscovery`) against libgit2's (what the full program
/// uses) and `git rev-parse`, over the layouts ppds meets. Where it answers, all three agree;
/// everywhere else it must say `undecided`, so the full program answers.
@Suite struct GitDiscoveryTests {
    /// The environment the front sees in these tests: no steering variable, HOME a clean folder.
    static func environment(_ folder: TemporaryFolder, _ extra: [String: String] = [:]) -> [String: String] {
        ["HOME": folder.path + "/home"].merging(extra) { _, new in new }
    }

    /// libgit2's answer, as the full program's `Workspace.locate` gives it.
    static func libgit2(_ start: String) -> String? {
        try? Workspace.locate(repo: start, home: "/nonexistent-ppds-home").repoRoot
    }

    /// git's: the main worktree is the folder above the common git folder.
    static func git(_ start: String) -> String? {
        guard let result = try? runProcess("/usr/bin/git", ["rev-parse", "--path-format=absolute", "--git-common-dir"], in: start),
              result.status == 0 else { return nil }
        let common = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return canonicalPath((common as NSString).deletingLastPathComponent)
    }

    static func expectAgreement(_ start: String, _ expected: String, _ environment: [String: String], _ what: String) {
        let outcome = GitDiscovery.find(from: start, environment: environment)
        guard case .mainWorktree(let found) = outcome else {
            Issue.record("\(what): \(outcome)")
            return
        }
        #expect(canonicalPath(found) == canonicalPath(expected), "\(what): found \(found)")
        #expect(libgit2(start) == canonicalPath(expected), "\(what): libgit2 says \(libgit2(start) ?? "nothing")")
        #expect(git(start) == canonicalPath(expected), "\(what): git says \(git(start) ?? "nothing")")
    }

    static func expectUndecided(_ start: String, _ environment: [String: String], _ what: String) {
        let outcome = GitDiscovery.find(from: start, environment: environment)
        guard case .undecided = outcome else {
            Issue.record("\(what): decided \(outcome); libgit2 says \(libgit2(start) ?? "nothing"), git \(git(start) ?? "nothing")")
            return
        }
    }

    @Test func theEverydayLayoutsAgreeWithLibgit2AndGit() throws {
        let fixture = try GitFixture()
        let env = Self.environment(fixture.folder)
        let main = fixture.repo
        try FileManager.default.createDirectory(atPath: main + "/src/deep", withIntermediateDirectories: true)
        Self.expectAgreement(main, main, env, "the main worktree")
        Self.expectAgreement(main + "/src/deep", main, env, "a folder inside it")
        let linked = fixture.folder.path + "/linked wörktree"
        try fixture.git("worktree", "add", "-q", "-b", "feat/x", linked)
        try FileManager.default.createDirectory(atPath: linked + "/src/deep", withIntermediateDirectories: true)
        Self.expectAgreement(linked, main, env, "a linked worktree")
        Self.expectAgreement(linked + "/src/deep", main, env, "a folder inside a linked worktree")
        let link = fixture.folder.path + "/link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: linked + "/src")
        Self.expectAgreement(link, main, env, "a symlink into a linked worktree")
        // A repository inside another's worktree (an untracked clone): the inner one.
        let inner = main + "/vendor/inner"
        try FileManager.default.createDirectory(atPath: inner, withIntermediateDirectories: true)
        try fixture.git("init", "-q", inner)
        Self.expectAgreement(inner, inner, env, "a repository inside a worktree")
        // A worktree made with a relative gitdir by hand is still a linked worktree.
        let gitFile = linked + "/.git"
        let absolute = try String(contentsOfFile: gitFile, encoding: .utf8)
        let admin = absolute.dropFirst("gitdir: ".count).trimmingCharacters(in: .whitespacesAndNewlines)
        let relative = "gitdir: ../repo/.git/worktrees/" + (admin as NSString).lastPathComponent + "\n"
        try relative.write(toFile: gitFile, atomically: true, encoding: .utf8)
        Self.expectAgreement(linked, main, env, "a linked worktree with a relative gitdir")
        // `bare = false`, as git init writes it, and other core settings are no reason to hand over.
        try fixture.git("config", "core.fileMode", "true")
        Self.expectAgreement(main, main, env, "core settings")
        // Global config files without includes are read, not a reason to hand over.
        try FileManager.default.createDirectory(atPath: fixture.folder.path + "/home", withIntermediateDirectories: true)
        try "[user]\n\tname = x\n[core]\n\tbare = false\n".write(toFile: fixture.folder.path + "/home/.gitconfig", atomically: true, encoding: .utf8)
        Self.expectAgreement(main, main, env, "a global config")
    }

    @Test func everyOtherLayoutIsLeftToTheFullProgram() throws {
        let fixture = try GitFixture()
        let env = Self.environment(fixture.folder)
        let base = fixture.folder.path
        // Inside the git folder itself.
        Self.expectUndecided(fixture.repo + "/.git", env, "the .git folder")
        Self.expectUndecided(fixture.repo + "/.git/refs", env, "inside the .git folder")
        // No repository above.
        let lonely = TemporaryFolder("ppds-nowhere")
        Self.expectUndecided(lonely.path, env, "no repository")
        // Variables that steer git.
        Self.expectUndecided(fixture.repo, Self.environment(fixture.folder, ["GIT_DIR": fixture.repo + "/.git"]), "GIT_DIR")
        Self.expectUndecided(fixture.repo, Self.environment(fixture.folder, ["GIT_CEILING_DIRECTORIES": base]), "ceilings")
        // A separate git folder (`git init --separate-git-dir`): the .git file leads to no commondir.
        let separate = base + "/separate"
        try fixture.git("init", "-q", "--separate-git-dir", base + "/separate.git", separate, in: base)
        Self.expectUndecided(separate, env, "--separate-git-dir")
        // A bare repository's linked worktree: its common folder is not a main worktree's .git.
        try fixture.git("clone", "-q", "--bare", fixture.repo, base + "/bare.git", in: base)
        try fixture.git("worktree", "add", "-q", base + "/from-bare", "main", in: base + "/bare.git")
        Self.expectUndecided(base + "/from-bare", env, "a bare repository's worktree")
        // A submodule: its .git file leads to .git/modules/<name>, whose config sets core.worktree.
        try fixture.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", base + "/bare.git", "sub")
        Self.expectUndecided(fixture.repo + "/sub", env, "a submodule")
        // core.worktree, an include, an extension in the repository's config.
        for (key, value) in [("core.worktree", base), ("include.path", base + "/more"), ("extensions.worktreeConfig", "true"), ("core.bare", "yes")] {
            let other = try GitFixture()
            try other.git("config", key, value)
            Self.expectUndecided(other.repo, Self.environment(other.folder), key)
        }
        // An include in a global file.
        try FileManager.default.createDirectory(atPath: base + "/home", withIntermediateDirectories: true)
        try "[include]\n\tpath = more\n".write(toFile: base + "/home/.gitconfig", atomically: true, encoding: .utf8)
        Self.expectUndecided(fixture.repo, env, "an include in ~/.gitconfig")
        try FileManager.default.removeItem(atPath: base + "/home/.gitconfig")
        // A worktree whose top has HEAD, objects/ and refs/ looks like a git folder to libgit2.
        let lookalike = try GitFixture()
        for folder in ["objects", "refs"] { try FileManager.default.createDirectory(atPath: lookalike.repo + "/" + folder, withIntermediateDirectories: true) }
        try "ref: refs/heads/main\n".write(toFile: lookalike.repo + "/HEAD", atomically: true, encoding: .utf8)
        Self.expectUndecided(lookalike.repo, Self.environment(lookalike.folder), "a worktree that looks like a git folder")
        // A .git file that says nothing git understands, or leads nowhere.
        for (name, text) in [("garbage", "hello\n"), ("nowhere", "gitdir: /nonexistent/ppds\n"), ("empty", "")] {
            let folder = base + "/odd-" + name
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try text.write(toFile: folder + "/.git", atomically: true, encoding: .utf8)
            Self.expectUndecided(folder, env, "a .git file: \(name)")
        }
        // A linked worktree whose admin folder was pruned.
        let pruned = base + "/pruned"
        try fixture.git("worktree", "add", "-q", "-b", "feat/pruned", pruned)
        let admin = try String(contentsOfFile: pruned + "/.git", encoding: .utf8).dropFirst("gitdir: ".count).trimmingCharacters(in: .whitespacesAndNewlines)
        try FileManager.default.removeItem(atPath: admin)
        Self.expectUndecided(pruned, env, "a linked worktree whose admin folder is gone")
        // A linked worktree whose admin folder lost its gitdir file.
        let unlinked = base + "/unlinked"
        try fixture.git("worktree", "add", "-q", "-b", "feat/unlinked", unlinked)
        let unlinkedAdmin = try String(contentsOfFile: unlinked + "/.git", encoding: .utf8).dropFirst("gitdir: ".count).trimmingCharacters(in: .whitespacesAndNewlines)
        try FileManager.default.removeItem(atPath: unlinkedAdmin + "/gitdir")
        Self.expectUndecided(unlinked, env, "a linked worktree whose admin folder has no gitdir file")
        // A .git that is a symlink.
        let linkedGit = base + "/symlinked"
        try FileManager.default.createDirectory(atPath: linkedGit, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: linkedGit + "/.git", withDestinationPath: fixture.repo + "/.git")
        Self.expectUndecided(linkedGit, env, "a symlinked .git")
    }

    /// Files libgit2 reads whole or parses strictly, where a scan by lines would answer while the
    /// full program fails or finds a bare repository (each one found by comparing the two).
    @Test func filesLibgit2ReadsDifferentlyAreLeftToTheFullProgram() throws {
        // A variable on its section's line is read by libgit2 (and git): a bare repository, or
        // a moved worktree; a line libgit2 cannot parse makes it refuse the repository.
        for (name, line) in [("bare on the header line", "[core] bare = true"), ("worktree on the header line", "[core]worktree=/tmp"),
                             ("a line that is no variable", "\tfoo bar"), ("an unclosed header", "[core"),
                             ("a continuation", "[core]\n\tbare = fal\\\nse"), ("a key with an underscore", "\tsome_key = 1")] {
            let fixture = try GitFixture()
            let config = fixture.repo + "/.git/config"
            let text = try String(contentsOfFile: config, encoding: .utf8) + line + "\n"
            try text.write(toFile: config, atomically: true, encoding: .utf8)
            Self.expectUndecided(fixture.repo + "/src", Self.environment(fixture.folder), name)
        }
        // The same in a global file.
        let global = try GitFixture()
        try FileManager.default.createDirectory(atPath: global.folder.path + "/home", withIntermediateDirectories: true)
        try "[user] name = x\n[core] bare\n".write(toFile: global.folder.path + "/home/.gitconfig", atomically: true, encoding: .utf8)
        Self.expectUndecided(global.repo, Self.environment(global.folder), "bare on the header line of ~/.gitconfig")
        // A .git file or commondir with a second line: libgit2 reads the whole file as the path.
        let fixture = try GitFixture()
        let env = Self.environment(fixture.folder)
        let linked = fixture.folder.path + "/linked"
        try fixture.git("worktree", "add", "-q", "-b", "feat/x", linked)
        let gitFile = try String(contentsOfFile: linked + "/.git", encoding: .utf8)
        try (gitFile + "second line\n").write(toFile: linked + "/.git", atomically: true, encoding: .utf8)
        Self.expectUndecided(linked, env, "a .git file with two lines")
        try gitFile.write(toFile: linked + "/.git", atomically: true, encoding: .utf8)
        Self.expectAgreement(linked, fixture.repo, env, "the .git file restored")
        let admin = gitFile.dropFirst("gitdir: ".count).trimmingCharacters(in: .whitespacesAndNewlines)
        let commondir = try String(contentsOfFile: admin + "/commondir", encoding: .utf8)
        try (commondir + "more\n").write(toFile: admin + "/commondir", atomically: true, encoding: .utf8)
        Self.expectUndecided(linked, env, "a commondir with two lines")
        try commondir.write(toFile: admin + "/commondir", atomically: true, encoding: .utf8)
        // An admin folder whose gitdir names another worktree (moved by hand): libgit2 takes that
        // folder as the worktree and checks its owner (here another user: it refuses).
        let recorded = try String(contentsOfFile: admin + "/gitdir", encoding: .utf8)
        let elsewhere = fixture.folder.path + "/elsewhere"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        try runProcess("/bin/chown", ["1000:1000", elsewhere]).check()
        try (elsewhere + "/.git\n").write(toFile: admin + "/gitdir", atomically: true, encoding: .utf8)
        Self.expectUndecided(linked, env, "a gitdir that names another folder")
        try recorded.write(toFile: admin + "/gitdir", atomically: true, encoding: .utf8)
        Self.expectAgreement(linked, fixture.repo, env, "the gitdir restored")
        // An admin folder whose gitdir is a folder: libgit2 cannot read it and fails.
        try FileManager.default.removeItem(atPath: admin + "/gitdir")
        try FileManager.default.createDirectory(atPath: admin + "/gitdir", withIntermediateDirectories: true)
        Self.expectUndecided(linked, env, "a gitdir that is a folder")
        // A .git folder whose HEAD is a folder is no repository to libgit2.
        let headless = try GitFixture()
        try FileManager.default.removeItem(atPath: headless.repo + "/.git/HEAD")
        try FileManager.default.createDirectory(atPath: headless.repo + "/.git/HEAD", withIntermediateDirectories: true)
        Self.expectUndecided(headless.repo, Self.environment(headless.folder), "a HEAD that is a folder")
    }

    /// A path that is not UTF-8 reads with U+FFFD in place of its bad bytes, which can name a
    /// lookalike folder in another repository: libgit2 follows the bytes, the front must not guess.
    @Test func aPathThatIsNotUTF8IsLeftToTheFullProgram() throws {
        let fixture = try GitFixture()
        let parent = fixture.repo + "/p"
        // `p/d<0xFF>` in the repository, `p/d<U+FFFD>` a repository of its own, a link to the first.
        try runProcess("/bin/sh", ["-c", "mkdir -p \"$0/$(printf 'd\\377')\" && git init -q \"$0/$(printf 'd\\357\\277\\275')\" && ln -s \"$0/$(printf 'd\\377')\" \"$0/link\"", parent]).check()
        Self.expectUndecided(parent + "/link", Self.environment(fixture.folder), "a link to a folder whose path is not UTF-8")
        #expect(Self.libgit2(parent + "/link") == canonicalPath(fixture.repo))
    }

    /// A `.git` on another file system than the folder the search starts in: libgit2 stops there.
    @Test func aMountedGitFolderAboveTheStartIsLeftToTheFullProgram() throws {
        let fixture = try GitFixture()
        let repo = fixture.folder.path + "/mounted-git"
        try FileManager.default.createDirectory(atPath: repo + "/.git", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: repo + "/src", withIntermediateDirectories: true)
        guard try runProcess("/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", repo + "/.git"]).status == 0 else { return }
        defer { _ = try? runProcess("/bin/umount", [repo + "/.git"]) }
        try fixture.git("init", "-q", repo, in: fixture.folder.path)
        Self.expectUndecided(repo + "/src", Self.environment(fixture.folder), "a mounted .git above the start")
    }

    /// On a mount inside a repository's worktree, libgit2 stops at the file system's edge
    /// (no GIT_REPOSITORY_OPEN_CROSS_FS); the front never guesses across it.
    @Test func aMountPointOnTheWayUpIsLeftToTheFullProgram() throws {
        let fixture = try GitFixture()
        let mount = fixture.repo + "/mounted"
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        guard try runProcess("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mount]).status == 0 else { return }
        defer { _ = try? runProcess("/bin/umount", [mount]) }
        Self.expectUndecided(mount, Self.environment(fixture.folder), "a mount inside the worktree")
    }
}
