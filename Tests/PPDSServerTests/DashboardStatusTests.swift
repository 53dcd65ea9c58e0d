import Foundation
@testable import PPDSServer
import SessionKit
import Support
import Testing

/// The dashboard's script reads what each status allows from the server's table (made from
/// `SessionStatus`), never from a list of its own: a status added in Swift reaches the page, and
/// a list written into the script again fails here.
@Suite struct DashboardStatusTests {
    @Test func theTableHasARowForEveryStatusAndAnyOther() throws {
        let table = try #require(JSONValue.parse(Data(Dashboard.statusTable.utf8)).objectValue)
        let names = SessionStatus.Known.allCases.map(\.rawValue) + SessionStatus.aliases.keys + ["*"]
        #expect(Set(table.keys) == Set(names))
        for known in SessionStatus.Known.allCases {
            let row = try #require(table[known.rawValue]?.objectValue)
            #expect(row["active"] == .bool(known.status.isActive), "\(known)")
            #expect(row["finished"] == .bool(known.status.isTerminal), "\(known)")
        }
        // Another tool's status is someone's work in progress: pausable and guidable.
        #expect(table["*"]?.objectValue?["active"] == .bool(true))
        #expect(table["*"]?.objectValue?["guide"] == .bool(true))
    }

    @Test func theScriptNamesNoStatusOfItsOwn() {
        let script = Dashboard.script.replacingOccurrences(of: Dashboard.statusTable, with: "")
        #expect(script.contains("const statuses = ;"))
        for name in SessionStatus.Known.allCases.map(\.rawValue) + SessionStatus.aliases.keys {
            #expect(!script.contains("\"\(name)\""), "the script spells the status \(name) itself")
        }
    }
}
