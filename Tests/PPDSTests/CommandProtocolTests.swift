import Foundation
import Testing
import TestSupport

/// The plumbing every command shares (`PPDSCommand`): a failure's JSON document follows the
/// parsed `--json`, never a word of another program's, and help lists the commands by group.
@Suite struct CommandProtocolTests {
    let fixture: GitFixture

    init() throws {
        fixture = try GitFixture()
    }

    /// `start-work 7 --exec tool --json`: the `--json` is the tool's. A failure of ppds's own is
    /// then said in text alone (it used to print a JSON document no one asked ppds for).
    @Test func aJSONFlagAfterExecIsTheToolsNotPpdss() throws {
        let missing = fixture.folder.file("no-such-repository")
        let theTools = try fixture.ppds(["start-work", "7", "--offline", "--repo", missing, "--exec", "tool", "--json"])
        #expect(theTools.status != 0)
        #expect(theTools.stdout.isEmpty, "\(theTools.stdout)")
        #expect(theTools.stderr.contains("ppds: "), "\(theTools.stderr)")
        let ours = try fixture.ppds(["start-work", "7", "--offline", "--repo", missing, "--json", "--exec", "tool"])
        #expect(ours.status == theTools.status)
        let error = try #require(try ours.json()["error"] as? [String: Any])
        #expect(error["exitCode"] as? Int == Int(ours.status))
    }

    /// A usage error of a command with --json, given --json, is a JSON document; one of a
    /// command without --json never is.
    @Test func aUsageErrorIsJSONOnlyForACommandThatTakesJSON() throws {
        let status = try fixture.ppds(["status", "--json", "--stale-after", "abc"])
        #expect(status.status == 64)
        #expect(try status.json()["error"] as? [String: Any] != nil)
        let path = try fixture.ppds(["path", "--json"])
        #expect(path.status == 64)
        #expect(path.stdout.isEmpty, "\(path.stdout)")
    }

    @Test func helpListsTheCommandsByGroup() throws {
        let help = try fixture.ppds(["--help"]).check().stdout.lowercased()
        let order = ["worker subcommands", "orchestrator subcommands", "lifecycle subcommands", "machines subcommands", "setup subcommands"]
        let positions = order.compactMap { help.range(of: $0)?.lowerBound }
        #expect(positions.count == order.count, "\(help)")
        #expect(positions == positions.sorted())
        let lifecycle = try #require(help.range(of: "lifecycle subcommands"))
        let machines = try #require(help.range(of: "machines subcommands"))
        #expect(help[lifecycle.upperBound..<machines.lowerBound].contains("start-work"))
        #expect(!help.contains("\n  hook "), "the agent hook stays hidden")
    }
}
