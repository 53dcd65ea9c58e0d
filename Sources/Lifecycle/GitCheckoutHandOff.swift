import Foundation
import GitKit
import Support

/// Hands one new worktree's checkout to the git CLI, for the checkouts ppds cannot write
/// byte-for-byte itself: a file with a smudge or process filter (git-lfs among them), a
/// working-tree-encoding, a path git refuses or treats specially, or attributes and
/// configuration GitKit cannot read with certainty. GitKit's `CheckoutPlan` decides and says
/// why; everything else is written by ppds's own parallel writer.
///
/// GitKit creates the admin entry, the `.git` file and HEAD; then this runs exactly what
/// `git worktree add` runs in a new worktree, by argument vector (no shell):
/// `git reset --hard --no-recurse-submodules --quiet`, with GIT_DIR and GIT_WORK_TREE set as
/// git sets them and the caller's environment otherwise (so config from GIT_CONFIG_* applies
/// as it would to git). Before anything is created, `prepare` refuses when git is not
/// installed, or when a required filter's command is missing (git would fail half-way).
public struct GitCLICheckout: ExternalCheckout {
    public var environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    public func prepare(_ request: ExternalCheckoutRequest) throws(GitError) {
        guard let git = ProcessRunner.find("git", environment: environment) else {
            throw GitError(.precondition, "add worktree", "git",
                           message: "ppds cannot write this checkout exactly itself (\(request.summary)), and the git CLI that can is not on PATH; nothing was created")
        }
        for filter in request.filters where filter.required {
            guard let command = filter.command, let key = filter.key else {
                throw GitError(.precondition, "add worktree", filter.file,
                               message: "'\(filter.file)' needs filter '\(filter.driver)', which is required (filter.\(filter.driver).required), but it has no smudge or process command: git worktree add would fail too; nothing was created")
            }
            guard let program = GitCLICheckout.program(of: command) else { continue }
            if findFilterProgram(program, git: git) == nil {
                throw GitError(.precondition, "add worktree", filter.file,
                               message: "'\(filter.file)' needs filter '\(filter.driver)', which is required (filter.\(filter.driver).required), but its command '\(program)' (\(key) = \(command)) is not installed: git worktree add would fail too; nothing was created")
            }
        }
    }

    public func checkout(_ request: ExternalCheckoutRequest, worktree: String, gitDir: String) throws(GitError) {
        guard let git = ProcessRunner.find("git", environment: environment) else {
            throw GitError(.precondition, "add worktree", "git", message: "the git CLI is not on PATH")
        }
        var env = environment
        for key in ["GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_PREFIX", "GIT_NAMESPACE"] { env.removeValue(forKey: key) }
        env["GIT_DIR"] = gitDir
        env["GIT_WORK_TREE"] = worktree
        let result = GitCLICheckout.run(git, ["reset", "--hard", "--no-recurse-submodules", "--quiet"], in: worktree, environment: env)
        guard result.status == 0 else {
            let detail = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").suffix(6).joined(separator: " / ")
            throw GitError(.precondition, "add worktree", worktree,
                           message: "git could not check out the worktree (\(request.summary)): \(detail.isEmpty ? "exit \(result.status)" : detail)")
        }
    }

    /// The program a filter command starts, when it can be told without a shell: its first word,
    /// if that word holds no shell syntax.
    static func program(of command: String) -> String? {
        guard let first = command.split(whereSeparator: { $0 == " " || $0 == "\t" }).first else { return nil }
        let special = Set("$`'\"\\;|&<>()*?[]{}~=#!")
        guard !first.contains(where: { special.contains($0) }) else { return nil }
        return String(first)
    }

    /// git runs filter commands with its exec path in front of PATH.
    private func findFilterProgram(_ program: String, git: String) -> String? {
        if let found = ProcessRunner.find(program, environment: environment) { return found }
        let execPath = GitCLICheckout.run(git, ["--exec-path"], in: nil, environment: environment).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard !execPath.isEmpty, !program.contains("/") else { return nil }
        let candidate = execPath + "/" + program
        return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
    }

    /// By argv, with exactly `environment` (what git would have), through ppds's one runner.
    private static func run(_ executable: String, _ arguments: [String], in directory: String?,
                            environment: [String: String]) -> (status: Int32, stdout: String, stderr: String) {
        do {
            let output = try ProcessRunner.run([executable] + arguments, in: directory, environment: environment, inheriting: false, timeout: 3600)
            return (output.timedOut ? -1 : output.status, output.stdout, output.timedOut ? output.summary : output.stderr)
        } catch {
            return (-1, "", error.message)
        }
    }
}
