import Support
/// git's rules for a branch name, in pure Swift: what `git check-ref-format --branch` accepts,
/// and a little stricter (`@` alone and `HEAD` are refused too). Session files are untrusted
/// input, and their branch names end up in ref paths, so these rules are checked on every read.
public enum RefName {
    /// True when `name` is a branch name git would accept (see `branchNameProblem`).
    public static func isValidBranchName(_ name: String) -> Bool {
        branchNameProblem(name) == nil
    }

    /// Which rule `name` breaks, or nil when it is a valid branch name.
    public static func branchNameProblem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty else { return "it is empty" }
        if name == "HEAD" { return "'HEAD' is not a branch name" }
        if name == "@" { return "'@' alone is not a branch name" }
        if bytes.first == UInt8(ascii: "-") { return "it starts with '-'" }
        if bytes.first == UInt8(ascii: "/") { return "it starts with '/'" }
        if bytes.last == UInt8(ascii: "/") { return "it ends with '/'" }
        if bytes.last == UInt8(ascii: ".") { return "it ends with '.'" }
        for (index, byte) in bytes.enumerated() {
            let next = index + 1 < bytes.count ? bytes[index + 1] : 0
            if byte < 0x20 || byte == 0x7F { return "it holds a control character" }
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "~"), UInt8(ascii: "^"), UInt8(ascii: ":"), UInt8(ascii: "?"),
                 UInt8(ascii: "*"), UInt8(ascii: "["), UInt8(ascii: "\\"):
                return "it holds '\(Character(Unicode.Scalar(byte)))'"
            case UInt8(ascii: ".") where next == UInt8(ascii: "."):
                return "it holds '..'"
            case UInt8(ascii: "@") where next == UInt8(ascii: "{"):
                return "it holds '@{'"
            case UInt8(ascii: "/") where next == UInt8(ascii: "/"):
                return "it holds '//'"
            default:
                break
            }
        }
        for component in bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            if component.first == UInt8(ascii: ".") { return "a component starts with '.'" }
            if component.count >= 5 && component.suffix(5).elementsEqual(".lock".utf8) { return "a component ends with '.lock'" }
        }
        return nil
    }
}

/// Rules for the paths a session file names.
public enum SessionPath {
    /// Why `path` is not an absolute, lexically canonical folder path (no `.` or `..`
    /// component, no `//`, no trailing `/`, not `/` itself), or nil when it is one.
    public static func worktreeProblem(_ path: String) -> String? {
        guard path.hasPrefix("/") else { return "it is not an absolute path" }
        guard path != "/" else { return "it is the root folder" }
        guard path.utf8.count <= 4096 else { return "it is longer than 4096 bytes" }
        guard !path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            return "it holds a control character"
        }
        guard !path.hasSuffix("/") else { return "it ends with '/'" }
        guard !path.contains("//") else { return "it holds '//'" }
        for component in path.split(separator: "/") where component == "." || component == ".." {
            return "it holds a '\(component)' component"
        }
        return nil
    }
}

extension Session {
    /// True when `base` names `branch` itself (`b`, `heads/b`, `refs/heads/b`, or one of those
    /// followed by a revision suffix such as `~0`, `^{}` or `@{0}`): against itself, every
    /// branch looks merged.
    public static func base(_ base: String, namesBranch branch: String) -> Bool {
        for prefix in ["", "heads/", "refs/heads/"] {
            let candidate = Substring(base)
            guard candidate.hasPrefix(prefix) else { continue }
            let rest = candidate.dropFirst(prefix.count)
            guard rest.hasPrefix(branch) else { continue }
            let suffix = rest.dropFirst(branch.count)
            if suffix.isEmpty || suffix.hasPrefix("~") || suffix.hasPrefix("^") || suffix.hasPrefix("@{") { return true }
        }
        return false
    }

    /// `text` quoted for an error message: JSON string escapes (no raw control characters
    /// reach a terminal), cut after 200 characters.
    static func quote(_ text: String) -> String {
        var out = ""
        let cut = text.unicodeScalars.count > 200
        JSONWriter.writeString(cut ? String(String.UnicodeScalarView(text.unicodeScalars.prefix(200))) : text, into: &out)
        return cut ? out + "…" : out
    }
}
