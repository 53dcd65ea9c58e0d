import CSpawn
#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials

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

    /// SIGHUP and SIGTERM that come before the agent starts are kept, and passed on once it has
    /// started (see `ppds_forward_signals_prepare`).
    public static func keepHangupAndTerminateForTheAgent() { ppds_forward_signals_prepare() }

    /// SIGHUP and SIGTERM to this process are passed on to `child` (see `ppds_forward_signals_to`).
    public static func forwardHangupAndTerminate(to child: pid_t) { ppds_forward_signals_to(child) }
}
