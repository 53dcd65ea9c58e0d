import Support
/// git's attribute lookup as git 2.39 does it for a checkout into an empty folder (attr.c,
/// the pattern matching of dir.c, wildmatch.c): the same files in the same order, the same
/// line syntax, macros and precedence. Paths and patterns are bytes.
///
/// The attribute stack, from highest precedence: $GIT_COMMON_DIR/info/attributes, the
/// `.gitattributes` of the file's folder and of each parent up to the root (read from the
/// commit being checked out), the global attributes file, /etc/gitattributes, and the built-in
/// `[attr]binary -diff -merge -text`. Within a file, later lines win; within a line, later
/// assignments win. A macro set to true expands where it is set.
///
/// libgit2's attribute functions are not used: each lookup costs it several system calls
/// (realpath, stat of every attributes file), and its matching is not git's in every case.
///
/// A value: built (`add…`, then `finish`), then handed to the checkout's writer threads, which
/// each read their own copy; nothing is shared, so no lock.
struct GitAttributes: Sendable {
    /// An attribute's state on one line: `name`, `-name`, `!name` or `name=value`.
    enum Setting: Equatable, Sendable {
        case set, unset, unspecified
        case string([UInt8])
    }

    struct Pattern {
        var bytes: [UInt8]
        var noWildcardLength: Int
        var mustBeDirectory = false
        var noDirectory = false
        var endsWith = false
    }

    struct Rule {
        /// nil for a macro definition.
        var pattern: Pattern?
        /// The attribute a macro defines.
        var macro: Int?
        /// (attribute number, setting), in line order.
        var states: [(Int, Setting)]
    }

    struct Frame {
        var rules: [Rule] = []
    }

    /// Where an attributes file comes from, which decides how it is read.
    enum Source {
        /// info/attributes, the global or system file: read line by line (CR before LF and a
        /// UTF-8 byte order mark on the first line dropped), macros allowed.
        case file
        /// A `.gitattributes` of the commit: a blob, read up to its first NUL; macros only at the root.
        case tree(root: Bool)
    }

    private(set) var names: [[UInt8]: Int] = [:]
    private var info = Frame(), global = Frame(), system = Frame(), root = Frame()
    /// In-tree frames of folders other than the root, by folder path.
    private var folders: [[UInt8]: Frame] = [:]
    /// Each attribute's macro definition, resolved over the whole stack (only the frames that
    /// may define macros, which every path shares).
    private var macros: [Int: Rule] = [:]

    /// The numbers of the attributes the checkout asks for, in `CheckoutPlan.attributeNames` order.
    private(set) var wanted: [Int] = []

    private var builtinFrame = Frame()

    init() {
        GitAttributes.parse(Array("[attr]binary -diff -merge -text".utf8), source: .file, into: &builtinFrame, names: &names)
        wanted = CheckoutPlan.attributeNames.map { GitAttributes.intern(Array($0.utf8), &names) }
    }

    /// Attribute names by number.
    var nameList: [[UInt8]] {
        var list = [[UInt8]](repeating: [], count: names.count)
        for (name, number) in names { list[number] = name }
        return list
    }

    mutating func addInfo(_ bytes: [UInt8]) { GitAttributes.parse(bytes, source: .file, into: &info, names: &names) }
    mutating func addGlobal(_ bytes: [UInt8]) { GitAttributes.parse(bytes, source: .file, into: &global, names: &names) }
    mutating func addSystem(_ bytes: [UInt8]) { GitAttributes.parse(bytes, source: .file, into: &system, names: &names) }

    /// A `.gitattributes` blob of the commit, in folder `folder` ("" for the root).
    mutating func addTree(_ bytes: [UInt8], folder: [UInt8]) {
        if folder.isEmpty {
            GitAttributes.parse(bytes, source: .tree(root: true), into: &root, names: &names)
        } else {
            var frame = Frame()
            GitAttributes.parse(bytes, source: .tree(root: false), into: &frame, names: &names)
            folders[folder] = frame
        }
    }

    /// Call once after adding every file: resolves macros (`determine_macros`).
    mutating func finish() {
        macros = [:]
        for frame in [info, root, global, system, builtinFrame] {
            for rule in frame.rules.reversed() {
                if let macro = rule.macro, macros[macro] == nil { macros[macro] = rule }
            }
        }
    }

    /// Whether any assignment a path can receive (directly, or through a macro set on it)
    /// satisfies `changes`. Call after `finish`.
    func anyAssignment(_ changes: ([UInt8], Setting) -> Bool) -> Bool {
        let list = nameList
        var memo: [Int: Bool] = [:]
        func macroChanges(_ attribute: Int) -> Bool {
            guard let rule = macros[attribute] else { return false }
            if let known = memo[attribute] { return known }
            memo[attribute] = false
            let result = rule.states.contains(where: stateChanges)
            memo[attribute] = result
            return result
        }
        func stateChanges(_ state: (Int, Setting)) -> Bool {
            changes(list[state.0], state.1) || (state.1 == .set && macroChanges(state.0))
        }
        var frames = [info, root, global, system]
        frames += folders.values
        return frames.contains { frame in
            frame.rules.contains { $0.pattern != nil && $0.states.contains(where: stateChanges) }
        }
    }

    /// The settings of the wanted attributes for `path` (nil: unspecified), in
    /// `CheckoutPlan.attributeNames` order.
    func lookup(_ path: [UInt8]) -> [Setting?] { lookup(path, wanted) }

    /// The settings of attributes `numbers` (from `names`) for `path`; nil: unspecified.
    func lookup(_ path: [UInt8], _ numbers: [Int]) -> [Setting?] {
        var values = [Setting?](repeating: nil, count: names.count)
        var known = [Bool](repeating: false, count: names.count)
        let lastSlash = path.lastIndex(of: 0x2f)
        let basenameOffset = lastSlash.map { $0 + 1 } ?? 0
        let dirLength = lastSlash ?? 0

        func fillOne(_ rule: Rule) {
            for (attribute, setting) in rule.states.reversed() where !known[attribute] {
                known[attribute] = true
                values[attribute] = setting
                if setting == .set, let macro = macros[attribute] { fillOne(macro) }
            }
        }
        func fill(_ frame: Frame, base: [UInt8]) {
            for rule in frame.rules.reversed() {
                guard let pattern = rule.pattern else { continue }
                if GitAttributes.matches(path, basenameOffset: basenameOffset, pattern, base: base) { fillOne(rule) }
            }
        }
        fill(info, base: [])
        // Folders from the deepest up.
        if dirLength > 0 {
            var ends: [Int] = []
            for index in 0..<dirLength where path[index] == 0x2f { ends.append(index) }
            ends.append(dirLength)
            for end in ends.reversed() {
                let folder = Array(path[..<end])
                if let frame = folders[folder] { fill(frame, base: folder) }
            }
        }
        fill(root, base: [])
        fill(global, base: [])
        fill(system, base: [])
        fill(builtinFrame, base: [])
        return numbers.map { $0 < known.count && known[$0] ? values[$0] : nil }
    }

    // MARK: Reading (attr.c: read_attr_from_file / read_attr_from_index, parse_attr_line)

    static let blank: Set<UInt8> = [0x20, 0x09, 0x0d, 0x0a]

    static func parse(_ bytes: [UInt8], source: Source, into frame: inout Frame, names: inout [[UInt8]: Int]) {
        var lines: [ArraySlice<UInt8>] = []
        switch source {
        case .tree:
            // Up to the first NUL, split at LF.
            let end = bytes.firstIndex(of: 0) ?? bytes.count
            var start = 0
            while start < end {
                let newline = bytes[start..<end].firstIndex(of: 0x0a) ?? end
                lines.append(bytes[start..<newline])
                start = newline + 1
            }
        case .file:
            var start = 0
            while start < bytes.count {
                let newline = bytes[start...].firstIndex(of: 0x0a) ?? bytes.count
                var line = bytes[start..<newline]
                if newline < bytes.count, line.last == 0x0d { line = line.dropLast() }
                if start == 0, line.starts(with: [0xef, 0xbb, 0xbf]) { line = line.dropFirst(3) }
                // The line is a C string from here on.
                if let nul = line.firstIndex(of: 0) { line = line[..<nul] }
                lines.append(line)
                start = newline + 1
            }
        }
        let macroOK: Bool
        switch source {
        case .file: macroOK = true
        case .tree(let root): macroOK = root
        }
        for line in lines {
            if let rule = parseLine(Array(line), macroOK: macroOK, names: &names) { frame.rules.append(rule) }
        }
    }

    /// `parse_attr_line`; nil for blank, comment and rejected lines. Quoted patterns are not
    /// handled here (the plan hands such checkouts to git).
    static func parseLine(_ line: [UInt8], macroOK: Bool, names: inout [[UInt8]: Int]) -> Rule? {
        var index = 0
        while index < line.count && blank.contains(line[index]) { index += 1 }
        guard index < line.count, line[index] != 0x23 else { return nil }  // '#'
        guard line.count < 2048 else { return nil }
        var nameStart = index
        var nameEnd = index
        while nameEnd < line.count && !blank.contains(line[nameEnd]) { nameEnd += 1 }
        var statesStart = nameEnd
        var macro: Int?
        let prefix = Array("[attr]".utf8)
        if nameEnd - nameStart > prefix.count && Array(line[nameStart..<(nameStart + prefix.count)]) == prefix {
            guard macroOK else { return nil }
            nameStart += prefix.count
            nameEnd = nameStart
            while nameEnd < line.count && !blank.contains(line[nameEnd]) { nameEnd += 1 }
            let name = Array(line[nameStart..<nameEnd])
            guard validName(name[...]) else { return nil }
            macro = intern(name, &names)
            statesStart = nameEnd
        }
        while statesStart < line.count && blank.contains(line[statesStart]) { statesStart += 1 }
        // Every state must be valid, or the whole line is ignored.
        var states: [(Int, Setting)] = []
        var cursor = statesStart
        while cursor < line.count {
            var end = cursor
            while end < line.count && !blank.contains(line[end]) { end += 1 }
            // `strchr(cp, '=')` looks past the token; only an '=' inside it counts.
            let equals = line[cursor..<end].firstIndex(of: 0x3d)
            var nameFrom = cursor
            let nameTo = equals ?? end
            var setting: Setting
            if line[cursor] == 0x2d || line[cursor] == 0x21 {
                setting = line[cursor] == 0x2d ? .unset : .unspecified
                nameFrom += 1
            } else if let equals {
                setting = .string(Array(line[(equals + 1)..<end]))
            } else {
                setting = .set
            }
            guard nameFrom <= nameTo, validName(line[nameFrom..<nameTo]) else { return nil }
            states.append((intern(Array(line[nameFrom..<nameTo]), &names), setting))
            cursor = end
            while cursor < line.count && blank.contains(line[cursor]) { cursor += 1 }
        }
        if macro != nil { return Rule(pattern: nil, macro: macro, states: states) }
        guard let pattern = parsePattern(Array(line[nameStart..<nameEnd])) else { return nil }
        return Rule(pattern: pattern, macro: nil, states: states)
    }

    static func intern(_ name: [UInt8], _ names: inout [[UInt8]: Int]) -> Int {
        if let number = names[name] { return number }
        let number = names.count
        names[name] = number
        return number
    }

    /// `attr_name_valid`.
    static func validName(_ name: ArraySlice<UInt8>) -> Bool {
        guard let first = name.first, first != 0x2d else { return false }
        return name.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x61 && $0 <= 0x7a) || $0 == 0x2d || $0 == 0x2e || $0 == 0x5f }
    }

    static func isGlobSpecial(_ byte: UInt8) -> Bool { byte == 0x2a || byte == 0x3f || byte == 0x5b || byte == 0x5c }

    /// `simple_length`.
    static func simpleLength(_ bytes: ArraySlice<UInt8>) -> Int {
        var length = 0
        for byte in bytes {
            if isGlobSpecial(byte) { break }
            length += 1
        }
        return length
    }

    /// `parse_path_pattern`; nil for a negative pattern (git ignores the line).
    static func parsePattern(_ raw: [UInt8]) -> Pattern? {
        guard raw.first != 0x21 else { return nil }
        var length = raw.count
        var pattern = Pattern(bytes: [], noWildcardLength: 0)
        if length > 0 && raw[length - 1] == 0x2f {
            length -= 1
            pattern.mustBeDirectory = true
        }
        if !raw[..<length].contains(0x2f) { pattern.noDirectory = true }
        pattern.noWildcardLength = min(simpleLength(raw[...]), length)
        if raw.first == 0x2a && simpleLength(raw[1...]) == raw.count - 1 { pattern.endsWith = true }
        pattern.bytes = Array(raw[..<length])
        return pattern
    }

    // MARK: Matching (attr.c path_matches, dir.c match_basename / match_pathname)

    static func matches(_ path: [UInt8], basenameOffset: Int, _ pattern: Pattern, base: [UInt8]) -> Bool {
        if pattern.mustBeDirectory { return false }  // files only here
        if pattern.noDirectory {
            return matchBasename(path[basenameOffset...], pattern)
        }
        return matchPathname(path, base: base, pattern)
    }

    static func matchBasename(_ basename: ArraySlice<UInt8>, _ pattern: Pattern) -> Bool {
        let bytes = pattern.bytes
        if pattern.noWildcardLength == bytes.count {
            return bytes.count == basename.count && bytes.elementsEqual(basename)
        }
        if pattern.endsWith {
            let suffix = bytes.count - 1
            return suffix <= basename.count && bytes[1...].elementsEqual(basename.suffix(suffix))
        }
        return wildmatch(bytes[...], basename, pathname: false)
    }

    static func matchPathname(_ path: [UInt8], base: [UInt8], _ pattern: Pattern) -> Bool {
        var patternBytes = pattern.bytes[...]
        var prefix = pattern.noWildcardLength
        if patternBytes.first == 0x2f {
            patternBytes = patternBytes.dropFirst()
            prefix -= 1
        }
        let baseLength = base.count
        guard path.count >= baseLength + 1, baseLength == 0 || path[baseLength] == 0x2f,
              path.prefix(baseLength).elementsEqual(base) else { return false }
        var name = baseLength > 0 ? path[(baseLength + 1)...] : path[...]
        if prefix > 0 {
            if prefix > name.count { return false }
            guard patternBytes.prefix(prefix).elementsEqual(name.prefix(prefix)) else { return false }
            patternBytes = patternBytes.dropFirst(prefix)
            name = name.dropFirst(prefix)
            if patternBytes.isEmpty && name.isEmpty { return true }
        }
        return wildmatch(patternBytes, name, pathname: true)
    }

    // MARK: wildmatch.c

    static let match: Int32 = 0, noMatch: Int32 = 1, abortAll: Int32 = -1, abortToStarStar: Int32 = -2

    static func wildmatch(_ pattern: ArraySlice<UInt8>, _ text: ArraySlice<UInt8>, pathname: Bool) -> Bool {
        // NUL-terminated copies, as fnmatch_icase_mem makes them.
        let p = Array(pattern) + [0], t = Array(text) + [0]
        return p.withUnsafeBufferPointer { pb in
            t.withUnsafeBufferPointer { tb in
                dowild(pb.baseAddress!, tb.baseAddress!, pathname: pathname) == match
            }
        }
    }

    private static func strchr(_ text: UnsafePointer<UInt8>, _ byte: UInt8) -> UnsafePointer<UInt8>? {
        var cursor = text
        while cursor.pointee != 0 {
            if cursor.pointee == byte { return cursor }
            cursor += 1
        }
        return nil
    }

    private static func dowild(_ start: UnsafePointer<UInt8>, _ textStart: UnsafePointer<UInt8>, pathname: Bool) -> Int32 {
        let pattern = start
        var p = start
        var text = textStart
        while p.pointee != 0 {
            var pCh = p.pointee
            var tCh = text.pointee
            if tCh == 0 && pCh != 0x2a { return abortAll }
            switch pCh {
            case 0x3f:  // '?'
                if pathname && tCh == 0x2f { return noMatch }
            case 0x2a:  // '*'
                var matchSlash: Bool
                p += 1
                if p.pointee == 0x2a {
                    let prevP = p - 2
                    repeat { p += 1 } while p.pointee == 0x2a
                    if !pathname {
                        matchSlash = true
                    } else if (prevP < pattern || prevP.pointee == 0x2f) &&
                                (p.pointee == 0 || p.pointee == 0x2f || (p[0] == 0x5c && p[1] == 0x2f)) {
                        if p[0] == 0x2f && dowild(p + 1, text, pathname: pathname) == match { return match }
                        matchSlash = true
                    } else {
                        matchSlash = false
                    }
                } else {
                    matchSlash = !pathname
                }
                if p.pointee == 0 {
                    // Trailing "**" matches everything; trailing "*" only without more slashes.
                    if !matchSlash && strchr(text, 0x2f) != nil { return noMatch }
                    return match
                } else if !matchSlash && p.pointee == 0x2f {
                    // One asterisk then a slash matches the next folder.
                    guard let slash = strchr(text, 0x2f) else { return noMatch }
                    text = slash
                    // The slash is consumed by the loop's step.
                    break
                }
                while true {
                    if tCh == 0 { break }
                    if !isGlobSpecial(p.pointee) {
                        pCh = p.pointee
                        while true {
                            tCh = text.pointee
                            if tCh == 0 || !(matchSlash || tCh != 0x2f) { break }
                            if tCh == pCh { break }
                            text += 1
                        }
                        if tCh != pCh { return noMatch }
                    }
                    let matched = dowild(p, text, pathname: pathname)
                    if matched != noMatch {
                        if !matchSlash || matched != abortToStarStar { return matched }
                    } else if !matchSlash && tCh == 0x2f {
                        return abortToStarStar
                    }
                    text += 1
                    tCh = text.pointee
                }
                return abortAll
            case 0x5b:  // '['
                p += 1
                pCh = p.pointee
                if pCh == 0x5e { pCh = 0x21 }  // '^' means '!'
                let negated = pCh == 0x21
                if negated {
                    p += 1
                    pCh = p.pointee
                }
                var prevCh: UInt8 = 0
                var matched = false
                repeat {
                    if pCh == 0 { return abortAll }
                    if pCh == 0x5c {
                        p += 1
                        pCh = p.pointee
                        if pCh == 0 { return abortAll }
                        if tCh == pCh { matched = true }
                    } else if pCh == 0x2d && prevCh != 0 && p[1] != 0 && p[1] != 0x5d {
                        p += 1
                        pCh = p.pointee
                        if pCh == 0x5c {
                            p += 1
                            pCh = p.pointee
                            if pCh == 0 { return abortAll }
                        }
                        if tCh <= pCh && tCh >= prevCh { matched = true }
                        pCh = 0
                    } else if pCh == 0x5b && p[1] == 0x3a {
                        p += 2
                        let s = p
                        while p.pointee != 0 && p.pointee != 0x5d { p += 1 }
                        pCh = p.pointee
                        if pCh == 0 { return abortAll }
                        let length = s.distance(to: p) - 1
                        if length < 0 || p[-1] != 0x3a {
                            // No ":]": an ordinary '['.
                            p = s - 2
                            pCh = 0x5b
                            if tCh == pCh { matched = true }
                        } else {
                            let name = Array(UnsafeBufferPointer(start: s, count: length))
                            guard let test = characterClass(name) else { return abortAll }
                            if test(tCh) { matched = true }
                            pCh = 0
                        }
                    } else if tCh == pCh {
                        matched = true
                    }
                    prevCh = pCh
                    p += 1
                    pCh = p.pointee
                } while pCh != 0x5d
                if matched == negated || (pathname && tCh == 0x2f) { return noMatch }
            default:
                if pCh == 0x5c {
                    // A literal next character (a trailing backslash compares with NUL).
                    p += 1
                    pCh = p.pointee
                }
                if tCh != pCh { return noMatch }
            }
            text += 1
            p += 1
        }
        return text.pointee != 0 ? noMatch : match
    }

    /// The character classes of wildmatch, with git's ASCII-only ctype.
    private static func characterClass(_ name: [UInt8]) -> ((UInt8) -> Bool)? {
        let isDigit: (UInt8) -> Bool = { $0 >= 0x30 && $0 <= 0x39 }
        let isLower: (UInt8) -> Bool = { $0 >= 0x61 && $0 <= 0x7a }
        let isUpper: (UInt8) -> Bool = { $0 >= 0x41 && $0 <= 0x5a }
        let isAlpha: (UInt8) -> Bool = { isLower($0) || isUpper($0) }
        switch String(decoding: name, as: UTF8.self) {
        case "alnum": return { isAlpha($0) || isDigit($0) }
        case "alpha": return isAlpha
        case "blank": return { $0 == 0x20 || $0 == 0x09 }
        case "cntrl": return { $0 < 0x20 || $0 == 0x7f }
        case "digit": return isDigit
        case "graph": return { $0 > 0x20 && $0 < 0x7f }
        case "lower": return isLower
        case "print": return { $0 >= 0x20 && $0 < 0x7f }
        case "punct": return { $0 > 0x20 && $0 < 0x7f && !isAlpha($0) && !isDigit($0) }
        case "space": return { $0 == 0x20 || $0 == 0x09 || $0 == 0x0a || $0 == 0x0d }
        case "upper": return isUpper
        case "xdigit": return { isDigit($0) || ($0 >= 0x41 && $0 <= 0x46) || ($0 >= 0x61 && $0 <= 0x66) }
        default: return nil
        }
    }
}
