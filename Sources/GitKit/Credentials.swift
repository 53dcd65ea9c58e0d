import CGit2
import Foundation
import Support

/// Credential attempts for one fetch or push: ssh-agent once, the default credential once, then
/// give up. Also collects the refs a remote refused, reported per ref by libgit2.
final class CredentialAttempts {
    var triedAgent = false
    var triedDefault = false
    var rejections: [String] = []
}

let acquireCredential: git_credential_acquire_cb = { out, _, usernameFromURL, allowedTypes, payload in
    guard let out, let payload else { return GIT_PASSTHROUGH.rawValue }
    let attempts = Unmanaged<CredentialAttempts>.fromOpaque(payload).takeUnretainedValue()
    if allowedTypes & GIT_CREDENTIAL_SSH_KEY.rawValue != 0, !attempts.triedAgent {
        attempts.triedAgent = true
        let user = usernameFromURL.map { String(cString: $0) } ?? "git"
        if git_credential_ssh_key_from_agent(out, user) == 0 { return 0 }
    }
    if allowedTypes & GIT_CREDENTIAL_DEFAULT.rawValue != 0, !attempts.triedDefault {
        attempts.triedDefault = true
        if git_credential_default_new(out) == 0 { return 0 }
    }
    // Nothing more to try: libgit2 fails with an authentication error instead of asking again.
    return GIT_EAUTH.rawValue
}

