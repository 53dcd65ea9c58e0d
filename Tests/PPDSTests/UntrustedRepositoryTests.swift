import Foundation
import Testing
import TestSupport
import Support
import Config

/// What a repository commits (`.ppds.toml`, branch names, symlinks) and what another local user
/// leaves around must not act before `ppds trust`, nor leave the repository's own folders, nor
/// become code in another program's language (shell, tmux formats, markup). Real git, real
/// tmux, real bash, a second uid.
@Suite struct UntrustedRepositoryTests {
    func write(_ text: String, _ path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    func mode(_ path: String) -> mode_t {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & 0o7777 : 0
    }

    // MARK: 1. worktree template

    @Test func aRepositoryWorktreeTemplateStaysUnderTheAllowedFolders() throws {
        let fixture = try GitFixture()
        let userHome = fixture.folder.file("me")
        try FileManager.default.createDirectory(atPath: userHome + "/.vim/pack", withIntermediateDirectories: true)
        let elsewhere = TemporaryFolder("ppds-elsewhere")
        // A committed symlink inside the repository that points out of the parent.
        try FileManager.default.createSymbolicLink(atPath: fixture.repo + "/trees", withDestinationPath: elsewhere.path)
        try FileManager.default.createSymbolicLink(atPath: fixture.repo + "/dangling", withDestinationPath: userHome + "/.config/new")
        try fixture.git("add", "trees", "dangling")
        try fixture.git("commit", "-q", "-m", "link")
        try fixture.git("init", "-q", fixture.folder.file("sibling"))
        let hostile = [
            "{parent}/{repo}/dangling/x/{slug}",           // through a link to nowhere (yet)
            "{parent}/sibling/{slug}",                     // into another repository's work tree
            userHome + "/.vim/pack/ppds/start/{slug}",   // under the parent, through a hidden folder
            elsewhere.path + "/{slug}",                    // outside the parent
            "{parent}/{repo}/trees/{slug}",                // inside the repository, through a link out
        ]
        for template in hostile {
            try write("worktree = \"\(template)\"\n", fixture.repo + "/.ppds.toml")
            let result = try fixture.ppds(["start-work", "1", "--offline", "--title", "plugin"])
            #expect(result.status == 2, "\(template): \(result.stderr)")
            #expect(result.stderr.contains("worktree_roots") && result.stderr.contains("ppds trust"), "\(result.stderr)")
            #expect(try fixture.worktreePaths() == [fixture.repo], "\(template)")
        }
        #expect(!exists(userHome + "/.vim/pack/ppds"))
        #expect(!exists(userHome + "/.config/new"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere.path).isEmpty)

        // Under the parent, missing folders are made.
        try write("worktree = \"{parent}/{repo}.trees/{slug}\"\n", fixture.repo + "/.ppds.toml")
        let (inside, _) = try fixture.started(2, title: "inside")
        #expect(inside == fixture.folder.file("repo.trees/inside"))

        // The user's own config may allow another folder, or the user may trust the file.
        try write("worktree_roots = [\"\(elsewhere.path)\"]\n", fixture.home + "/config.toml")
        try write("worktree = \"\(elsewhere.path)/{slug}\"\n", fixture.repo + "/.ppds.toml")
        let (allowed, _) = try fixture.started(3, title: "allowed")
        #expect(allowed == elsewhere.path + "/allowed")
        // worktree_roots is the user's to set, never the repository's.
        try write("worktree_roots = [\"/\"]\nworktree = \"/tmp/{slug}\"\n", fixture.repo + "/.ppds.toml")
        let refused = try fixture.ppds(["start-work", "4", "--offline"])
        #expect(refused.status == 2 && refused.stderr.contains("worktree_roots"), "\(refused.stderr)")
    }

    // MARK: 2. tmux formats

    /// A tmux server of the test's own, and the environment that makes `tmux` talk to it.
    final class TmuxServer {
        let socket: String
        let environment: [String: String]
        init(folder: TemporaryFolder, home: String) throws {
            socket = folder.file("tmux.sock")
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
            try runProcess("/usr/bin/tmux", ["-S", socket, "-f", "/dev/null", "new-session", "-d", "-s", "t"],
                           in: home, environment: ["HOME": home, "SHELL": "/bin/sh"]).check()
            // $TMUX points `tmux` at this server (socket,pid,session).
            environment = ["TMUX": socket + ",0,0", "HOME": home]
        }
        deinit { _ = try? runProcess("/usr/bin/tmux", ["-S", socket, "kill-server"]) }
    }

    @Test func noValueReachesTmuxAsAFormat() throws {
        let fixture = try GitFixture()
        let tmuxHome = fixture.folder.file("tmuxhome")
        let tmux = try TmuxServer(folder: fixture.folder, home: tmuxHome)
        // The control: this tmux does run #(…) in -c.
        try runProcess("/usr/bin/tmux", ["new-window", "-d", "-c", fixture.folder.path + "/#(touch \(tmuxHome)/CONTROL)", "true"],
                       environment: tmux.environment).check()
        // tmux runs #(…) as a background job: under load it can take seconds.
        for _ in 0..<300 where !exists(tmuxHome + "/CONTROL") { usleep(100_000) }
        #expect(exists(tmuxHome + "/CONTROL"), "tmux did not expand the control format")

        try write("spawn = [\"tmux\", \"new-window\", \"-d\", \"-n\", \"{branch}\", \"-c\", \"{worktree}\", \"sleep\", \"1\"]\n",
                  fixture.home + "/config.toml")
        // The issue's repository template.
        try write("worktree = \"{parent}/wt-#(cd;id>TMUX_PWNED)-{slug}\"\n", fixture.repo + "/.ppds.toml")
        defer { try? FileManager.default.removeItem(atPath: tmuxHome + "/TMUX_PWNED") }
        let committed = try fixture.ppds(["start-work", "1", "--offline", "--title", "x"], environment: tmux.environment)
        #expect(committed.status == 2, "\(committed.stdout)\(committed.stderr)")
        #expect(committed.stderr.contains("key 'worktree'") && committed.stderr.contains("config.toml"), "\(committed.stderr)")
        try FileManager.default.removeItem(atPath: fixture.repo + "/.ppds.toml")

        // The same from the user's own template: refused when naming.
        try write("worktree = \"{parent}/wt-#(touch \(tmuxHome)/USER_PWNED)-{slug}\"\nspawn = [\"tmux\", \"new-window\", \"-d\", \"-c\", \"{worktree}\", \"true\"]\n",
                  fixture.home + "/config.toml")
        let own = try fixture.ppds(["start-work", "2", "--offline", "--title", "x"], environment: tmux.environment)
        #expect(own.status == 2 && own.stderr.contains("tmux reads as a format"), "\(own.stderr)")

        // A branch name with a format, filled into a tmux command: the spawn is refused.
        let branch = "x#(touch${IFS}\(tmuxHome)/BRANCH_PWNED)"
        try fixture.git("branch", branch)
        try write("spawn = [\"tmux\", \"new-window\", \"-d\", \"-n\", \"{branch}\", \"true\"]\n", fixture.home + "/config.toml")
        let (result, results) = try fixture.startWork(["3", "--branch", branch, "--title", "y"], environment: tmux.environment)
        #expect(result.status == 1)
        let hooks = try #require(results.first?["hooks"] as? [[String: Any]])
        #expect(hooks.first?["outcome"] as? String == "failed")
        #expect((hooks.first?["message"] as? String)?.contains("tmux reads its '#' as a format") == true, "\(hooks)")
        usleep(1_500_000)
        for name in ["TMUX_PWNED", "USER_PWNED", "BRANCH_PWNED"] {
            #expect(!exists(tmuxHome + "/" + name), "\(name)")
            #expect(!exists(fixture.repo + "/" + name), "\(name)")
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.folder.file("repo-y/BRANCH_PWNED")))
    }

    // MARK: 3. shell completion

    static let hostileBranches = ["x$(touch P1)", "x`touch P2`", "x;touch P3", "x'q\"u", "x$((1+1))${IFS}", "x|touch P4"]
        .map { $0.replacingOccurrences(of: " ", with: "${IFS}") }

    @Test func completionCandidatesAreNeverExpandedByBash() throws {
        let fixture = try GitFixture()
        let origin = try fixture.addBareOrigin()
        for branch in Self.hostileBranches {
            try fixture.git("branch", branch)
            try fixture.git("push", "-q", origin, branch)
        }
        try fixture.git("fetch", "-q", "origin")
        let scriptFile = fixture.folder.file("ppds.bash")
        let script = try fixture.ppds(["--generate-completion-script", "bash"]).check().stdout
        try script.write(toFile: scriptFile, atomically: true, encoding: .utf8)
        #expect(!script.contains("-W \"$(__ppds_custom_complete"))
        let driver = fixture.folder.file("drive.sh")
        try """
        source \(scriptFile)
        fn=$(complete -p ppds | sed -E 's/.* -F ([^ ]+) .*/\\1/')
        COMP_WORDS=("\(TestEnvironment.ppdsBinary)" start-work 1 --base "")
        COMP_CWORD=4
        COMP_LINE="ppds start-work 1 --base "
        COMP_POINT=${#COMP_LINE}
        COMPREPLY=()
        "$fn" ppds "" --base
        printf '%s\\n' "${COMPREPLY[@]}"
        """.write(toFile: driver, atomically: true, encoding: .utf8)
        let result = try runProcess("/bin/bash", ["--norc", "--noprofile", driver], in: fixture.repo, environment: ["PPDS_HOME": fixture.home])
        let candidates = Set(result.stdout.split(separator: "\n").map(String.init))
        for branch in Self.hostileBranches {
            #expect(candidates.contains(branch), "\(branch) not in \(candidates)")
            #expect(candidates.contains("origin/" + branch), "origin/\(branch) not in \(candidates)")
        }
        #expect(!candidates.contains("x2"), "\(candidates)")
        for name in ["P1", "P2", "P3", "P4"] {
            #expect(!exists(fixture.folder.file(name)) && !exists(fixture.repo + "/" + name), "\(name): \(result.stderr)")
        }
        // What git cannot hold (spaces, a line break: the protocol is one candidate a line)
        // stays literal too, from a stand-in for ppds's completion output.
        let stub = fixture.folder.file("stub")
        try write("#!/bin/sh\nprintf '%s\\n' 'y a  b' 'y$(touch P5)' 'y`touch P6`' \"y'\\\"\" 'y' 'z$(touch P7)'\n", stub)
        chmod(stub, 0o755)
        let spaced = try runProcess("/bin/bash", ["--norc", "--noprofile", "-c", """
            source \(scriptFile)
            COMP_WORDS=("\(stub)" start-work 1 --base y); COMP_CWORD=4
            COMP_LINE="ppds start-work 1 --base y"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()
            _ppds ppds y --base; printf '%s\\n' "${COMPREPLY[@]}"
            """], in: fixture.repo)
        #expect(spaced.stdout == "y a  b\ny$(touch P5)\ny`touch P6`\ny'\"\ny\n", "\(spaced.stdout.debugDescription) \(spaced.stderr)")
        for name in ["P5", "P6", "P7"] { #expect(!exists(fixture.repo + "/" + name), "\(name)") }
        // The other completions still work: the statuses and the subcommands.
        let statuses = try runProcess("/bin/bash", ["--norc", "--noprofile", "-c", """
            source \(scriptFile)
            COMP_WORDS=("\(TestEnvironment.ppdsBinary)" update --status pl); COMP_CWORD=3
            COMP_LINE="ppds update --status pl"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()
            _ppds ppds pl --status; printf '%s\\n' "${COMPREPLY[@]}"
            """], in: fixture.repo, environment: ["PPDS_HOME": fixture.home])
        #expect(statuses.stdout.contains("planning_complete"), "\(statuses.stdout)\(statuses.stderr)")
    }

    @Test func completionCandidatesAreLiteralInZsh() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/zsh") else { return }
        let fixture = try GitFixture()
        for branch in Self.hostileBranches { try fixture.git("branch", branch) }
        let script = try fixture.ppds(["--generate-completion-script", "zsh"]).check().stdout
        let scriptFile = fixture.folder.file("_ppds")
        try script.write(toFile: scriptFile, atomically: true, encoding: .utf8)
        // The custom function's output, as the script reads it, handed to a stand-in _describe.
        let result = try runProcess("/usr/bin/zsh", ["-f", "-c", """
            export SAP_SHELL=zsh SAP_SHELL_VERSION=5.9
            _describe() { shift 2; print -rl -- "${(@P)1}" }
            compdef() { : }
            source \(scriptFile)
            command_name="\(TestEnvironment.ppdsBinary)"
            command_line=("\(TestEnvironment.ppdsBinary)" start-work 1 --base x)
            __ppds_custom_complete ---completion start-work -- --base 4 1
            """], in: fixture.repo, environment: ["PPDS_HOME": fixture.home])
        let lines = Set(result.stdout.split(separator: "\n").map(String.init))
        for branch in Self.hostileBranches { #expect(lines.contains(branch), "\(branch) not in \(lines) \(result.stderr)") }
        for name in ["P1", "P2", "P3", "P4"] { #expect(!exists(fixture.repo + "/" + name), "\(name)") }
    }

    // MARK: 7, 8. copy

    /// The main worktree on `evil`: `leak -> <home>/.ssh` committed, and a real `drop/` folder
    /// (ignored); the base `main` has `drop -> <home>/.config/autostart`.
    @Test func copyNeitherReadsNorWritesThroughSymlinks() throws {
        let fixture = try GitFixture()
        let userHome = fixture.folder.file("me")
        try write("PRIVATE KEY\n", userHome + "/.ssh/id_ed25519")
        try FileManager.default.createDirectory(atPath: userHome + "/.config/autostart", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: fixture.repo + "/drop", withDestinationPath: userHome + "/.config/autostart")
        try fixture.git("add", "drop")
        try fixture.git("commit", "-q", "-m", "drop link")
        try fixture.git("checkout", "-q", "-b", "evil")
        try fixture.git("rm", "-q", "drop")
        try FileManager.default.createSymbolicLink(atPath: fixture.repo + "/leak", withDestinationPath: userHome + "/.ssh")
        try write("leak/\ndrop/\n.env\n", fixture.repo + "/.gitignore")
        try fixture.git("add", ".gitignore")
        try fixture.git("add", "-f", "leak")
        try fixture.git("commit", "-q", "-m", "evil")
        try write("[Desktop Entry]\nExec=touch PWNED\n", fixture.repo + "/drop/evil.desktop")
        try write("OK=1\n", fixture.repo + "/.env")
        try FileManager.default.createSymbolicLink(atPath: fixture.repo + "/env-link", withDestinationPath: ".env")
        try FileManager.default.createSymbolicLink(atPath: fixture.repo + "/inner", withDestinationPath: "src/../../..")
        try write("env-link\ninner\n", fixture.repo + "/.git/info/exclude")
        try write("copy = [\"leak/*\", \"drop/*\", \"leak\", \".env\", \"env-link\", \"inner\"]\n", fixture.repo + "/.ppds.toml")

        let (result, results) = try fixture.startWork(["1", "--base", "main", "--title", "copy"])
        try result.check()
        let worktree = try #require(results.first?["worktree"] as? String)
        #expect(!exists(userHome + "/.config/autostart/evil.desktop"))
        #expect(!exists(worktree + "/leak/id_ed25519"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: worktree + "/drop") == userHome + "/.config/autostart")
        // `leak` itself matched: a link out of the worktree is not copied either.
        #expect(!exists(worktree + "/leak"))
        #expect(!exists(worktree + "/inner"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: worktree + "/env-link") == ".env")
        #expect(try String(contentsOfFile: worktree + "/.env", encoding: .utf8) == "OK=1\n")
        let warnings = (results.first?["warnings"] as? [String]) ?? []
        #expect(warnings.contains { $0.contains("leak is a symbolic link") }, "\(warnings)")
        #expect(warnings.contains { $0.contains("drop in the new worktree is a symbolic link") }, "\(warnings)")
    }

    // MARK: 10. logs

    @Test func aSymlinkedOrHardLinkedLogIsNotWrittenThrough() throws {
        let fixture = try GitFixture()
        let victim = fixture.folder.file("bashrc")
        try write("alias ls='ls -F'\n", victim)
        try write("spawn = [\"sh\", \"-c\", \"echo spawned\"]\n", fixture.home + "/config.toml")
        try FileManager.default.createDirectory(atPath: fixture.home + "/logs", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: fixture.home + "/logs/work-1.spawn.log", withDestinationPath: victim)
        #expect(link(victim, fixture.home + "/logs/work-2.spawn.log") == 0)
        for issue in [1, 2] {
            let (_, results) = try fixture.startWork([String(issue)])
            let hooks = try #require(results.first?["hooks"] as? [[String: Any]])
            #expect(hooks.last?["outcome"] as? String == "failed", "\(hooks)")
            #expect((hooks.last?["message"] as? String)?.contains(issue == 1 ? "symbolic link" : "hard links") == true, "\(hooks)")
        }
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "alias ls='ls -F'\n")
    }

    // MARK: 11. notification markup

    @Test func aNotificationBodyCarriesNoLiveMarkup() throws {
        let fixture = try GitFixture()
        try fixture.started(1, title: "Markup")
        let bin = fixture.folder.file("bin")
        let log = fixture.folder.file("notify.txt")
        try write("#!/bin/sh\nprintf '%s|' \"$@\" >> \(log)\necho >> \(log)\n", bin + "/notify-send")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin + "/notify-send")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestEnvironment.ppdsBinary)
        process.arguments = ["watch", "--notify", "--interval", "60", "--count", "2"]
        process.currentDirectoryURL = URL(fileURLWithPath: fixture.repo)
        var env = ProcessInfo.processInfo.environment
        env["PPDS_HOME"] = fixture.home
        env["PATH"] = bin + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var collected = Data()
        let fd = out.fileHandleForReading.fileDescriptor
        while !String(decoding: collected, as: UTF8.self).contains("   - #1 ") {
            guard let chunk = readChunk(fd) else { break }
            collected += chunk
        }
        try fixture.ppds(["update", "1", "--status", "stuck", "--reason", "<a href=\"https://evil.example/\">click</a> & <b>x</b>",
                          "--option", "<img src=x>"]).check()
        _ = readToEnd(fd)
        process.waitUntilExit()
        let notes = try String(contentsOfFile: log, encoding: .utf8)
        #expect(!notes.contains("<") && !notes.contains(">"), "\(notes)")
        #expect(notes.contains("&lt;a href=\"https://evil.example/\"&gt;click&lt;/a&gt; &amp; &lt;b&gt;x&lt;/b&gt;"), "\(notes)")
        #expect(notes.contains("1) &lt;img src=x&gt;"), "\(notes)")
    }

    // MARK: 12. trust

    @Test func trustIsNotBorrowedThroughASymlinkedConfig() throws {
        let fixture = try GitFixture()
        try write("[hooks]\npost_create = [[\"touch\", \"HOOK_RAN\"]]\n", fixture.repo + "/.ppds.toml")
        try fixture.ppds(["trust"]).check()
        let (trusted, _) = try fixture.started(1, title: "trusted")
        #expect(exists(trusted + "/HOOK_RAN"))

        // A hostile sibling repository links its .ppds.toml to the trusted one.
        let hostile = fixture.folder.file("hostile")
        try fixture.git("clone", "-q", fixture.repo, hostile, in: fixture.folder.path)
        try FileManager.default.createSymbolicLink(atPath: hostile + "/.ppds.toml", withDestinationPath: "../repo/.ppds.toml")
        try fixture.git("add", ".ppds.toml", in: hostile)
        try fixture.git("commit", "-q", "-m", "borrow", in: hostile)
        let result = try fixture.ppds(["start-work", "2", "--offline", "--title", "borrowed"], in: hostile)
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("symbolic link") && result.stderr.contains(".ppds.toml"), "\(result.stderr)")
        #expect(!exists(fixture.folder.file("hostile-borrowed")))
        // Trusting it is refused too: the link is never the file.
        let trust = try fixture.ppds(["trust"], in: hostile)
        #expect(trust.status == 2)
        // A copy of the same content in the hostile repository is not trusted either: trust
        // belongs to a repository.
        try FileManager.default.removeItem(atPath: hostile + "/.ppds.toml")
        try FileManager.default.copyItem(atPath: fixture.repo + "/.ppds.toml", toPath: hostile + "/.ppds.toml")
        let copied = try fixture.ppds(["start-work", "3", "--offline", "--title", "copied"], in: hostile).check()
        #expect(copied.stdout.contains("ppds trust"))
        #expect(!exists(fixture.folder.file("hostile-copied/HOOK_RAN")))
    }

    /// Each key's rule, read through the config itself.
    @Test func repositoryKeysAreTrustedOrConfined() throws {
        let fixture = try GitFixture()
        try write("[registry]\nremote = \"origin\"\n", fixture.repo + "/.ppds.toml")
        #expect(try Config.load(home: fixture.home, repoRoot: fixture.repo).registryRemote == nil)
        try Trust.trust(repoRoot: fixture.repo, home: fixture.home)
        #expect(try Config.load(home: fixture.home, repoRoot: fixture.repo).registryRemote == "origin")
        for (text, key) in [("branch = \"{type}/$(id){slug}\"", "branch"), ("branch = \"{type}/`id`{slug}\"", "branch"),
                            ("worktree = \"{parent}/a b/{slug}\"", "worktree"), ("worktree = \"{parent}/#{slug}\"", "worktree"),
                            ("worktree_roots = [\"/\"]", "worktree_roots")] {
            try write(text + "\n", fixture.repo + "/.ppds.toml")
            do {
                _ = try Config.load(home: fixture.home, repoRoot: fixture.repo)
                Issue.record("\(text) was accepted")
            } catch {
                #expect(error.reason == .invalid && error.message.contains("key '\(key)'"), "\(error.message)")
            }
        }
        // The user's own file may use any of them.
        try FileManager.default.removeItem(atPath: fixture.repo + "/.ppds.toml")
        try write("branch = \"{type}/x+{slug}\"\nworktree_roots = [\"~/w\"]\n", fixture.home + "/config.toml")
        let own = try Config.load(home: fixture.home, repoRoot: fixture.repo)
        #expect(own.worktreeRoots == [NSHomeDirectory() + "/w"] || own.worktreeRoots.first?.hasSuffix("/w") == true)
    }

    // MARK: home privacy

    @Test func theHomeIsPrivateWhateverTheUmask() throws {
        let fixture = try GitFixture()
        try write("spawn = [\"true\"]\n", fixture.home + "/config.toml")
        chmod(fixture.home, 0o755)
        let start = try runProcess("/bin/sh", ["-c", "umask 022; exec \"$0\" start-work 1 --offline --title private", TestEnvironment.ppdsBinary],
                                   in: fixture.repo, environment: ["PPDS_HOME": fixture.home])
        try start.check()
        try runProcess("/bin/sh", ["-c", "umask 000; exec \"$0\" update 1 --status working", TestEnvironment.ppdsBinary],
                       in: fixture.repo, environment: ["PPDS_HOME": fixture.home]).check()
        for folder in ["", "/sessions", "/locks", "/logs", "/intents"] where exists(fixture.home + folder) {
            #expect(mode(fixture.home + folder) == 0o700, "\(folder): \(String(mode(fixture.home + folder), radix: 8))")
        }
        for file in ["/sessions/work-1.json", "/machine-id", "/locks/work-1.lock", "/logs/work-1.spawn.log"] {
            #expect(exists(fixture.home + file), "\(file)")
            #expect(mode(fixture.home + file) == 0o600, "\(file): \(String(mode(fixture.home + file), radix: 8))")
        }
        // Another user reads nothing.
        let nobody = try runProcess("/usr/bin/setpriv", ["--reuid", "65534", "--regid", "65534", "--clear-groups",
                                                        "cat", fixture.home + "/sessions/work-1.json"], in: "/")
        #expect(nobody.status != 0 && nobody.stdout.isEmpty)
        let listing = try runProcess("/usr/bin/setpriv", ["--reuid", "65534", "--regid", "65534", "--clear-groups",
                                                         "ls", fixture.home + "/sessions"], in: "/")
        #expect(listing.status != 0)
    }

    /// The home itself may be a link the user made; the folders under it are still closed.
    @Test func aLinkedHomeStillWorks() throws {
        let fixture = try GitFixture()
        let real = fixture.folder.file("real-home")
        try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: fixture.home, withDestinationPath: real)
        try fixture.started(1, title: "linked")
        #expect(mode(real) == 0o700 && mode(real + "/sessions") == 0o700)
        #expect(mode(real + "/sessions/work-1.json") == 0o600)
        try fixture.ppds(["update", "1", "--status", "working"]).check()
    }

    @Test func filesOfAnotherUserOrLinksInTheHomeAreRefused() throws {
        let fixture = try GitFixture()
        try fixture.started(1, title: "mine")
        // A session file that belongs to someone else is not read as ours.
        let session = fixture.home + "/sessions/work-1.json"
        #expect(chown(session, 65534, 65534) == 0)
        let show = try fixture.ppds(["show", "1"])
        #expect(show.status == 2 && show.stderr.contains("belongs to another user"), "\(show.stderr)")
        #expect(chown(session, 0, 0) == 0)
        // A machine id linked elsewhere is refused, not followed.
        let machine = fixture.home + "/machine-id"
        try FileManager.default.removeItem(atPath: machine)
        try write("m-elsewhere\n", fixture.folder.file("other-id"))
        try FileManager.default.createSymbolicLink(atPath: machine, withDestinationPath: fixture.folder.file("other-id"))
        let start = try fixture.ppds(["start-work", "2", "--offline"])
        #expect(start.status != 0 && (start.stdout + start.stderr).contains("symbolic link"), "\(start.stdout)\(start.stderr)")
        // A home folder another user owns is refused.
        try FileManager.default.removeItem(atPath: machine)
        #expect(chown(fixture.home + "/sessions", 65534, 65534) == 0)
        let update = try fixture.ppds(["update", "1", "--status", "working"])
        #expect(update.status != 0 && (update.stdout + update.stderr).contains("another user"), "\(update.stdout)\(update.stderr)")
        #expect(chown(fixture.home + "/sessions", 0, 0) == 0)
        // The trust records: another user's file grants nothing.
        try write("[hooks]\npost_create = [[\"touch\", \"HOOK_RAN\"]]\n", fixture.repo + "/.ppds.toml")
        try fixture.ppds(["trust"]).check()
        #expect(chown(fixture.home + "/trusted.json", 65534, 65534) == 0)
        let (worktree, _) = try fixture.started(3, title: "untrusted")
        #expect(!exists(worktree + "/HOOK_RAN"))
    }

    // MARK: The fresh-eyes attack on the fixes (F1–F4, F6)

    /// F1: under the default root an untrusted template stays under a folder named after the
    /// repository: never `~/bin`, which a login puts on PATH.
    @Test func anUntrustedWorktreeStaysUnderAFolderNamedAfterTheRepository() throws {
        let fixture = try GitFixture()
        try write("worktree = \"{parent}/{slug}\"\n", fixture.repo + "/.ppds.toml")
        let bin = try fixture.ppds(["start-work", "5", "--offline", "--title", "bin"])
        #expect(bin.status == 2, "\(bin.stdout)\(bin.stderr)")
        #expect(bin.stderr.contains("named after the repository"), "\(bin.stderr)")
        #expect(!exists(fixture.folder.file("bin")))
        try write("worktree = \"{parent}/go/bin/{repo}-{slug}\"\n", fixture.repo + "/.ppds.toml")
        #expect(try fixture.ppds(["start-work", "6", "--offline", "--title", "x"]).status == 2)
        // The ordinary templates still work untrusted.
        try write("worktree = \"{parent}/{repo}.{issue}-{slug}\"\n", fixture.repo + "/.ppds.toml")
        try fixture.ppds(["start-work", "7", "--offline", "--title", "fine"]).check()
        #expect(exists(fixture.folder.file("repo.7-fine")))
    }

    /// F2: tmux hands its command to a second shell: a value with shell code never reaches it,
    /// by argv, through `env tmux`, or as $PPDS_TITLE in a shell line.
    @Test func noShellCodeReachesTmuxsSecondShell() throws {
        let fixture = try GitFixture()
        let tmuxHome = fixture.folder.file("tmuxhome")
        let tmux = try TmuxServer(folder: fixture.folder, home: tmuxHome)
        let mark = tmuxHome + "/PWN"
        let branch = "z$(touch${IFS}\(mark))"
        try fixture.git("branch", branch)
        try write("spawn = [\"env\", \"tmux\", \"new-window\", \"-d\", \"echo working on {branch}; sleep 1\"]\n", fixture.home + "/config.toml")
        let (argv, argvResults) = try fixture.startWork(["23", "--branch", branch, "--title", "y"], environment: tmux.environment)
        #expect(argv.status == 1)
        #expect(((argvResults.first?["hooks"] as? [[String: Any]])?.first?["message"] as? String)?.contains("second shell") == true, "\(argvResults)")
        try write("spawn = '''tmux new-window -d -c \"$PPDS_WORKTREE\" \"echo \\\"$PPDS_TITLE\\\"; sleep 1\"'''\n", fixture.home + "/config.toml")
        let (line, lineResults) = try fixture.startWork(["41", "--title", "Fix $(touch \(mark)2) now"], environment: tmux.environment)
        #expect(line.status == 1, "\(line.stderr)")
        #expect(((lineResults.first?["hooks"] as? [[String: Any]])?.first?["outcome"] as? String) == "failed", "\(lineResults)")
        usleep(1_500_000)
        #expect(!exists(mark) && !exists(mark + "2"))
        // A plain title still spawns.
        let (plain, _) = try fixture.startWork(["42", "--title", "Plain words"], environment: tmux.environment)
        #expect(plain.status == 0, "\(plain.stderr)")
    }

    /// F3, F4: no {parent} in a repository's branch template, and no placeholder built by nesting.
    @Test func aRepositoryBranchTemplateCarriesNoFolderAndNoNesting() throws {
        let fixture = try GitFixture()
        for template in ["{type}{parent}/{slug}", "{type}/{re{type}po}-{slug}"] {
            try write("branch = \"\(template)\"\n", fixture.repo + "/.ppds.toml")
            let result = try fixture.ppds(["start-work", "8", "--offline", "--title", "five"])
            #expect(result.status != 0, "\(template): \(result.stdout)")
            #expect(result.stderr.contains("key 'branch'"), "\(template): \(result.stderr)")
        }
        try write("worktree = \"{parent}/{pa{slug}rent}{repo}-{slug}\"\n", fixture.repo + "/.ppds.toml")
        #expect(try fixture.ppds(["start-work", "9", "--offline", "--title", "x"]).status != 0)
    }

    /// F6: PPDS_HOME naming the user's home is refused, not made 0700.
    @Test func aHomeThatIsTheUsersHomeIsNotClosed() throws {
        let fixture = try GitFixture()
        let userHome = fixture.folder.file("userhome")
        try FileManager.default.createDirectory(atPath: userHome, withIntermediateDirectories: true)
        chmod(userHome, 0o755)
        let result = try fixture.ppds(["start-work", "1", "--offline"], environment: ["PPDS_HOME": userHome, "HOME": userHome])
        #expect(result.status != 0)
        #expect(result.stderr.contains("home folder"), "\(result.stderr)")
        #expect(mode(userHome) == 0o755)
    }
}
