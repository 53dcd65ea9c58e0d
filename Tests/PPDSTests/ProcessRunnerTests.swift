import Foundation
import Support
import Testing
import TestSupport

/// The runner ppds uses for gh, hooks and notify-send: argv only, timeouts that end the whole
/// process group, and exit statuses as they are.
@Suite struct ProcessRunnerTests {
    @Test func aTimeoutEndsTheProgramAndWhatItStarted() throws {
        let started = Date()
        // The grandchild keeps the output pipe open; before, ppds waited for it (75 s).
        let output = try ProcessRunner.run(["/bin/sh", "-c", "sleep 75 & echo $!; wait"], timeout: 1)
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed < 1 + ProcessRunner.killGrace + 2, "took \(elapsed) s")
        #expect(output.timedOut)
        #expect(output.summary == "timed out after 1 s")
        let grandchild = try #require(Int32(output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        usleep(200_000)
        // Gone, or a zombie waiting for init to reap it: either way no longer running.
        let state = (try? String(contentsOfFile: "/proc/\(grandchild)/stat", encoding: .utf8))?
            .split(separator: ")").last?.split(separator: " ").first
        #expect(state == nil || state == "Z", "the grandchild \(grandchild) is \(state.map(String.init) ?? "?")")
    }

    @Test func aProgramThatIgnoresSIGTERMIsKilled() throws {
        let output = try ProcessRunner.run(["/bin/sh", "-c", "trap '' TERM; sleep 30"], timeout: 0.5)
        #expect(output.timedOut)
        #expect(output.status == -9)
    }

    @Test func statusOutputAndFolder() throws {
        let folder = TemporaryFolder()
        let output = try ProcessRunner.run(["/bin/sh", "-c", "pwd; echo oops >&2; exit 3"], in: folder.path, environment: ["X": "1"])
        #expect(output.status == 3)
        #expect(!output.timedOut)
        #expect(output.summary == "exit 3")
        #expect(output.stdout == folder.path + "\n")
        #expect(output.stderr == "oops\n")
        let big = try ProcessRunner.run(["/bin/sh", "-c", "head -c 300000 /dev/zero; head -c 200000 /dev/zero >&2"])
        #expect(big.stdout.utf8.count == 300_000 && big.stderr.utf8.count == 200_000)
    }

    /// An endless printer (a broken or hostile gh) is stopped at the limit; before, ppds kept
    /// everything it printed until the timeout (9 GB in 30 s from `yes`).
    @Test func anEndlessPrinterIsStoppedAtTheOutputLimit() throws {
        let started = Date()
        let output = try ProcessRunner.run(["/bin/sh", "-c", "yes 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'"], timeout: 60, outputLimit: 1 << 20)
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed < 10, "took \(elapsed) s")
        #expect(output.overflowed && !output.timedOut)
        #expect(output.stdout.utf8.count + output.stderr.utf8.count <= 1 << 20)
        #expect(output.summary == "printed more than 1048576 bytes")
        let small = try ProcessRunner.run(["/bin/sh", "-c", "echo hi"], outputLimit: 3)
        #expect(!small.overflowed && small.stdout == "hi\n")
    }

    @Test func aMissingProgramIsNamed() {
        #expect(throws: PPDSError.self) { try ProcessRunner.run(["no-such-program-ppds"]) }
    }

    /// A descriptor ppds has open (without close-on-exec) never reaches a program it runs.
    @Test func programsInheritNoDescriptors() throws {
        let folder = TemporaryFolder()
        let fd = open(folder.file("held"), O_WRONLY | O_CREAT, 0o644)
        defer { close(fd) }
        #expect(fd > 2)
        let listing = try ProcessRunner.run(["/bin/ls", "/proc/self/fd"]).stdout.split(separator: "\n").compactMap { Int32($0) }
        #expect(!listing.contains(fd), "\(listing)")
        #expect(listing.allSatisfy { $0 <= 3 }, "\(listing)")
    }
}
