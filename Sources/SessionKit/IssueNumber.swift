import Support
/// An issue number: a positive integer. `456`, `#456` and the session id `work-456` all name it.
public struct IssueNumber: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let value: Int

    public init?(_ value: Int) {
        guard value > 0 else { return nil }
        self.value = value
    }

    /// Parses `456`, `#456` or `work-456`. Anything else (paths, `0`, `-3`, `12abc`,
    /// numbers too large to store) is nil.
    public init?(parsing text: String) {
        var digits = Substring(text)
        if digits.hasPrefix("work-") { digits = digits.dropFirst(5) }
        else if digits.hasPrefix("#") { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.utf8.count <= 18, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let value = Int(digits), value > 0 else { return nil }
        self.value = value
    }

    /// `work-456`
    public var sessionID: String { "work-\(value)" }
    /// `#456`, as the session file writes it.
    public var tag: String { "#\(value)" }
    public var description: String { tag }

    public static func < (lhs: IssueNumber, rhs: IssueNumber) -> Bool { lhs.value < rhs.value }
}
