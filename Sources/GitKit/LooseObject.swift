import Support
import CGit2
#if canImport(Glibc)
import Glibc
#endif

/// Reads a loose blob in pieces straight from its zlib stream, as git's checkout streams it
/// (`open_istream_loose`): a 200 MB file then costs two 128 KiB buffers, not a 200 MB one,
/// and no hashing of the whole object. Objects that are not loose here (packed, in an
/// alternate) or not plain blobs are read through libgit2 instead.
///
/// One reader per thread: its buffers and zlib state are reused from file to file.
final class LooseObject {
    struct Corrupt: Error, CustomStringConvertible {
        let description: String
    }

    static let chunk = 128 * 1024
    private let input = UnsafeMutableRawPointer.allocate(byteCount: LooseObject.chunk, alignment: 16)
    private let output = UnsafeMutableRawPointer.allocate(byteCount: LooseObject.chunk, alignment: 16)
    private var stream = z_stream()
    private var ready = false
    /// A buffer for `FileSink`, reused too.
    let sinkBuffer = UnsafeMutableRawPointer.allocate(byteCount: FileSink.capacity, alignment: 16)

    init() {}

    deinit {
        if ready { inflateEnd(&stream) }
        input.deallocate()
        output.deallocate()
        sinkBuffer.deallocate()
    }

    /// Calls `body` with the blob's content in order and returns true; or returns false, having
    /// called nothing, when `id` is not a loose blob in `objects` (a folder path as bytes).
    func streamBlob(objects: [UInt8], id: ObjectID, size onSize: (Int) -> Void = { _ in },
                    _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Bool {
        let chunk = LooseObject.chunk
        let hex = Array(id.hex.utf8)
        var path = objects.map { CChar(bitPattern: $0) }
        path.append(0x2f)
        path += hex[0..<2].map { CChar(bitPattern: $0) }
        path.append(0x2f)
        path += hex[2...].map { CChar(bitPattern: $0) }
        path.append(0)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }

        if ready {
            guard inflateReset(&stream) == Z_OK else { return false }
        } else {
            stream = z_stream()
            guard inflateInit_(&stream, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return false }
            ready = true
        }
        stream.avail_in = 0

        var header: [UInt8] = []
        var expected = -1
        var delivered = 0
        var finished = false
        var inputEnded = false
        while !finished {
            if stream.avail_in == 0 && !inputEnded {
                var count: Int
                repeat { count = read(fd, input, chunk) } while count < 0 && errno == EINTR
                if count < 0 { throw Corrupt(description: "cannot read the loose object \(id.hex): \(String(cString: strerror(errno)))") }
                if count == 0 { inputEnded = true }
                stream.next_in = input.assumingMemoryBound(to: Bytef.self)
                stream.avail_in = uInt(count)
            }
            stream.next_out = output.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(chunk)
            let code = inflate(&stream, Z_NO_FLUSH)
            let produced = chunk - Int(stream.avail_out)
            switch code {
            case Z_STREAM_END: finished = true
            case Z_OK: break
            case Z_BUF_ERROR where produced == 0 && !inputEnded: continue
            default:
                if expected < 0 { return false }
                throw Corrupt(description: "the loose object \(id.hex) is corrupt (zlib \(code))")
            }
            var bytes = UnsafeRawBufferPointer(start: output, count: produced)
            if expected < 0 {
                // "blob <size>\0", then the content.
                guard let nul = bytes.firstIndex(of: 0) else {
                    header += bytes
                    if header.count > 32 || finished || (inputEnded && produced == 0) { return false }
                    continue
                }
                header += bytes[..<nul]
                let prefix = Array("blob ".utf8)
                guard header.starts(with: prefix), let size = Int(String(decoding: header.dropFirst(prefix.count), as: UTF8.self)),
                      size >= 0 else { return false }
                expected = size
                onSize(size)
                bytes = UnsafeRawBufferPointer(rebasing: bytes[(nul + 1)...])
            }
            if !bytes.isEmpty {
                delivered += bytes.count
                guard delivered <= expected else { throw Corrupt(description: "the loose object \(id.hex) is longer than its header says") }
                try body(bytes)
            }
            if !finished && inputEnded && produced == 0 {
                throw Corrupt(description: "the loose object \(id.hex) ends early")
            }
        }
        guard expected >= 0 else { return false }
        guard delivered == expected else { throw Corrupt(description: "the loose object \(id.hex) is shorter than its header says") }
        return true
    }

    /// The whole content of a loose blob, or nil when it is not one (see `streamBlob`).
    func readBlob(objects: [UInt8], id: ObjectID) throws -> [UInt8]? {
        var content: [UInt8] = []
        let found = try streamBlob(objects: objects, id: id, size: { content.reserveCapacity($0) }) { content.append(contentsOf: $0) }
        return found ? content : nil
    }
}
