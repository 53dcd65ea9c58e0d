import Support
#if canImport(Glibc)
import Glibc
#endif

/// What git's checkout does to one regular file's bytes (convert.c in git 2.39), for the
/// conversions ppds applies itself: end-of-line (`text`, `eol`, `crlf`, core.autocrlf,
/// core.eol) and `ident`. Smudge filters and working-tree-encoding are git's alone (see
/// `CheckoutPlan`).
struct Conversion: Sendable, Equatable {
    /// git's `enum crlf_action`, after `convert_attrs` has applied core.autocrlf.
    enum Action: UInt8, Sendable {
        case undefined, binary, text, textInput, textCRLF, auto, autoInput, autoCRLF
    }

    var action: Action = .binary
    var ident = false
    /// git's in-memory path (`convert_to_working_tree`) rather than its streaming filters: taken
    /// for text=auto with CRLF output, or when the file's filter driver has any command. The two
    /// expand `$Id$` differently in corner cases.
    var inCore = false
    /// `text_eol_is_crlf()`: what `text` and `text=auto` write, from core.autocrlf and core.eol.
    var textEOLIsCRLF = false

    static let none = Conversion()

    /// git's `output_eol`: true when LF becomes CRLF.
    var outputsCRLF: Bool {
        switch action {
        case .binary, .textInput, .autoInput: false
        case .textCRLF, .undefined, .autoCRLF: true
        case .text, .auto: textEOLIsCRLF
        }
    }

    var isAuto: Bool { action == .auto || action == .autoInput || action == .autoCRLF }

    /// Nothing to do: the blob's bytes are the file's.
    var isIdentity: Bool { !ident && !outputsCRLF }
}

/// git's `struct text_stat` and `gather_stats`.
struct TextStats {
    var nul = 0, lonecr = 0, lonelf = 0, crlf = 0
    var printable = 0, nonprintable = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        let count = bytes.count
        var index = 0
        while index < count {
            let byte = bytes[index]
            if byte == 0x0d {
                if index + 1 < count && bytes[index + 1] == 0x0a {
                    crlf += 1
                    index += 1
                } else {
                    lonecr += 1
                }
            } else if byte == 0x0a {
                lonelf += 1
            } else if byte == 127 {
                nonprintable += 1
            } else if byte < 32 {
                switch byte {
                case 0x08, 0x09, 0x1b, 0x0c: printable += 1
                case 0: nul += 1; nonprintable += 1
                default: nonprintable += 1
                }
            } else {
                printable += 1
            }
            index += 1
        }
        // A trailing ^Z (DOS end of file) is not counted as non-printable.
        if count >= 1 && bytes[count - 1] == 0x1a { nonprintable -= 1 }
    }

    /// `convert_is_binary`.
    var isBinary: Bool { lonecr > 0 || nul > 0 || (printable >> 7) < nonprintable }
}

/// Where converted bytes go.
protocol ByteSink {
    mutating func put(_ bytes: UnsafeRawBufferPointer) throws
}

extension ByteSink {
    mutating func put(_ byte: UInt8) throws {
        var byte = byte
        try withUnsafeBytes(of: &byte) { raw in try put(raw) }
    }

    mutating func put(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in try put(raw) }
    }
}

/// Collects bytes in memory (tests and the in-memory ident step).
struct ByteArraySink: ByteSink {
    var bytes: [UInt8] = []
    mutating func put(_ raw: UnsafeRawBufferPointer) { bytes.append(contentsOf: raw) }
}

/// Writes to a file descriptor through a 64 KiB buffer (the caller's, of `capacity` bytes), so
/// a large file never needs a second whole-file buffer.
struct FileSink: ByteSink {
    let fd: Int32
    private let buffer: UnsafeMutableRawPointer
    private var used = 0
    static let capacity = 1 << 16

    init(fd: Int32, buffer: UnsafeMutableRawPointer) {
        self.fd = fd
        self.buffer = buffer
    }

    mutating func put(_ raw: UnsafeRawBufferPointer) throws {
        if raw.count >= FileSink.capacity {
            try flush()
            try FileSink.writeAll(fd, raw)
            return
        }
        if used + raw.count > FileSink.capacity { try flush() }
        (buffer + used).copyMemory(from: raw.baseAddress!, byteCount: raw.count)
        used += raw.count
    }

    mutating func flush() throws {
        guard used > 0 else { return }
        try FileSink.writeAll(fd, UnsafeRawBufferPointer(start: buffer, count: used))
        used = 0
    }

    static func writeAll(_ fd: Int32, _ raw: UnsafeRawBufferPointer) throws {
        guard let base = raw.baseAddress else { return }
        if FileDescriptor.writeAll(fd, base, raw.count) != nil { throw ContentConversion.WriteFailure(code: errno) }
    }
}

/// Applies a `Conversion` the way git 2.39 does on checkout.
enum ContentConversion {
    struct WriteFailure: Error { let code: Int32 }

    /// Writes `content` (the blob `blobHex`, 40 hex digits) converted to `sink`.
    static func write<Sink: ByteSink>(_ content: UnsafeRawBufferPointer, _ conversion: Conversion, blobHex: [UInt8],
                                      to sink: inout Sink) throws {
        if conversion.isIdentity || content.isEmpty {
            if !content.isEmpty { try sink.put(content) }
            return
        }
        if conversion.inCore {
            try writeInCore(content, conversion, blobHex: blobHex, to: &sink)
        } else {
            try writeStreaming(content, conversion, blobHex: blobHex, to: &sink)
        }
    }

    // MARK: git's in-memory path: ident_to_worktree, then crlf_to_worktree

    private static func writeInCore<Sink: ByteSink>(_ content: UnsafeRawBufferPointer, _ conversion: Conversion, blobHex: [UInt8],
                                                    to sink: inout Sink) throws {
        if conversion.ident && countIdent(content) > 0 {
            let expanded = identToWorktree(content, blobHex: blobHex)
            try expanded.withUnsafeBytes { raw in try crlfToWorktree(raw, conversion, to: &sink) }
        } else {
            try crlfToWorktree(content, conversion, to: &sink)
        }
    }

    /// `crlf_to_worktree`: LF becomes CRLF only when git's checks pass.
    private static func crlfToWorktree<Sink: ByteSink>(_ content: UnsafeRawBufferPointer, _ conversion: Conversion,
                                                       to sink: inout Sink) throws {
        guard !content.isEmpty, conversion.outputsCRLF else {
            if !content.isEmpty { try sink.put(content) }
            return
        }
        let stats = TextStats(content)
        var convert = stats.lonelf > 0
        if convert && conversion.isAuto {
            // "If we have any CR or CRLF line endings, we do not touch it", nor binary files.
            if stats.lonecr > 0 || stats.crlf > 0 || stats.isBinary { convert = false }
        }
        if convert {
            var stage = LFToCRLF()
            try stage.feed(content, to: &sink)
        } else {
            try sink.put(content)
        }
    }

    /// `count_ident`.
    static func countIdent(_ bytes: UnsafeRawBufferPointer) -> Int {
        var count = 0
        var index = 0
        let size = bytes.count
        while index < size {
            let byte = bytes[index]
            index += 1
            if byte != 0x24 { continue }  // '$'
            if size - index < 3 { break }
            if bytes[index] != 0x49 || bytes[index + 1] != 0x64 { continue }  // "Id"
            let next = bytes[index + 2]
            index += 3
            if next == 0x24 { count += 1 }
            if next != 0x3a { continue }  // ':'
            while index < size {
                let scanned = bytes[index]
                index += 1
                if scanned == 0x24 { count += 1; break }
                if scanned == 0x0a { break }
            }
        }
        return count
    }

    /// `ident_to_worktree` (in memory), for content with at least one ident.
    static func identToWorktree(_ bytes: UnsafeRawBufferPointer, blobHex: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 64)
        let length = bytes.count
        var src = 0
        func find(_ byte: UInt8, from: Int, to end: Int) -> Int? {
            var index = from
            while index < end { if bytes[index] == byte { return index }; index += 1 }
            return nil
        }
        while true {
            // Step 1: run to the next '$'.
            guard let dollar = find(0x24, from: src, to: length) else { break }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[src...dollar]))
            src = dollar + 1
            let remaining = length - src
            // Step 2: "Id$" or "Id:...$"?
            if remaining < 3 || bytes[src] != 0x49 || bytes[src + 1] != 0x64 { continue }
            if bytes[src + 2] == 0x24 {
                src += 3
            } else if bytes[src + 2] == 0x3a {
                guard let closing = find(0x24, from: src + 3, to: length) else { break }
                if find(0x0a, from: src + 3, to: closing) != nil { continue }
                // git looks for a space from src+4 up to the closing '$'; one before the last
                // character marks another system's keyword, which is kept as it is.
                if closing - src - 4 > 0, let space = find(0x20, from: src + 4, to: closing), space < closing - 1 { continue }
                src = closing + 1
            } else {
                continue
            }
            out += Array("Id: ".utf8) + blobHex + Array(" $".utf8)
        }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[src..<length]))
        return out
    }

    // MARK: git's streaming path: ident_filter, then lf_to_crlf_filter

    private static func writeStreaming<Sink: ByteSink>(_ content: UnsafeRawBufferPointer, _ conversion: Conversion, blobHex: [UInt8],
                                                       to sink: inout Sink) throws {
        var stream = Streaming(conversion, blobHex: blobHex)
        try stream.feed(content, to: &sink)
        try stream.finish(to: &sink)
    }

    /// git's streaming filters (`ident_filter`, then `lf_to_crlf_filter`), fed in pieces: what
    /// git uses for every conversion but text=auto with CRLF output and filter drivers.
    struct Streaming {
        private var ident: IdentStream?
        private var crlf: LFToCRLF?

        init(_ conversion: Conversion, blobHex: [UInt8]) {
            ident = conversion.ident ? IdentStream(blobHex: blobHex) : nil
            crlf = conversion.outputsCRLF ? LFToCRLF() : nil
        }

        mutating func feed<Sink: ByteSink>(_ bytes: UnsafeRawBufferPointer, to sink: inout Sink) throws {
            switch (ident != nil, crlf != nil) {
            case (false, false):
                if !bytes.isEmpty { try sink.put(bytes) }
            case (false, true):
                try crlf!.feed(bytes, to: &sink)
            case (true, false):
                try ident!.feed(bytes, to: &sink)
            case (true, true):
                var next = LFToCRLFSink(sink: sink, stage: crlf!)
                try ident!.feed(bytes, to: &next)
                crlf = next.stage
                sink = next.sink
            }
        }

        mutating func finish<Sink: ByteSink>(to sink: inout Sink) throws {
            guard ident != nil else { return }
            if crlf != nil {
                var next = LFToCRLFSink(sink: sink, stage: crlf!)
                try ident!.finish(to: &next)
                crlf = next.stage
                sink = next.sink
            } else {
                try ident!.finish(to: &sink)
            }
        }
    }

    /// LF not preceded by CR becomes CRLF; the same result as git's `lf_to_crlf_filter` and,
    /// when it runs at all, `crlf_to_worktree`.
    struct LFToCRLF {
        var previous: UInt8 = 0

        mutating func feed<Sink: ByteSink>(_ bytes: UnsafeRawBufferPointer, to sink: inout Sink) throws {
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
            var start = 0
            let count = bytes.count
            while start < count {
                guard let found = memchr(base + start, 0x0a, count - start) else {
                    try sink.put(UnsafeRawBufferPointer(rebasing: bytes[start..<count]))
                    break
                }
                let newline = base.distance(to: UnsafeRawPointer(found))
                if newline > start { try sink.put(UnsafeRawBufferPointer(rebasing: bytes[start..<newline])) }
                let before = newline > 0 ? bytes[newline - 1] : previous
                if before == 0x0d {
                    try sink.put(0x0a)
                } else {
                    try sink.put(crlf)
                }
                start = newline + 1
            }
            previous = bytes[count - 1]
        }

        private let crlf: [UInt8] = [0x0d, 0x0a]
    }

    /// A sink that converts LF to CRLF on the way to another sink.
    struct LFToCRLFSink<Inner: ByteSink>: ByteSink {
        var sink: Inner
        var stage = LFToCRLF()
        mutating func put(_ bytes: UnsafeRawBufferPointer) throws { try stage.feed(bytes, to: &sink) }
    }

    /// git's streaming `ident_filter`, state for state.
    struct IdentStream {
        static let draining = -1, skipping = -2
        static let head: [UInt8] = [0x24, 0x49, 0x64, 0x00]  // "$Id" and its C terminator
        var state = 0
        var left: [UInt8] = []
        let ident: [UInt8]  // ": <hex> $"

        init(blobHex: [UInt8]) {
            ident = Array(": ".utf8) + blobHex + Array(" $".utf8)
        }

        /// git's `isspace` (sane_ctype): space, tab, LF and CR only.
        static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d }

        /// `is_foreign_ident` on `left` as a C string.
        static func isForeign(_ bytes: [UInt8]) -> Bool {
            let string = bytes.prefix(while: { $0 != 0 })
            let prefix: [UInt8] = Array("$Id: ".utf8)
            guard string.count >= prefix.count, Array(string.prefix(prefix.count)) == prefix else { return false }
            let rest = Array(string.dropFirst(prefix.count))
            for index in rest.indices where isSpace(rest[index]) {
                let next: UInt8 = index + 1 < rest.count ? rest[index + 1] : 0
                if next != 0x24 { return true }
            }
            return false
        }

        private mutating func drain<Sink: ByteSink>(to sink: inout Sink) throws {
            if !left.isEmpty { try sink.put(left) }
            left.removeAll(keepingCapacity: true)
            state = 0
        }

        mutating func feed<Sink: ByteSink>(_ bytes: UnsafeRawBufferPointer, to sink: inout Sink) throws {
            // Runs without '$' pass straight through while nothing is pending.
            var index = 0
            let count = bytes.count
            while index < count {
                if state == 0 && left.isEmpty {
                    var end = index
                    while end < count && bytes[end] != 0x24 { end += 1 }
                    if end > index { try sink.put(UnsafeRawBufferPointer(rebasing: bytes[index..<end])) }
                    index = end
                    if index == count { break }
                }
                let byte = bytes[index]
                index += 1
                try step(byte, to: &sink)
            }
        }

        private mutating func step<Sink: ByteSink>(_ byte: UInt8, to sink: inout Sink) throws {
            if state == IdentStream.skipping {
                left.append(byte)
                if byte != 0x0a && byte != 0x24 { return }
                if byte == 0x24 && !IdentStream.isForeign(left) {
                    left.removeSubrange(3...)
                    left += ident
                }
                try drain(to: &sink)
                return
            }
            if state >= 0 && state < IdentStream.head.count && IdentStream.head[state] == byte {
                state += 1
                return
            }
            if state > 0 { left += IdentStream.head[0..<state] }
            if state == 3 {
                if byte != 0x3a && byte != 0x24 {
                    // git keeps these in `left` with state 0; draining now writes the same bytes.
                    left.append(byte)
                    try drain(to: &sink)
                    return
                }
                if byte == 0x3a {
                    left.append(byte)
                    state = IdentStream.skipping
                } else {
                    left += ident
                    try drain(to: &sink)
                }
                return
            }
            left.append(byte)
            try drain(to: &sink)
        }

        mutating func finish<Sink: ByteSink>(to sink: inout Sink) throws {
            if state > 0 { left += IdentStream.head[0..<state] }
            try drain(to: &sink)
        }
    }
}
