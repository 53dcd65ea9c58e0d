import Foundation
import CSpawn
import Support
import View
#if canImport(Glibc)
import Glibc
#endif

/// The interactive watch's terminal: raw mode on the alternate screen (restored on exit, on
/// Ctrl-C, SIGTERM, SIGHUP and on a crash, by CSpawn's signal-safe handlers), keys read and
/// decoded, the window's size (TIOCGWINSZ, SIGWINCH), frames drawn by rewriting only the lines
/// that changed, and programs (`ppds attach`) handed the terminal for a while.
final class WatchTerminal {
    static let enterSequence = "\u{1B}[?1049h\u{1B}[?25l\u{1B}[H\u{1B}[2J"
    /// Ends with "show the cursor", as the plain watch's Ctrl-C does.
    static let leaveSequence = "\u{1B}[?1049l\u{1B}[?25h"

    enum Event {
        case keys([WatchKey])
        case resized
        /// A session file or a ref changed.
        case changed
        case timedOut
        /// The terminal is gone (end of input).
        case closed
    }

    private var decoder = KeyDecoder()
    private var previous: [String] = []
    private var changePipe: [Int32] = [-1, -1]

    /// Raw mode and the alternate screen; fails when stdin's settings cannot be read or set.
    init() throws(PPDSError) {
        let result = ppds_terminal_enter(STDIN_FILENO, Self.enterSequence, Self.leaveSequence)
        guard result == 0 else { throw PPDSError.io("cannot set up the terminal: \(String(cString: strerror(result)))") }
    }

    func leave() {
        fflush(nil)
        ppds_terminal_leave()
    }

    /// Columns and rows (80×24 when the terminal does not say).
    static func size() -> (width: Int, height: Int) {
        var size = winsize()
        let result = withUnsafeMutablePointer(to: &size) { ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), $0) }
        guard result == 0, size.ws_col > 0, size.ws_row > 0 else { return (80, 24) }
        return (Int(size.ws_col), Int(size.ws_row))
    }

    /// Watches the session files and refs on a thread of its own, which wakes `next` through a
    /// pipe: the main thread waits on keys, resizes and changes at once.
    func watchChanges(_ watcher: ChangeWatcher) {
        guard ppds_pipe_cloexec(&changePipe) == 0 else { return }
        _ = fcntl(changePipe[0], F_SETFL, fcntl(changePipe[0], F_GETFL) | O_NONBLOCK)
        let writeEnd = changePipe[1]
        let handedOver = HandedOver(watcher)
        Thread.detachNewThread {
            let watcher = handedOver.value
            while true {
                if watcher.wait(timeout: 3600) {
                    var byte: UInt8 = 1
                    _ = write(writeEnd, &byte, 1)
                }
            }
        }
    }

    /// The next thing that happened within `timeout` seconds. An escape sequence cut between
    /// two reads waits 50 ms for its rest before a lone ESC counts as the Escape key.
    func next(timeout: TimeInterval) -> Event {
        let resizeFD = ppds_terminal_resize_fd()
        var fds = [pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: resizeFD, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: changePipe[0], events: Int16(POLLIN), revents: 0)]
        let wait = decoder.isWaiting ? 0.05 : timeout
        let ready = poll(&fds, nfds_t(fds.count), Int32(max(0, wait) * 1000))
        if ready < 0 { return errno == EINTR ? .keys([]) : .timedOut }
        if ready == 0 { return decoder.isWaiting ? .keys(decoder.flush()) : .timedOut }
        if fds[1].revents != 0 {
            Self.drain(resizeFD)
            previous = []
            return .resized
        }
        if fds[0].revents != 0 {
            var buffer = [UInt8](repeating: 0, count: 1024)
            let count = read(STDIN_FILENO, &buffer, buffer.count)
            if count < 0 && (errno == EINTR || errno == EAGAIN) { return .keys([]) }
            guard count > 0 else { return .closed }
            return .keys(decoder.feed(buffer.prefix(count)))
        }
        if fds[2].revents != 0 {
            Self.drain(changePipe[0])
            return .changed
        }
        return .timedOut
    }

    /// A value one thread gives to another and never touches again.
    private final class HandedOver<Value>: @unchecked Sendable {
        let value: Value
        init(_ value: Value) { self.value = value }
    }

    private static func drain(_ fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 256)
        while read(fd, &buffer, buffer.count) > 0 {}
    }

    /// Draws a frame: only the lines that differ from the previous frame are rewritten (all of
    /// them after a resize or a program that had the terminal).
    func draw(_ lines: [String], bell: Bool = false) {
        var out = WatchFrame.updates(from: previous, to: lines)
        if bell { out += "\u{7}" }
        previous = lines
        guard !out.isEmpty else { return }
        print(out, terminator: "")
        fflush(nil)
    }

    /// Forgets what is on screen: the next frame is drawn whole.
    func invalidate() { previous = [] }

    /// Runs a program with the terminal handed over (normal screen, cooked mode), then takes
    /// the terminal back. Returns its wait status and what it wrote to stderr (kept in an
    /// unlinked file, so a chatty program never blocks on a full pipe).
    func runHandingOver(_ argv: [String]) -> (status: Int32, stderr: String) {
        var template = Array((NSTemporaryDirectory() + "/ppds-watch-XXXXXX").utf8CString)
        let errFD = mkstemp(&template)
        if errFD >= 0 { unlink(String(cString: template)) }
        defer { if errFD >= 0 { close(errFD) } }
        leave()
        var status: Int32 = 0
        var cArguments = argv.map { strdup($0) } + [nil]
        let result = ppds_run_in_foreground(argv[0], &cArguments, errFD, &status)
        for pointer in cArguments { free(pointer) }
        _ = ppds_terminal_resume()
        previous = []
        decoder = KeyDecoder()
        if result != 0 { return (127, "cannot run \(argv[0]): \(String(cString: strerror(result)))") }
        var text = Data()
        if errFD >= 0 {
            _ = lseek(errFD, 0, SEEK_SET)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while text.count < 65536 {
                let count = read(errFD, &buffer, buffer.count)
                guard count > 0 else { break }
                text += buffer.prefix(count)
            }
        }
        return (status, String(decoding: text, as: UTF8.self))
    }
}
