#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials

/// Human durations: `45 s`, `15 min`, `2 h 5 min`, `3 d 4 h`.
public enum HumanDuration {
    public static func describe(_ seconds: TimeInterval) -> String {
        let total = max(0, Int(seconds))
        if total < 60 { return "\(total) s" }
        let minutes = total / 60
        if minutes < 60 { return "\(minutes) min" }
        let hours = minutes / 60
        if hours < 24 { return minutes % 60 == 0 ? "\(hours) h" : "\(hours) h \(minutes % 60) min" }
        return hours % 24 == 0 ? "\(hours / 24) d" : "\(hours / 24) d \(hours % 24) h"
    }

    /// Parses `90`, `90s`, `15m`, `2h`, `1d` (a bare number is minutes).
    public static func parse(_ text: String, bareUnit: TimeInterval = 60) -> TimeInterval? {
        let trimmed = text.trimmingWhitespace().lowercased()
        let units: [(String, TimeInterval)] = [("min", 60), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
            guard let value = Double(trimmed.dropLast(suffix.count)), value >= 0, value.isFinite else { return nil }
            return value * scale
        }
        guard let value = Double(trimmed), value >= 0, value.isFinite else { return nil }
        return value * bareUnit
    }
}
