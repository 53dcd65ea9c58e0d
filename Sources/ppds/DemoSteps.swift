import Lifecycle
import Support
import LifecycleCore

/// What both demos do between ppds's own steps: a labelled step, and git standing in for the
/// outside world (workers committing, a forge merging).
enum DemoSteps {
    static func step(_ label: String, _ body: () throws -> Void) throws(PPDSError) {
        print("· \(label)")
        do { try body() } catch { throw PPDSError.failed("demo: \(label): \(PPDSError.from(error).message)") }
    }

    static func git(_ arguments: [String], in directory: String) throws {
        let output = try ProcessRunner.run(["git", "-c", "user.name=ppds demo", "-c", "user.email=demo@ppds.invalid",
                                            "-c", "commit.gpgsign=false"] + arguments, in: directory)
        guard output.status == 0 else {
            throw PPDSError.failed("git \(arguments.joined(separator: " ")) failed: \(output.stderr)")
        }
    }
}
