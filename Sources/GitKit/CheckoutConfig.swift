import CGit2
import Foundation
import Support

/// The configuration that decides a checkout's bytes, read the way git 2.39 reads it, not the way
/// libgit2 does: the system file (unless GIT_CONFIG_NOSYSTEM; GIT_CONFIG_SYSTEM moves it), the
/// global files (GIT_CONFIG_GLOBAL replaces ~/.gitconfig and the XDG file), the repository's file,
/// the current worktree's config.worktree when extensions.worktreeConfig is on (git worktree add
/// copies it into the new worktree, and so does ppds), then
/// GIT_CONFIG_COUNT/KEY_n/VALUE_n and GIT_CONFIG_PARAMETERS. libgit2 1.5.1 reads none of the
/// environment variables. Later values win, as in git.
///
/// Only the keys that change what a checkout writes are kept. What cannot be read with
/// certainty (a malformed value or variable, a conditional include that could set one of
/// these keys) is recorded in `unsure`, and the checkout is then left to git.
struct CheckoutConfig: Sendable {
    enum AutoCRLF: Sendable { case no, yes, input }
    enum EOL: Sendable { case unset, lf, crlf }

    struct Driver: Sendable {
        var smudge: String?
        var clean: String?
        var process: String?
        var required = false
    }

    var autocrlf = AutoCRLF.no
    var eol = EOL.unset
    var symlinks = true
    var ignoreCase = false
    var sparseCheckout = false
    var protectHFS = false
    var protectNTFS = true
    /// The raw core.attributesFile value, if any.
    var attributesFile: String?
    /// Filter drivers by name (`filter.<name>.*`), as git's `read_convert_config` builds them.
    var drivers: [String: Driver] = [:]
    /// Reasons the settings above may not be what git will use.
    var unsure: [String] = []
    /// Environment values that name files (HOME, XDG_CONFIG_HOME), as read.
    let environment: [String: String]

    /// `text_eol_is_crlf()`.
    var textEOLIsCRLF: Bool {
        switch autocrlf {
        case .yes: return true
        case .input: return false
        case .no: return eol == .crlf
        }
    }

    /// git's global attributes file: core.attributesFile, else $XDG_CONFIG_HOME/git/attributes
    /// or ~/.config/git/attributes. nil when there is none to read.
    var globalAttributesPath: String? {
        if let attributesFile { return CheckoutConfig.expand(attributesFile, environment: environment) }
        return CheckoutConfig.xdgPath("attributes", environment: environment)
    }

    // MARK: Reading

    /// Reads the configuration git would use for a new worktree of the repository whose common
    /// folder is `commonDir`, added from the worktree whose admin folder is `gitDir`.
    static func read(commonDir: String, gitDir: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> CheckoutConfig {
        var config = CheckoutConfig(environment: environment)
        var files: [String] = []
        switch parseEnvBool(environment["GIT_CONFIG_NOSYSTEM"]) {
        case .some(false): files.append(environment["GIT_CONFIG_SYSTEM"] ?? "/etc/gitconfig")
        case .some(true): break
        case .none: config.unsure.append("GIT_CONFIG_NOSYSTEM is not a boolean")
        }
        if let global = environment["GIT_CONFIG_GLOBAL"] {
            files.append(global)
        } else {
            if let xdg = xdgPath("config", environment: environment) { files.append(xdg) }
            if let home = environment["HOME"], !home.isEmpty { files.append(home + "/.gitconfig") }
        }
        files.append(commonDir + "/config")
        for file in files { config.readFile(file) }
        if worktreeConfigEnabled(commonDir: commonDir) {
            config.readFile(gitDir + "/config.worktree")
        }
        config.readEnvironment()
        return config
    }

    /// Whether the repository's own config turns on extensions.worktreeConfig.
    static func worktreeConfigEnabled(commonDir: String) -> Bool {
        var on = false
        CheckoutConfig.entries(of: commonDir + "/config") { name, value, _ in
            if name == "extensions.worktreeconfig" { on = CheckoutConfig.parseBool(value) ?? false }
        }
        return on
    }

    /// Every entry of one config file (its include.path files inline, as libgit2 reads them),
    /// with the depth of include each came from.
    static func entries(of path: String, _ body: (String, String?, UInt32) -> Void) {
        Libgit2.ensure()
        guard FileManager.default.fileExists(atPath: path) else { return }
        var out: OpaquePointer?
        guard git_config_open_ondisk(&out, path) == 0, let out else { git_error_clear(); return }
        defer { git_config_free(out) }
        var iterator: OpaquePointer?
        guard git_config_iterator_new(&iterator, out) == 0, let iterator else { git_error_clear(); return }
        defer { git_config_iterator_free(iterator) }
        var entry: UnsafeMutablePointer<git_config_entry>?
        while git_config_next(&entry, iterator) == 0, let current = entry {
            let name = String(cString: current.pointee.name)
            let value = current.pointee.value.map { String(cString: $0) }
            body(name, value, current.pointee.include_depth)
        }
        git_error_clear()
    }

    private mutating func readFile(_ path: String) {
        guard FileManager.default.fileExists(atPath: path) else { return }
        if FileManager.default.contents(atPath: path) == nil {
            unsure.append("cannot read \(path)")
            return
        }
        var conditional: [(String, UInt32)] = []
        CheckoutConfig.entries(of: path) { name, value, depth in
            if name.hasPrefix("includeif.") && name.hasSuffix(".path") {
                conditional.append((value ?? "", depth))
                return
            }
            apply(name, value, origin: path)
        }
        // libgit2 without a repository skips conditional includes; git may follow them. They
        // matter only when the file they name sets one of our keys.
        let folder = (path as NSString).deletingLastPathComponent
        for (target, depth) in conditional {
            guard depth == 0 else {
                unsure.append("\(path) includes a file conditionally from inside an include")
                continue
            }
            var resolved = CheckoutConfig.expand(target, environment: environment) ?? target
            if !resolved.hasPrefix("/") { resolved = folder + "/" + resolved }
            if CheckoutConfig.setsCheckoutKeys(resolved, environment: environment, depth: 0) {
                unsure.append("\(path) includes \(resolved) conditionally, and it sets keys that change checkouts")
            }
        }
    }

    /// Whether a file (or its includes) sets any key this type reads.
    private static func setsCheckoutKeys(_ path: String, environment: [String: String], depth: Int) -> Bool {
        guard depth < 10 else { return true }
        var found = false
        entries(of: path) { name, value, _ in
            if isCheckoutKey(name) { found = true }
            if name.hasPrefix("includeif.") && name.hasSuffix(".path"), let value {
                var resolved = expand(value, environment: environment) ?? value
                if !resolved.hasPrefix("/") { resolved = (path as NSString).deletingLastPathComponent + "/" + resolved }
                if setsCheckoutKeys(resolved, environment: environment, depth: depth + 1) { found = true }
            }
        }
        return found
    }

    static func isCheckoutKey(_ name: String) -> Bool {
        if name.hasPrefix("filter.") { return true }
        return ["core.autocrlf", "core.eol", "core.symlinks", "core.ignorecase", "core.sparsecheckout", "core.protecthfs",
                "core.protectntfs", "core.attributesfile"].contains(name)
    }

    /// One key=value, in git's order of reading.
    private mutating func apply(_ name: String, _ value: String?, origin: String) {
        func bool(_ default: Bool) -> Bool {
            guard let parsed = CheckoutConfig.parseBool(value) else {
                unsure.append("\(name) = \(value ?? "") in \(origin) is not a boolean")
                return `default`
            }
            return parsed
        }
        switch name {
        case "core.autocrlf":
            if let value, value.lowercased() == "input" {
                autocrlf = .input
            } else {
                autocrlf = bool(false) ? .yes : .no
            }
        case "core.eol":
            switch value?.lowercased() {
            case "lf", "native": eol = .lf  // native is LF here
            case "crlf": eol = .crlf
            default: eol = .unset
            }
        case "core.symlinks": symlinks = bool(true)
        case "core.ignorecase": ignoreCase = bool(false)
        case "core.sparsecheckout": sparseCheckout = bool(false)
        case "core.protecthfs": protectHFS = bool(false)
        case "core.protectntfs": protectNTFS = bool(true)
        case "core.attributesfile":
            guard let value else {
                unsure.append("core.attributesFile in \(origin) has no value")
                return
            }
            attributesFile = value
        default:
            guard name.hasPrefix("filter.") else { return }
            // filter.<name>.<key>: the name may itself hold dots.
            guard let lastDot = name.lastIndex(of: "."), lastDot > name.index(name.startIndex, offsetBy: 6) else { return }
            let driverName = String(name[name.index(name.startIndex, offsetBy: 7)..<lastDot])
            let key = String(name[name.index(after: lastDot)...])
            var driver = drivers[driverName] ?? Driver()
            switch key {
            case "smudge", "clean", "process":
                guard let value else {
                    unsure.append("\(name) in \(origin) has no value")
                    break
                }
                if key == "smudge" { driver.smudge = value }
                if key == "clean" { driver.clean = value }
                if key == "process" { driver.process = value }
            case "required":
                driver.required = bool(false)
            default:
                break
            }
            drivers[driverName] = driver
        }
    }

    // MARK: The environment

    private mutating func readEnvironment() {
        if let countText = environment["GIT_CONFIG_COUNT"] {
            if let count = Int(countText), count >= 0, count <= Int(Int32.max) {
                for index in 0..<count {
                    guard let key = environment["GIT_CONFIG_KEY_\(index)"] else {
                        unsure.append("GIT_CONFIG_KEY_\(index) is missing")
                        return
                    }
                    guard let value = environment["GIT_CONFIG_VALUE_\(index)"] else {
                        unsure.append("GIT_CONFIG_VALUE_\(index) is missing")
                        return
                    }
                    applyEnvironmentPair(key, value, origin: "GIT_CONFIG_KEY_\(index)")
                }
            } else if !countText.isEmpty {
                unsure.append("GIT_CONFIG_COUNT is not a count")
                return
            }
        }
        if let parameters = environment["GIT_CONFIG_PARAMETERS"] {
            guard let pairs = CheckoutConfig.parseParameters(parameters) else {
                unsure.append("GIT_CONFIG_PARAMETERS is malformed")
                return
            }
            for (key, value) in pairs { applyEnvironmentPair(key, value, origin: "GIT_CONFIG_PARAMETERS") }
        }
    }

    private mutating func applyEnvironmentPair(_ key: String, _ value: String?, origin: String) {
        guard let canonical = CheckoutConfig.canonicalKey(key) else {
            unsure.append("\(origin) holds an invalid key '\(key)'")
            return
        }
        apply(canonical, value, origin: origin)
    }

    /// git's `git_config_parse_key`: section and variable lower-cased, subsection kept.
    static func canonicalKey(_ key: String) -> String? {
        guard let first = key.firstIndex(of: "."), let last = key.lastIndex(of: "."), last < key.index(before: key.endIndex) else { return nil }
        let section = key[..<first].lowercased()
        let variable = key[key.index(after: last)...].lowercased()
        guard !section.isEmpty, section.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }),
              variable.first?.isLetter == true, variable.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else { return nil }
        if first == last { return section + "." + variable }
        return section + "." + String(key[key.index(after: first)..<last]) + "." + variable
    }

    /// GIT_CONFIG_PARAMETERS: shell-quoted `'key'='value'` (new) or `'key=value'` (old) items.
    static func parseParameters(_ text: String) -> [(String, String?)]? {
        let bytes = Array(text.utf8)
        var index = 0
        var pairs: [(String, String?)] = []
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d }
        /// `sq_dequote_step`: one quoted word, with '\'' and '\!' joins.
        func dequote() -> [UInt8]? {
            guard index < bytes.count, bytes[index] == 0x27 else { return nil }
            var out: [UInt8] = []
            index += 1
            while true {
                guard index < bytes.count else { return nil }
                let byte = bytes[index]
                if byte != 0x27 { out.append(byte); index += 1; continue }
                index += 1  // past the closing quote
                if index + 2 < bytes.count + 0, index < bytes.count, bytes[index] == 0x5c,
                   index + 2 < bytes.count, bytes[index + 1] == 0x27 || bytes[index + 1] == 0x21, bytes[index + 2] == 0x27 {
                    out.append(bytes[index + 1])
                    index += 3
                    continue
                }
                return out
            }
        }
        while index < bytes.count {
            guard let key = dequote() else { return nil }
            let keyText = String(decoding: key, as: UTF8.self)
            if index >= bytes.count || isSpace(bytes[index]) {
                // Old style 'key=value': split at the first '='.
                if let equals = keyText.firstIndex(of: "=") {
                    pairs.append((String(keyText[..<equals]), String(keyText[keyText.index(after: equals)...])))
                } else {
                    pairs.append((keyText, nil))
                }
            } else if bytes[index] == 0x3d {
                index += 1
                if index < bytes.count && bytes[index] == 0x27 {
                    guard let value = dequote() else { return nil }
                    if index < bytes.count && !isSpace(bytes[index]) { return nil }
                    pairs.append((keyText, String(decoding: value, as: UTF8.self)))
                } else if index >= bytes.count || isSpace(bytes[index]) {
                    pairs.append((keyText, nil))
                } else {
                    return nil
                }
            } else {
                return nil
            }
            while index < bytes.count && isSpace(bytes[index]) { index += 1 }
        }
        return pairs
    }

    // MARK: Values

    /// git's `git_parse_maybe_bool` then `git_parse_int`; nil when git would die.
    static func parseBool(_ value: String?) -> Bool? {
        guard let value else { return true }
        switch value.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off", "": return false
        default: break
        }
        var digits = Substring(value)
        var factor = 1
        if let last = digits.last?.lowercased() {
            switch last {
            case "k": factor = 1024; digits = digits.dropLast()
            case "m": factor = 1024 * 1024; digits = digits.dropLast()
            case "g": factor = 1024 * 1024 * 1024; digits = digits.dropLast()
            default: break
            }
        }
        guard let number = Int(digits), number.multipliedReportingOverflow(by: factor).overflow == false,
              Int32(exactly: number * factor) != nil else { return nil }
        return number != 0
    }

    /// `git_env_bool` with a default of false; nil when git would die.
    static func parseEnvBool(_ value: String?) -> Bool? {
        guard let value else { return false }
        return parseBool(value)
    }

    /// git's `interpolate_path` for the forms ppds can follow: `~/...` and absolute or relative
    /// paths. nil for `~user/` and `%(prefix)/` forms.
    static func expand(_ path: String, environment: [String: String]) -> String? {
        if path == "~" || path.hasPrefix("~/") {
            guard let home = environment["HOME"], !home.isEmpty else { return nil }
            return home + path.dropFirst()
        }
        if path.hasPrefix("~") || path.hasPrefix("%(prefix)/") { return nil }
        return path
    }

    /// `xdg_config_home(name)`.
    static func xdgPath(_ name: String, environment: [String: String]) -> String? {
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty { return xdg + "/git/" + name }
        if let home = environment["HOME"], !home.isEmpty { return home + "/.config/git/" + name }
        return nil
    }
}
