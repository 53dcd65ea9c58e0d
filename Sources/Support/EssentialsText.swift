// What FoundationEssentials lacks of Foundation's text helpers, for the targets the front links:
// trimming, NSString's path parts, `%0Nd` padding. `EssentialsTextTests` compares each with Foundation.
// Trimming as `trimmingCharacters(in: .whitespaces)` and `(in: .whitespacesAndNewlines)` (there is
// no CharacterSet in FoundationEssentials), with the same sets as Foundation's:
// whitespace is Unicode's Zs plus U+0009 and U+200B (ZERO WIDTH SPACE, which Foundation's table
// still counts); newlines are U+000A–U+000D, U+0085, U+2028, U+2029.
extension Unicode.Scalar {
    /// `CharacterSet.whitespaces`.
    public var isFoundationWhitespace: Bool {
        value == 0x09 || value == 0x200B || properties.generalCategory == .spaceSeparator
    }

    /// `CharacterSet.whitespacesAndNewlines`.
    public var isFoundationWhitespaceOrNewline: Bool {
        switch value {
        case 0x09...0x0D, 0x85, 0x200B, 0x2028, 0x2029: return true
        default: return properties.generalCategory == .spaceSeparator
        }
    }
}

extension StringProtocol {
    /// `trimmingCharacters(in: .whitespaces)`.
    public func trimmingWhitespace() -> String { trimmingScalars(\.isFoundationWhitespace) }

    /// `trimmingCharacters(in: .whitespacesAndNewlines)`.
    public func trimmingWhitespaceAndNewlines() -> String { trimmingScalars(\.isFoundationWhitespaceOrNewline) }

    /// Foundation trims by Unicode scalars, not by Characters (so a combining mark after a space
    /// keeps only the mark).
    private func trimmingScalars(_ trimmed: (Unicode.Scalar) -> Bool) -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !trimmed($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !trimmed($0) })!
        var result = ""
        result.unicodeScalars.append(contentsOf: scalars[first...last])
        return result
    }
}

extension String {
    /// `path.lastPathPart`.
    public var lastPathPart: String {
        let trimmed = Paths.trimmingSlash(self)
        guard trimmed != "/" else { return "/" }
        guard let slash = trimmed.lastIndex(of: "/") else { return trimmed }
        return String(trimmed[trimmed.index(after: slash)...])
    }

    /// `path.parentPath`.
    public var parentPath: String {
        let trimmed = Paths.trimmingSlash(self)
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        if slash == trimmed.startIndex { return "/" }
        return Paths.trimmingSlash(String(trimmed[..<slash]))
    }
}

/// `String(format: "%0<width>d", value)`.
public func zeroPadded(_ value: some BinaryInteger, width: Int) -> String {
    let digits = String(value.magnitude)
    let negative = value < 0
    let padding = String(repeating: "0", count: max(0, width - digits.count - (negative ? 1 : 0)))
    return (negative ? "-" : "") + padding + digits
}
