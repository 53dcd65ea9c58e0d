import CSpawn
import Foundation

/// Who a pid is on this machine, from `/proc`: its start time (against pid reuse) and owner.
/// A recorded pid is only a claim; ppds signals or reports it only when these still match.
public enum ProcessIdentity {
    /// `/proc/<pid>/stat` field 22: the start time in clock ticks since boot. Read after the
    /// last `)`, since the command name (field 2) may hold spaces and parentheses.
    public static func startTime(of pid: Int32) -> UInt64? {
        guard pid > 0, let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return nil }
        // Fields 3… follow the name; field 22 is the 20th of them.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count >= 20 else { return nil }
        return UInt64(fields[19])
    }

    /// The real uid owning the process (the owner of `/proc/<pid>`).
    public static func owner(of pid: Int32) -> uid_t? {
        var info = stat()
        guard pid > 0, stat("/proc/\(pid)", &info) == 0 else { return nil }
        return info.st_uid
    }

    /// Whether `pid` is still the process that was recorded: alive, started at `start`, ours.
    public static func matches(pid: Int32, start: UInt64) -> Bool {
        startTime(of: pid) == start && owner(of: pid) == getuid()
    }

    /// Whether any process of the group `pgid` is left, zombies aside: a supervisor that has
    /// exited stays a zombie until tmux reaps it, which can take a second or more.
    public static func groupAlive(_ pgid: Int32) -> Bool {
        guard kill(-pgid, 0) == 0 || errno == EPERM else { return false }
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return true }
        for entry in entries where entry.first?.isNumber == true {
            guard let data = FileManager.default.contents(atPath: "/proc/\(entry)/stat") else { continue }
            let text = String(decoding: data, as: UTF8.self)
            guard let close = text.lastIndex(of: ")") else { continue }
            // After the name: field 3 (state), 4 (ppid), 5 (pgrp).
            let fields = text[text.index(after: close)...].split(separator: " ")
            if fields.count > 2, Int32(fields[2]) == pgid, fields[0] != "Z" { return true }
        }
        return false
    }
}

extension ProcessRunner {
    /// Starts `argv` in this process's group and terminal (see `ppds_spawn_foreground`): the
    /// agent under its supervisor. `environment` is the whole environment. Returns its pid.
    public static func startForeground(_ argv: [String], in directory: String, environment: [String: String],
                                       stdin: Int32 = -1) throws(PPDSError) -> pid_t {
        guard let first = argv.first, let executable = find(first, environment: environment) else {
            throw PPDSError.notFound("'\(argv.first ?? "")' was not found on PATH")
        }
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        var pid: pid_t = 0
        let code = ppds_spawn_foreground(&pid, executable, cArguments, cEnvironment, directory, stdin)
        guard code == 0 else { throw PPDSError.failed("cannot run \(argv[0]): \(String(cString: strerror(code)))") }
        return pid
    }

    /// SIGHUP and SIGTERM to this process are passed on to `child` (see `ppds_forward_signals_to`).
    public static func forwardHangupAndTerminate(to child: pid_t) { ppds_forward_signals_to(child) }
}
