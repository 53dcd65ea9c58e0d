import ArgumentParser
import Foundation
import Lifecycle
import SessionKit
import Support

struct PathCommand: SessionCommand {
    static let configuration = CommandConfiguration(
        commandName: "path",
        abstract: "Print a session's worktree path (what 'ppds cd' changes into; see 'ppds shell-init').")

    @OptionGroup var target: CurrentSessionTarget

    func execute() throws {
        // Only this repository's sessions (when run inside one, or with --repo).
        let (store, _, issue) = try CLI.target(issue, repo: repo)
        let session = try store.load(issue)
        guard FileManager.default.fileExists(atPath: session.worktree) else {
            throw PPDSError.notFound("\(issue.tag)'s worktree \(session.worktree) does not exist")
        }
        print(session.worktree)
    }
}
