#if canImport(Glibc)
import Glibc
#endif

/// One environment variable, read with getenv(3): `ProcessInfo.environment` builds a dictionary
/// of all of them, which costs more than a front's whole work.
public enum Environment {
    public static func value(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
