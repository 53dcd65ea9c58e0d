import Foundation
import Testing
import TestSupport
import Lifecycle
import SessionKit
import Support
import View

/// The dashboard in a real browser: headless Chromium driven by Python's selenium
/// (Tests/Browser/dashboard_test.py). `.ci/deps --browser` installs them; under CI (CI set)
/// a missing browser is a failure, elsewhere the test is skipped.
@Suite struct BrowserTests {
    static let python = "/usr/bin/python3"

    static var browserAvailable: Bool {
        let files = FileManager.default
        guard files.isExecutableFile(atPath: python),
              files.isExecutableFile(atPath: "/usr/bin/chromium") || files.isExecutableFile(atPath: "/usr/bin/chromium-browser"),
              files.isExecutableFile(atPath: "/usr/bin/chromedriver") else { return false }
        return (try? runProcess(python, ["-c", "import selenium"]).status) == 0
    }

    static var required: Bool { ProcessInfo.processInfo.environment["CI"] != nil }

    @Test(.enabled(if: browserAvailable || required, "needs chromium, chromium-driver and python3-selenium (bash .ci/deps --browser)"))
    func dashboardShowsChangesLiveAndSendsGuidance() throws {
        #expect(Self.browserAvailable, "the browser test needs chromium, chromium-driver and python3-selenium: run bash .ci/deps --browser")
        guard Self.browserAvailable else { return }
        let folder = TemporaryFolder()
        let screenshot = ProcessInfo.processInfo.environment["PPDS_SCREENSHOT"] ?? folder.file("dashboard.png")
        let result = try runProcess(Self.python, [TestEnvironment.packageRoot + "/Tests/Browser/dashboard_test.py",
                                                  TestEnvironment.ppdsBinary, screenshot])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("dashboard test: passed"))
        #expect(FileManager.default.fileExists(atPath: screenshot))
    }

    /// Plan review: a hostile plan shown as text, Approve and Request changes, a stale version
    /// refused (Tests/Browser/plan_test.py).
    @Test(.enabled(if: browserAvailable || required, "needs chromium, chromium-driver and python3-selenium (bash .ci/deps --browser)"))
    func dashboardReviewsAHostilePlan() throws {
        #expect(Self.browserAvailable, "the browser test needs chromium, chromium-driver and python3-selenium: run bash .ci/deps --browser")
        guard Self.browserAvailable else { return }
        let result = try runProcess(Self.python, [TestEnvironment.packageRoot + "/Tests/Browser/plan_test.py", TestEnvironment.ppdsBinary])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("plan test: passed"))
    }

    /// Hostile values in every field the page shows, the page's policy, the token's cookie, and
    /// a page on another origin that frames the dashboard and calls the API
    /// (Tests/Browser/hostile_test.py).
    @Test(.enabled(if: browserAvailable || required, "needs chromium, chromium-driver and python3-selenium (bash .ci/deps --browser)"))
    func dashboardTreatsEveryFieldAsHostile() throws {
        #expect(Self.browserAvailable, "the browser test needs chromium, chromium-driver and python3-selenium: run bash .ci/deps --browser")
        guard Self.browserAvailable else { return }
        let result = try runProcess(Self.python, [TestEnvironment.packageRoot + "/Tests/Browser/hostile_test.py", TestEnvironment.ppdsBinary])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("hostile test: passed"))
    }
}
