#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Test hook: `PPDS_FAULT=<checkpoint>:fail` makes that step fail; `<checkpoint>:kill` kills the
/// process with SIGKILL there. Used by the crash and rollback tests.
///
/// Debug builds only (`swift test` builds debug): in a release build a checkpoint does nothing,
/// so the variable cannot make an installed ppds fail or die. Either way ppds never passes the
/// variable on to the programs it runs (hooks, the worker spawn, gh); see `ProcessRunner`.
public enum FaultInjection {
    /// The environment variable that names the faults.
    public static let variable = "PPDS_FAULT"

    public static func checkpoint(_ name: String) throws(PPDSError) {
        #if DEBUG
        guard let spec = Environment.value(variable) else { return }
        for entry in spec.split(separator: ",") {
            let parts = entry.split(separator: ":")
            guard parts.count == 2, parts[0] == name else { continue }
            if parts[1] == "kill" { kill(getpid(), SIGKILL) }
            throw PPDSError.failed("injected fault at \(name)")
        }
        #endif
    }
}
