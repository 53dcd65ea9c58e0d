import CGit2
import Foundation
import Support

/// What a push did.
public struct PushResult: Sendable, Equatable {
    public let remote: String
    public let branch: String
    /// Whether the push set `branch.<name>.remote` / `.merge` (there was no upstream).
    public let setUpstream: Bool
}

let pushUpdateReference: git_push_update_reference_cb = { refname, status, payload in
    if let status, let payload {
        let attempts = Unmanaged<CredentialAttempts>.fromOpaque(payload).takeUnretainedValue()
        attempts.rejections.append("\(refname.map { String(cString: $0) } ?? "?"): \(String(cString: status))")
    }
    return 0
}

extension Repository {
    /// The remote a branch pushes to: `branch.<name>.remote`, else `origin`.
    public func pushRemote(forBranch name: String) -> String {
        configString("branch.\(name).remote") ?? "origin"
    }

    /// `user.name` as git resolves it for this repository (the person at this machine), or nil.
    public var userName: String? { configString("user.name").flatMap { $0.isEmpty ? nil : String($0.prefix(128)) } }

    func configString(_ key: String) -> String? {
        var config: OpaquePointer?
        git_error_clear()
        guard withPointer({ git_repository_config_snapshot(&config, $0) }) == 0, let config else { git_error_clear(); return nil }
        defer { git_config_free(config) }
        var value: UnsafePointer<CChar>?
        guard git_config_get_string(&value, config, key) == 0, let value else { git_error_clear(); return nil }
        return String(cString: value)
    }

    /// Pushes `refs/heads/<branch>` to the same name on its remote (its `branch.<name>.remote`,
    /// else `origin`), never forced. With no upstream set, sets `branch.<name>.remote` and
    /// `.merge` afterwards. A local or file:// remote needs no credentials; others get ssh-agent
    /// and the default credential, once each. A rejected update is a `.moved` error.
    @discardableResult
    public func push(branch name: String) throws(GitError) -> PushResult {
        guard try self.branch(name) != nil else {
            throw GitError(.notFound, "push", name, message: "no such branch")
        }
        let remoteName = pushRemote(forBranch: name)
        let remote: Handle
        do {
            remote = try Handle.make("find remote", remoteName, release: { git_remote_free($0) }) {
                out in withPointer { git_remote_lookup(&out, $0, remoteName) }
            }
        } catch where error.kind == .notFound || error.kind == .invalidName {
            throw GitError(.notFound, "push", name, message: "the repository has no remote '\(remoteName)'")
        }
        let hadUpstream = configString("branch.\(name).merge") != nil && configString("branch.\(name).remote") != nil

        var options = git_push_options()
        try gitCall("push", name) { git_push_options_init(&options, UInt32(GIT_PUSH_OPTIONS_VERSION)) }
        let attempts = CredentialAttempts()
        let payload = Unmanaged.passRetained(attempts)
        defer { payload.release() }
        options.callbacks.credentials = acquireCredential
        options.callbacks.push_update_reference = pushUpdateReference
        options.callbacks.payload = payload.toOpaque()

        let refspec = "refs/heads/\(name):refs/heads/\(name)"
        var code: Int32 = 0
        var failure: GitError?
        refspec.withCString { spec in
            var strings: [UnsafeMutablePointer<CChar>?] = [UnsafeMutablePointer(mutating: spec)]
            strings.withUnsafeMutableBufferPointer { buffer in
                var array = git_strarray(strings: buffer.baseAddress, count: 1)
                git_error_clear()
                code = remote.withPointer { git_remote_push($0, &array, &options) }
                if code < 0 { failure = GitError.last(code, "push", name) }
            }
        }
        if let failure {
            if code == GIT_ENONFASTFORWARD.rawValue {
                throw GitError(.moved, "push", name, code: code,
                               message: "\(remoteName) rejected it: its \(name) has commits this branch lacks (not a fast-forward); fetch and merge or rebase first")
            }
            if code == GIT_EAUTH.rawValue || failure.message.lowercased().contains("auth") {
                throw GitError(.libgit2, "push", name, code: code,
                               message: "\(remoteName) refused the credentials (tried ssh-agent and the default credential): \(failure.message)")
            }
            throw failure
        }
        if !attempts.rejections.isEmpty {
            throw GitError(.moved, "push", name, message: "\(remoteName) rejected it: \(attempts.rejections.joined(separator: "; "))")
        }
        if !hadUpstream {
            let config = try Handle.make("open config", commonDir, release: { git_config_free($0) }) {
                out in withPointer { git_repository_config(&out, $0) }
            }
            try gitCall("set upstream", name) { config.withPointer { git_config_set_string($0, "branch.\(name).remote", remoteName) } }
            try gitCall("set upstream", name) { config.withPointer { git_config_set_string($0, "branch.\(name).merge", "refs/heads/\(name)") } }
        }
        return PushResult(remote: remoteName, branch: name, setUpstream: !hadUpstream)
    }
}
