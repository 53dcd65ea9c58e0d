import Foundation

/// A command from the config: an argument vector (an array), or a shell line (a string),
/// which the user's own config asks to run through `/bin/sh -c`.
public enum CommandSpec: Equatable, Sendable {
    case argv([String])
    case shell(String)

    public var display: String {
        switch self {
        case .argv(let argv): argv.joined(separator: " ")
        case .shell(let line): line
        }
    }
}

/// Runs external programs (gh, hooks, the worker spawn) by argument vector. A shell is used
/// only for a `CommandSpec.shell` line, which the user's own config asked for.
public enum ProcessRunner {
    public struct Output: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        public let timedOut: Bool
    }

    /// The absolute path of `program`, searched on PATH like a shell would (without one).
    public static func find(_ program: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if program.contains("/") { return FileManager.default.isExecutableFile(atPath: program) ? program : nil }
        for folder in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(folder)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    public static func argv(for command: CommandSpec) -> [String] {
        switch command {
        case .argv(let argv): argv
        case .shell(let line): ["/bin/sh", "-c", line]
        }
    }

    static func makeProcess(_ argv: [String], in directory: String?, environment: [String: String]) throws(PPDSError) -> Process {
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        // A fault meant for this ppds must not reach hooks or workers (which may run ppds too).
        env.removeValue(forKey: FaultInjection.variable)
        guard let first = argv.first, let executable = find(first, environment: env) else {
            throw PPDSError.failed("'\(argv.first ?? "")' was not found on PATH")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(argv.dropFirst())
        process.environment = env
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        return process
    }

    /// Runs and waits, capturing output; kills the program after `timeout` seconds.
    public static func run(_ argv: [String], in directory: String? = nil, environment: [String: String] = [:],
                           timeout: TimeInterval = 600) throws(PPDSError) -> Output {
        let process = try makeProcess(argv, in: directory, environment: environment)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { throw PPDSError.failed("cannot run \(argv[0]): \(error.localizedDescription)") }
        let timer = DispatchWorkItem { [process] in if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
        let errBox = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errBox.data = readToEnd(err.fileHandleForReading.fileDescriptor)
            group.leave()
        }
        let outData = readToEnd(out.fileHandleForReading.fileDescriptor)
        group.wait()
        process.waitUntilExit()
        timer.cancel()
        let timedOut = process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGTERM
        return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errBox.data, as: UTF8.self), timedOut: timedOut)
    }

    /// Starts a program without waiting for it (a worker session); its output goes to `log`.
    public static func spawn(_ argv: [String], in directory: String?, environment: [String: String], log: String) throws(PPDSError) -> Int32 {
        let process = try makeProcess(argv, in: directory, environment: environment)
        FileManager.default.createFile(atPath: log, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: log) else { throw PPDSError.failed("cannot write \(log)") }
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { throw PPDSError.failed("cannot run \(argv[0]): \(error.localizedDescription)") }
        return process.processIdentifier
    }
}

private final class DataBox: @unchecked Sendable {
    var data = Data()
}

/// Reads a pipe to its end, retrying reads a signal interrupted (FileHandle traps on EINTR).
func readToEnd(_ fd: Int32) -> Data {
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = read(fd, &buffer, buffer.count)
        if count > 0 { data.append(contentsOf: buffer[0..<count]); continue }
        if count < 0 && errno == EINTR { continue }
        return data
    }
}
