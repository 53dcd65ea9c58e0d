import CGit2
import Foundation
import Support
#if canImport(Glibc)
import Glibc
#endif

/// One file of the commit being checked out. Paths are the bytes git stores: never a Swift
/// String, which would replace invalid UTF-8 with U+FFFD.
struct PlannedFile: Sendable {
    /// Relative path, '/'-separated, without a terminator.
    let path: [UInt8]
    let id: ObjectID
    /// 0o100644, 0o100755, 0o120000 (symlink) or 0o160000 (submodule).
    let mode: UInt32
    var conversion = Conversion.none

    var isRegular: Bool { mode == 0o100644 || mode == 0o100755 }
    var display: String { CheckoutPlan.display(path) }
}

/// A checkout ppds cannot write itself, with why: what the git CLI would have to do.
public struct ExternalCheckoutRequest: Sendable {
    /// A filter driver the checkout runs, and the first file that needs it.
    public struct Filter: Sendable, Equatable {
        public let driver: String
        /// The config key whose command git runs (filter.<name>.process or .smudge), if any.
        public let key: String?
        public let command: String?
        public let required: Bool
        public let file: String

        public init(driver: String, key: String?, command: String?, required: Bool, file: String) {
            self.driver = driver
            self.key = key
            self.command = command
            self.required = required
            self.file = file
        }
    }

    /// One line per reason, naming the file and the attribute, filter or setting.
    public var reasons: [String] = []
    public var filters: [Filter] = []

    public var summary: String {
        var lines = reasons.prefix(5).map { $0 }
        if reasons.count > 5 { lines.append("and \(reasons.count - 5) more") }
        return lines.joined(separator: "; ")
    }
}

/// Decides, before anything is written, how a new worktree's files are made: by ppds's own
/// parallel writer with exactly git's conversions (`direct`), or by git itself (`git`) when a
/// file needs something only git can do (a smudge or process filter, working-tree-encoding,
/// a path git refuses, attributes or config ppds cannot read with certainty).
///
/// Attributes come from the commit being checked out (its `.gitattributes` files), from
/// `$GIT_COMMON_DIR/info/attributes`, git's global attributes file and /etc/gitattributes, as
/// git reads them when it checks out into an empty folder; so the order files are written in
/// cannot matter. Configuration comes from `CheckoutConfig` (git's files and environment).
enum CheckoutPlan {
    case direct(files: [PlannedFile], symlinks: Bool)
    case git(ExternalCheckoutRequest)

    /// The attributes git's `convert_attrs` asks for, in its order.
    static let attributeNames = ["crlf", "ident", "filter", "eol", "text", "working-tree-encoding"]

    static func display(_ path: [UInt8]) -> String {
        String(decoding: path, as: UTF8.self)
    }

    static func make(_ repository: Repository, commit: ObjectID, jobs: Int,
                     environment: [String: String] = ProcessInfo.processInfo.environment) throws(GitError) -> CheckoutPlan {
        let config = CheckoutConfig.read(commonDir: repository.commonDir, gitDir: repository.gitDir, environment: environment)
        if config.sparseCheckout {
            throw GitError(.precondition, "add worktree", repository.commonDir,
                           message: "core.sparseCheckout is on: ppds does not make sparse worktrees (git worktree add copies the sparse-checkout patterns); use git worktree add")
        }
        let tree = try TreeListing(repository, commit: commit)
        var request = ExternalCheckoutRequest()
        request.reasons += config.unsure.map { "configuration: \($0)" }
        if config.protectHFS { request.reasons.append("configuration: core.protectHFS is on") }
        for file in tree.files {
            if let problem = CheckoutPlan.pathProblem(file.path, mode: file.mode, config: config) {
                request.reasons.append("'\(file.display)': \(problem)")
            }
        }

        // Attribute sources, as git reads them for a checkout into an empty folder.
        var attributes = GitAttributes()
        for file in tree.attributeFiles {
            guard file.mode == 0o100644 || file.mode == 0o100755 else {
                request.reasons.append("'\(file.display)' is not a regular file in the commit")
                continue
            }
            let bytes = try tree.blob(file.id)
            if let unusual = CheckoutPlan.unusualAttributes(bytes, inTree: true) {
                request.reasons.append("\(file.display): \(unusual)")
                continue
            }
            let folder = file.path.count > 14 ? Array(file.path[..<(file.path.count - 15)]) : []
            attributes.addTree(bytes, folder: folder)
        }
        func readFile(_ path: String, _ add: ([UInt8]) -> Void) {
            guard let data = FileManager.default.contents(atPath: path) else { return }
            let bytes = Array(data)
            if let unusual = CheckoutPlan.unusualAttributes(bytes, inTree: false) {
                request.reasons.append("\(path): \(unusual)")
                return
            }
            add(bytes)
        }
        readFile(repository.commonDir + "/info/attributes") { attributes.addInfo($0) }
        if let raw = config.attributesFile {
            guard let expanded = CheckoutConfig.expand(raw, environment: environment), expanded.hasPrefix("/") else {
                request.reasons.append("configuration: core.attributesFile '\(raw)' is not an absolute path ppds can follow")
                return .git(request)
            }
            readFile(expanded) { attributes.addGlobal($0) }
        } else if let global = config.globalAttributesPath {
            readFile(global) { attributes.addGlobal($0) }
        }
        switch CheckoutConfig.parseEnvBool(environment["GIT_ATTR_NOSYSTEM"]) {
        case .some(true): break
        case .some(false): readFile("/etc/gitattributes") { attributes.addSystem($0) }
        case .none: request.reasons.append("configuration: GIT_ATTR_NOSYSTEM is not a boolean")
        }
        attributes.finish()
        let relevant = attributes.anyAssignmentChangesBytes(config)
        if relevant && config.ignoreCase {
            request.reasons.append("configuration: core.ignoreCase is on and attributes apply")
        }
        if !request.reasons.isEmpty { return .git(request) }

        var files = tree.files
        if relevant {
            let decisions = AttributeLookup.decide(files, attributes: attributes, config: config, jobs: jobs)
            for index in files.indices {
                let decision = decisions[index]
                files[index].conversion = decision.conversion
                if let encoding = decision.encoding {
                    request.reasons.append("'\(files[index].display)' has working-tree-encoding=\(encoding)")
                }
                if let driver = decision.driver {
                    let settings = config.drivers[driver] ?? CheckoutConfig.Driver()
                    let key = settings.process?.isEmpty == false ? "process" : settings.smudge?.isEmpty == false ? "smudge" : nil
                    if !request.filters.contains(where: { $0.driver == driver }) {
                        request.filters.append(.init(driver: driver, key: key.map { "filter.\(driver).\($0)" },
                                                     command: key == "process" ? settings.process : key == "smudge" ? settings.smudge : nil,
                                                     required: settings.required, file: files[index].display))
                    }
                    let what = key.map { "filter.\(driver).\($0)" } ?? "filter.\(driver).required"
                    request.reasons.append("'\(files[index].display)' uses filter '\(driver)' (\(what))")
                }
            }
        } else if config.autocrlf != .no {
            let conversion = AttributeLookup.conversion(.init(), config: config).conversion
            for index in files.indices where files[index].isRegular { files[index].conversion = conversion }
        }
        if !request.reasons.isEmpty { return .git(request) }
        return .direct(files: files, symlinks: config.symlinks)
    }

    /// Attribute-file content ppds does not read exactly as git does, or nil: C-quoted patterns,
    /// files of 100 MiB or more (git ignores them), and a byte order mark in a tree's file.
    static func unusualAttributes(_ bytes: [UInt8], inTree: Bool) -> String? {
        if bytes.count >= 100 * 1024 * 1024 { return "larger than 100 MiB, which git ignores" }
        if inTree && bytes.starts(with: [0xef, 0xbb, 0xbf]) { return "starts with a byte order mark" }
        for line in bytes.split(separator: 0x0a) {
            if line.first(where: { !GitAttributes.blank.contains($0) }) == 0x22 { return "a quoted pattern" }
        }
        return nil
    }

    /// Why git would refuse (or treat specially) a path, or nil. A conservative form of git's
    /// `verify_path` with core.protectNTFS on (its default everywhere).
    static func pathProblem(_ path: [UInt8], mode: UInt32, config: CheckoutConfig) -> String? {
        let components = path.split(separator: 0x2f, omittingEmptySubsequences: false)
        for (index, component) in components.enumerated() {
            let bytes = Array(component)
            if bytes.isEmpty || bytes == [0x2e] || bytes == [0x2e, 0x2e] { return "a path component git refuses" }
            for part in bytes.split(separator: 0x5c, omittingEmptySubsequences: false) {
                let lower = part.map { $0 >= 0x41 && $0 <= 0x5a ? $0 + 32 : $0 }
                func isDotName(_ name: String) -> Bool {
                    let prefix = Array(name.utf8)
                    guard lower.count >= prefix.count, Array(lower.prefix(prefix.count)) == prefix else { return false }
                    let rest = lower.dropFirst(prefix.count)
                    return rest.allSatisfy { $0 == 0x20 || $0 == 0x2e } || rest.first == 0x3a
                }
                if isDotName(".git") || lower == Array("git~1".utf8) { return "a name git keeps for itself (.git)" }
                if index == components.count - 1 && mode == 0o120000 && (isDotName(".gitmodules") || lower.starts(with: Array("gitmod~".utf8))) {
                    return "a symbolic link named .gitmodules"
                }
            }
        }
        return nil
    }
}

/// The commit's files and `.gitattributes` files, read from its tree with byte paths.
struct TreeListing {
    var files: [PlannedFile] = []
    var attributeFiles: [PlannedFile] = []
    let repository: Repository

    init(_ repository: Repository, commit: ObjectID) throws(GitError) {
        self.repository = repository
        let tree = try Handle.make("read tree", commit.hex, release: { git_tree_free($0) }) {
            out in
            let commitHandle = try? repository.lookupCommit(commit)
            guard let commitHandle else { return -1 }
            return commitHandle.withPointer { git_commit_tree(&out, $0) }
        }
        let collector = Collector()
        let payload = Unmanaged.passUnretained(collector).toOpaque()
        try gitCall("read tree", commit.hex) {
            tree.withPointer { tree in git_tree_walk(tree, GIT_TREEWALK_PRE, { root, entry, payload in
                let collector = Unmanaged<Collector>.fromOpaque(payload!).takeUnretainedValue()
                let type = git_tree_entry_type(entry)
                let nameBytes = UnsafeRawBufferPointer(start: git_tree_entry_name(entry), count: strlen(git_tree_entry_name(entry)))
                let rootBytes = UnsafeRawBufferPointer(start: root, count: root.map { strlen($0) } ?? 0)
                let path = Array(rootBytes) + Array(nameBytes)
                let mode = git_tree_entry_filemode(entry).rawValue
                let file = PlannedFile(path: path, id: ObjectID(git_tree_entry_id(entry).pointee), mode: mode)
                if Array(nameBytes) == Array(".gitattributes".utf8) { collector.attributes.append(file) }
                guard type == GIT_OBJECT_BLOB || type == GIT_OBJECT_COMMIT else { return 0 }
                collector.files.append(file)
                return 0
            }, payload) }
        }
        files = collector.files
        attributeFiles = collector.attributes
    }

    func blob(_ id: ObjectID) throws(GitError) -> [UInt8] {
        var oid = id.raw
        let blob = try Handle.make("read blob", id.hex, release: { git_blob_free($0) }) {
            out in repository.withPointer { git_blob_lookup(&out, $0, &oid) }
        }
        return blob.withPointer { blob in
            let size = Int(git_blob_rawsize(blob))
            guard size > 0, let base = git_blob_rawcontent(blob) else { return [] }
            return Array(UnsafeRawBufferPointer(start: base, count: size))
        }
    }

    private final class Collector {
        var files: [PlannedFile] = []
        var attributes: [PlannedFile] = []
    }
}

/// Per-file attribute lookups (git's `convert_attrs`) on worker threads, each with its own
/// repository handle that sees only the commit's attributes.
enum AttributeLookup {
    /// One file's conversion, or what only git can do for it.
    struct Decision: Sendable {
        var conversion = Conversion.none
        /// A working-tree-encoding git would apply.
        var encoding: String?
        /// A filter driver with a smudge or process command, or required.
        var driver: String?
    }

    enum Value: Sendable, Equatable {
        case unspecified, set, unset
        case string(String)
    }

    struct Attributes: Sendable {
        var crlf = Value.unspecified, ident = Value.unspecified, filter = Value.unspecified
        var eol = Value.unspecified, text = Value.unspecified, encoding = Value.unspecified
    }

    /// git's `convert_attrs` and the decisions that follow from it.
    static func conversion(_ attributes: Attributes, config: CheckoutConfig) -> Decision {
        func crlfAction(_ value: Value) -> Conversion.Action {
            switch value {
            case .set: .text
            case .unset: .binary
            case .unspecified: .undefined
            case .string("input"): .textInput
            case .string("auto"): .auto
            case .string: .undefined
            }
        }
        var action = crlfAction(attributes.text)
        if action == .undefined { action = crlfAction(attributes.crlf) }
        if action != .binary {
            let eol: CheckoutConfig.EOL
            switch attributes.eol {
            case .string("lf"): eol = .lf
            case .string("crlf"): eol = .crlf
            default: eol = .unset
            }
            if action == .auto && eol == .lf { action = .autoInput }
            else if action == .auto && eol == .crlf { action = .autoCRLF }
            else if eol == .lf { action = .textInput }
            else if eol == .crlf { action = .textCRLF }
        }
        if action == .text { action = config.textEOLIsCRLF ? .textCRLF : .textInput }
        if action == .undefined {
            switch config.autocrlf {
            case .no: action = .binary
            case .yes: action = .autoCRLF
            case .input: action = .autoInput
            }
        }
        var decision = Decision()
        decision.conversion.action = action
        decision.conversion.ident = attributes.ident == .set
        decision.conversion.textEOLIsCRLF = config.textEOLIsCRLF
        var hasCommand = false
        if case .string(let name) = attributes.filter, let driver = config.drivers[name] {
            hasCommand = driver.process != nil || driver.smudge != nil || driver.clean != nil
            if driver.required || driver.smudge?.isEmpty == false || driver.process?.isEmpty == false {
                decision.driver = name
            }
        }
        decision.conversion.inCore = hasCommand || action == .auto || action == .autoCRLF
        switch attributes.encoding {
        case .unspecified, .string(""): break
        case .set, .unset: decision.encoding = attributes.encoding == .set ? "true" : "false"
        case .string(let name):
            let lower = name.lowercased()
            if lower != "utf-8" && lower != "utf8" { decision.encoding = name }
        }
        return decision
    }

    static func decide(_ files: [PlannedFile], attributes: GitAttributes, config: CheckoutConfig, jobs: Int) -> [Decision] {
        let regular = files.indices.filter { files[$0].isRegular }
        let chunkSize = max(256, regular.count / max(1, jobs * 4))
        let chunks = stride(from: 0, to: regular.count, by: chunkSize).map { Array(regular[$0..<min($0 + chunkSize, regular.count)]) }
        let results = parallelMap(chunks, jobs: jobs) { chunk -> [(Int, Decision)] in
            chunk.map { index in
                let found = attributes.lookup(files[index].path)
                func value(_ setting: GitAttributes.Setting?) -> Value {
                    switch setting {
                    case .none, .some(.unspecified): .unspecified
                    case .some(.set): .set
                    case .some(.unset): .unset
                    case .some(.string(let bytes)): .string(String(decoding: bytes, as: UTF8.self))
                    }
                }
                let values = Attributes(crlf: value(found[0]), ident: value(found[1]), filter: value(found[2]),
                                        eol: value(found[3]), text: value(found[4]), encoding: value(found[5]))
                return (index, conversion(values, config: config))
            }
        }
        var decisions = Array(repeating: Decision(), count: files.count)
        for part in results { for (index, decision) in part { decisions[index] = decision } }
        return decisions
    }

    /// Whether one assignment can make some file's bytes differ from its blob under `config`.
    /// Without any such assignment anywhere, every file converts as the configuration alone
    /// says, and no attribute is looked up. With the default configuration, `text`, `text=auto`,
    /// `eol=lf`, `-text`, `binary`, `linguist-*`, `diff`, `merge` and `export-ignore` change no byte.
    static func changesBytes(_ name: [UInt8], _ setting: GitAttributes.Setting, config: CheckoutConfig) -> Bool {
        let positive: Bool, value: String?
        switch setting {
        case .set: positive = true; value = nil
        case .string(let bytes): positive = true; value = String(decoding: bytes, as: UTF8.self)
        case .unset, .unspecified: positive = false; value = nil
        }
        switch String(decoding: name, as: UTF8.self) {
        case "ident":
            return positive
        case "working-tree-encoding":
            // git dies on -working-tree-encoding as on a bare one: only git can say so.
            return positive || setting == .unset
        case "filter":
            // Only a string names a driver, and only a configured driver does anything.
            guard let value else { return false }
            return config.drivers[value] != nil
        case "text", "crlf", "eol":
            // With core.autocrlf=true every file converts by default: any of these can stop it.
            if config.autocrlf == .yes { return true }
            guard positive else { return false }
            if String(decoding: name, as: UTF8.self) == "eol" { return value == "crlf" }
            // text, crlf, text=auto, crlf=auto write CRLF only when core.eol says so.
            return config.textEOLIsCRLF && (value == nil || value == "auto")
        default:
            return false
        }
    }
}

extension GitAttributes {
    /// Whether any assignment in any attributes file can change some file's bytes under `config`.
    func anyAssignmentChangesBytes(_ config: CheckoutConfig) -> Bool {
        anyAssignment { AttributeLookup.changesBytes($0, $1, config: config) }
    }
}
