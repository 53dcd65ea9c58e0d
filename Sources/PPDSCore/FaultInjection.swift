import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Test hook: `PPDS_FAULT=<checkpoint>:fail` makes that step fail; `<checkpoint>:kill` kills the
/// process with SIGKILL there. Used by the crash and rollback tests.
public enum FaultInjection {
    public static func checkpoint(_ name: String) throws(PPDSError) {
        guard let spec = ProcessInfo.processInfo.environment["PPDS_FAULT"] else { return }
        for entry in spec.split(separator: ",") {
            let parts = entry.split(separator: ":")
            guard parts.count == 2, parts[0] == name else { continue }
            if parts[1] == "kill" { kill(getpid(), SIGKILL) }
            throw PPDSError.failed("injected fault at \(name)")
        }
    }
}
