import Foundation
import Support

/// The output of a finished process.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

/// Runs a program by argument vector (never a shell string) and waits for it, through the
/// same runner ppds uses. A program ended by a signal reports the signal's number, as a shell
/// would report it less 128 (9 for kill -9).
@discardableResult
public func runProcess(_ executable: String, _ arguments: [String], in directory: String? = nil,
                       environment: [String: String] = [:], stdin: String? = nil) throws -> ProcessResult {
    var env = TestEnvironment.gitIdentity
    for (key, value) in environment { env[key] = value }
    let output = try ProcessRunner.run([executable] + arguments, in: directory, environment: env,
                                       input: stdin.map { Data($0.utf8) }, timeout: 900)
    return ProcessResult(status: output.status < 0 ? -output.status : output.status, stdout: output.stdout, stderr: output.stderr)
}

public enum TestEnvironment {
    /// Fixed identity and dates so tests do not depend on the machine's git config.
    public static let gitIdentity: [String: String] = [
        "GIT_AUTHOR_NAME": "ppds test", "GIT_AUTHOR_EMAIL": "test@ppds.invalid",
        "GIT_COMMITTER_NAME": "ppds test", "GIT_COMMITTER_EMAIL": "test@ppds.invalid",
        "GIT_CONFIG_NOSYSTEM": "1", "NO_COLOR": "1",
    ]

    /// The package's root folder.
    public static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The built `ppds` executable, next to the test bundle.
    public static let ppdsBinary: String = {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("ppds").path,
            Bundle.main.bundleURL.appendingPathComponent("ppds").path,
            packageRoot + "/.build/debug/ppds",
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates.last!
    }()
}

/// A fresh temporary folder, removed when the value is released.
public final class TemporaryFolder: @unchecked Sendable {
    public let path: String

    public init(_ label: String = "ppds-test") {
        let base = NSTemporaryDirectory() + "\(label)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        // Canonical, so paths compare equal with what git and libgit2 report.
        path = URL(fileURLWithPath: base).resolvingSymlinksInPath().path
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    public func file(_ relative: String) -> String { path + "/" + relative }
}

/// A real git repository in a temporary folder, driven through the git CLI.
public final class GitFixture: @unchecked Sendable {
    public let folder: TemporaryFolder
    /// The main worktree: `<folder>/repo`.
    public let repo: String
    /// `PPDS_HOME` for this test.
    public let home: String

    /// A repository with one commit on `main` (a README and a source file), copied from a
    /// template that is built once per test process.
    public init() throws {
        folder = TemporaryFolder()
        repo = folder.path + "/repo"
        home = folder.path + "/home"
        try runProcess("/bin/cp", ["-a", try GitFixture.template(), repo]).check()
    }

    private static let templateLock = NSLock()
    nonisolated(unsafe) private static var templatePath: String?
    nonisolated(unsafe) private static var templateFolder: TemporaryFolder?

    static func template() throws -> String {
        templateLock.lock()
        defer { templateLock.unlock() }
        if let templatePath { return templatePath }
        let folder = TemporaryFolder("ppds-template")
        let repo = folder.path + "/repo"
        try FileManager.default.createDirectory(atPath: repo, withIntermediateDirectories: true)
        try runProcess("/usr/bin/git", ["init", "-q", "-b", "main", repo]).check()
        try "# demo\n".write(toFile: repo + "/README.md", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: repo + "/src", withIntermediateDirectories: true)
        try (1...20).map { "line \($0)\n" }.joined().write(toFile: repo + "/src/app.txt", atomically: true, encoding: .utf8)
        try runProcess("/usr/bin/git", ["-C", repo, "add", "-A"]).check()
        try runProcess("/usr/bin/git", ["-C", repo, "commit", "-q", "-m", "initial"]).check()
        templateFolder = folder
        templatePath = repo
        return repo
    }

    /// Runs git in the repository (or `directory`) and returns its trimmed stdout; fails on error.
    @discardableResult
    public func git(_ arguments: String..., in directory: String? = nil) throws -> String {
        try runProcess("/usr/bin/git", arguments, in: directory ?? repo).check().stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs git and returns the whole result, failing or not.
    public func gitResult(_ arguments: [String], in directory: String? = nil) throws -> ProcessResult {
        try runProcess("/usr/bin/git", arguments, in: directory ?? repo)
    }

    /// Writes a file in the repository (or `directory`) and commits it there.
    @discardableResult
    public func commit(_ file: String, _ content: String, message: String? = nil, in directory: String? = nil) throws -> String {
        let root = directory ?? repo
        let path = root + "/" + file
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try content.write(toFile: path, atomically: true, encoding: .utf8)
        try git("add", "--", file, in: root)
        try git("commit", "-q", "-m", message ?? "change \(file)", in: root)
        return try git("rev-parse", "HEAD", in: root)
    }

    /// Starts the built `ppds` in the repository with this fixture's `PPDS_HOME`, without
    /// waiting; its output goes to `output`, or nowhere.
    public func launchPPDS(_ arguments: [String], output: Pipe? = nil) throws -> Process {
        try TestSupport.launchPPDS(arguments, home: home, in: repo, output: output)
    }

    /// Runs the built `ppds` with this fixture's `PPDS_HOME`.
    @discardableResult
    public func ppds(_ arguments: [String], in directory: String? = nil, environment: [String: String] = [:], stdin: String? = nil) throws -> ProcessResult {
        var env = ["PPDS_HOME": home]
        for (key, value) in environment { env[key] = value }
        return try runProcess(TestEnvironment.ppdsBinary, arguments, in: directory ?? repo, environment: env, stdin: stdin)
    }
}

public struct ProcessFailure: Error, CustomStringConvertible {
    public let result: ProcessResult
    public var description: String { "exit \(result.status): \(result.stderr)\(result.stdout)" }
}

extension ProcessResult {
    @discardableResult
    public func check() throws -> ProcessResult {
        guard status == 0 else { throw ProcessFailure(result: self) }
        return self
    }

    /// stdout parsed as a JSON object.
    public func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any] else {
            throw ProcessFailure(result: self)
        }
        return object
    }
}

/// Reads a pipe to its end.
public func readToEnd(_ fd: Int32) -> Data { FileDescriptor.readToEnd(fd) }

/// One read of up to 64 KiB; nil at the end of the stream.
public func readChunk(_ fd: Int32) -> Data? {
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = read(fd, &buffer, buffer.count)
        if count > 0 { return Data(buffer[0..<count]) }
        if count == 0 { return nil }
        if errno != EINTR { return nil }
    }
}

/// Starts the built `ppds` with `PPDS_HOME=home`, without waiting.
public func launchPPDS(_ arguments: [String], home: String, in directory: String? = nil, output: Pipe? = nil) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: TestEnvironment.ppdsBinary)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    process.environment = ProcessInfo.processInfo.environment.merging(["PPDS_HOME": home]) { $1 }
    process.standardOutput = output ?? FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
}
