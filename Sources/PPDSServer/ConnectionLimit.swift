import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOConcurrencyHelpers
import NIOHTTPTypes
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How many connections `serve` holds, and what a connection beyond that gets.
///
/// - Up to `served` connections are served.
/// - The next `spare` ones are answered `503` with `Retry-After` at once, then closed.
/// - Beyond `served + spare`, Hummingbird's `MaximumAvailableConnections` stops accepting:
///   new connections wait in the kernel's backlog, and no descriptor is spent on them.
///
/// The sum stays under the process's open-file limit with room for the files a request opens
/// (session files, the repository, the watcher), so a crowd can never make a request fail
/// with "Too many open files".
struct ConnectionLimit: Sendable {
    let served: Int
    let spare: Int
    /// How long a refused connection may stay open after its 503 (its client reads the answer
    /// and closes, or this ends it).
    var rejectWait: TimeAmount = .milliseconds(250)

    /// Descriptors kept for everything but client connections.
    static let reserved = 48

    /// `maximum` connections served, less when the open-file limit is low: a quarter of what is
    /// left after `reserved` goes to the 503s.
    static func fitting(maximum: Int, openFiles: Int = Self.openFileLimit()) -> ConnectionLimit {
        let room = max(2, openFiles - reserved)
        let served = max(1, min(maximum, room * 3 / 4))
        let spare = max(1, min(max(8, served / 4), room - served))
        return ConnectionLimit(served: served, spare: spare)
    }

    /// The soft RLIMIT_NOFILE.
    static func openFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        return limit.rlim_cur == rlim_t.max ? 1 << 20 : Int(clamping: limit.rlim_cur)
    }

    var total: Int { served + spare }
}

/// Counts the connections being served, across event loops.
final class ConnectionGate: Sendable {
    let limit: ConnectionLimit
    private let open = NIOLockedValueBox(0)

    init(limit: ConnectionLimit) {
        self.limit = limit
    }

    /// A connection arrives: whether it is served.
    func enter() -> Bool {
        open.withLockedValue { count in
            count += 1
            return count <= limit.served
        }
    }

    func leave() {
        open.withLockedValue { $0 -= 1 }
    }

    var count: Int { open.withLockedValue { $0 } }
}

/// The first handler after HTTP decoding on every connection: counts it, and when the server
/// is full answers 503 at once (the API's error shape, `Retry-After: 1`), ends its side of the
/// connection and closes it a moment later, without passing anything on. The 503 does not
/// wait for a request head: a crowd that never sends one would hold the spare slots.
///
/// It also puts `Security.harden`'s headers on every response head that leaves the connection,
/// so the responses Hummingbird makes itself (the parser's 400) carry them too.
final class ConnectionGateHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .head(var head) = unwrapOutboundIn(data) else { return context.write(data, promise: promise) }
        Security.harden(&head.headerFields)
        context.write(wrapOutboundOut(.head(head)), promise: promise)
    }

    let gate: ConnectionGate
    private var admitted = true
    private var answered = false
    private var counted = false
    private var timer: Scheduled<Void>?

    init(gate: ConnectionGate) {
        self.gate = gate
    }

    func handlerAdded(context: ChannelHandlerContext) {
        guard !counted else { return }
        counted = true
        admitted = gate.enter()
        let gate = gate
        context.channel.closeFuture.whenComplete { _ in gate.leave() }
        if !admitted, context.channel.isActive { refuse(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        if !admitted { refuse(context) }
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A refused connection's request is read and dropped, so closing it sends no reset
        // that could discard the 503 before the client reads it.
        guard admitted else { return }
        context.fireChannelRead(data)
    }

    private func refuse(_ context: ChannelHandlerContext) {
        guard !answered else { return }
        answered = true
        let error = APIError(.unavailable, "the server is full (\(gate.limit.served) connections); try again in a moment")
        var headers: HTTPFields = [.contentType: "application/json", .connection: "close", .retryAfter: "1",
                                   .contentLength: "\(error.body.utf8.count)"]
        Security.harden(&headers)
        context.write(wrapOutboundOut(.head(HTTPResponse(status: .serviceUnavailable, headerFields: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(string: error.body))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(mode: .output, promise: nil) }
        timer = context.eventLoop.scheduleTask(in: gate.limit.rejectWait) { channel.close(promise: nil) }
    }
}
