/// Makes untrusted text safe to print for people: issue titles (anyone who files an issue
/// writes them), stuck reasons, guidance, branch names, paths, hook output, error messages.
///
/// Every character that a terminal (or a notification) would act on instead of showing is
/// replaced by a visible escape, so such text cannot set the window title, write the clipboard
/// (OSC 52), clear the screen, move the cursor, or forge extra lines:
///
/// - `\n`, `\r`, `\t` for line feed, carriage return and tab; `\e` for ESC (U+001B);
/// - `\u{hex}` (Swift's spelling, lower-case hex) for every other C0 control (U+0000–U+001F),
///   DEL (U+007F), the C1 controls (U+0080–U+009F, e.g. U+009B, a one-byte CSI), the bidi
///   embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) that reorder the
///   displayed text, and the line and paragraph separators (U+2028, U+2029).
///
/// Everything else (letters of any script, accents, emoji, a backslash) is left as it is, so
/// ordinary text looks unchanged. The result is for display only: a backslash is not doubled,
/// so it cannot be decoded back. JSON output never goes through here; it keeps the exact text.
///
/// Apply it to each untrusted field where the human text is built, never to a whole line that
/// also holds the program's own colour or cursor codes.
public enum TerminalText {
    /// Whether `scalar` is replaced by `escaped`.
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029,
             0x200E, 0x200F, 0x061C: true  // the implicit direction marks reorder text too
        default: false
        }
    }

    /// `text` with every unsafe character replaced by a visible escape (see the type's notes).
    /// With `keepingNewlines`, line feeds stay as they are (for text whose line breaks are
    /// meant; see `block`).
    public static func escaped(_ text: String, keepingNewlines: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: { isUnsafe($0) && !(keepingNewlines && $0 == "\n") }) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard isUnsafe(scalar), !(keepingNewlines && scalar == "\n") else {
                out.append(scalar)
                continue
            }
            let escape: String
            switch scalar {
            case "\n": escape = "\\n"
            case "\r": escape = "\\r"
            case "\t": escape = "\\t"
            case "\u{1B}": escape = "\\e"
            default: escape = "\\u{\(String(scalar.value, radix: 16))}"
            }
            out.append(contentsOf: escape.unicodeScalars)
        }
        return String(out)
    }

    /// A multi-line message after `prefix` (e.g. `ppds: `): its line breaks are kept, but every
    /// line after the first is indented by the prefix's width, so no part of the message can
    /// start a line of its own and pass for separate output. Everything else unsafe is escaped;
    /// trailing line breaks are dropped. The result has no final line feed.
    public static func block(_ text: String, prefix: String) -> String {
        var body = Substring(escaped(text, keepingNewlines: true))
        while body.hasSuffix("\n") { body = body.dropLast() }
        let indent = String(repeating: " ", count: prefix.count)
        return prefix + body.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n" + indent)
    }
}
