import CGit2
import Foundation
import Support

/// git's commit-graph (`gitformat-commit-graph`), read directly: libgit2 1.5.1 cannot use its
/// generation numbers or its changed-path Bloom filters. Parents, root trees and generations
/// come from the mapped file as integers, without inflating a single commit object.
///
/// Read only, and only as git itself would use it: absent, disabled by `core.commitGraph=false`,
/// in a shallow repository, with grafts or replace refs, or damaged (a chunk out of bounds), it
/// is not used and callers walk with libgit2. A graph older than the refs simply lacks the newest
/// commits: `CommitGraphWalker` reads those from the object database.
public final class CommitGraph {
    /// The layers, base first (one for a single `commit-graph` file, more for a split chain).
    let layers: [Layer]
    /// Commits in all layers.
    public let count: Int
    /// Whether every layer has corrected commit dates (GDA2): then they order walks, else the
    /// topological levels (CDAT). Both only ever grow from parent to child.
    let usesCorrectedDates: Bool

    private init(layers: [Layer]) {
        self.layers = layers
        count = layers.last.map { $0.offset + $0.count } ?? 0
        usesCorrectedDates = layers.allSatisfy { $0.generationData != nil }
    }

    /// The graph of the repository whose common git folder is `commonDir`, or nil when git would
    /// not use one there (see the type's comment).
    public static func load(commonDir: String, repository: Repository? = nil) -> CommitGraph? {
        let fm = FileManager.default
        if fm.fileExists(atPath: commonDir + "/shallow") || fm.fileExists(atPath: commonDir + "/info/grafts")
            || hasReplaceRefs(commonDir) {
            return nil
        }
        if let repository, repository.configBool("core.commitGraph") == false { return nil }
        let info = commonDir + "/objects/info"
        if let single = Layer.open(info + "/commit-graph", offset: 0) {
            return CommitGraph(layers: [single])
        }
        guard let chain = try? String(contentsOfFile: info + "/commit-graphs/commit-graph-chain", encoding: .utf8) else { return nil }
        var layers: [Layer] = []
        for line in chain.split(separator: "\n") {
            let hash = line.trimmingCharacters(in: .whitespaces)
            guard hash.count == 40, hash.allSatisfy(\.isHexDigit),
                  let layer = Layer.open(info + "/commit-graphs/graph-\(hash).graph", offset: layers.last.map { $0.offset + $0.count } ?? 0),
                  layer.baseCount == layers.count
            else { return nil }
            layers.append(layer)
        }
        return layers.isEmpty ? nil : CommitGraph(layers: layers)
    }

    /// Whether git would use a commit-graph here and the repository has none: the case where
    /// `git commit-graph write` would speed up long walks. False where git ignores graphs (shallow,
    /// grafts, replace refs, `core.commitGraph=false`: the user's way to say "no graph here").
    public static func isMissing(commonDir: String, repository: Repository? = nil) -> Bool {
        let fm = FileManager.default
        if fm.fileExists(atPath: commonDir + "/shallow") || fm.fileExists(atPath: commonDir + "/info/grafts")
            || hasReplaceRefs(commonDir) {
            return false
        }
        if let repository, repository.configBool("core.commitGraph") == false { return false }
        let info = commonDir + "/objects/info"
        return !fm.fileExists(atPath: info + "/commit-graph") && !fm.fileExists(atPath: info + "/commit-graphs/commit-graph-chain")
    }

    /// Replace refs change what a commit's parents are; git then ignores the graph.
    private static func hasReplaceRefs(_ commonDir: String) -> Bool {
        let loose = (try? FileManager.default.contentsOfDirectory(atPath: commonDir + "/refs/replace")) ?? []
        if !loose.isEmpty { return true }
        guard let packed = FileManager.default.contents(atPath: commonDir + "/packed-refs") else { return false }
        return packed.range(of: Data(" refs/replace/".utf8)) != nil
    }

    /// The graph position of a commit, or nil when the graph does not hold it.
    public func position(of id: ObjectID) -> Int? {
        for layer in layers.reversed() {
            if let index = layer.index(of: id) { return layer.offset + index }
        }
        return nil
    }

    private func layer(holding position: Int) -> (Layer, Int) {
        var index = layers.count - 1
        while layers[index].offset > position { index -= 1 }
        return (layers[index], position - layers[index].offset)
    }

    public func id(at position: Int) -> ObjectID {
        let (layer, index) = layer(holding: position)
        return layer.oid(index)
    }

    public func tree(at position: Int) -> ObjectID {
        let (layer, index) = layer(holding: position)
        return layer.tree(index)
    }

    /// Parent positions, in order; nil when the file is inconsistent (a parent out of range).
    public func parents(at position: Int) -> [Int]? {
        let (layer, index) = layer(holding: position)
        guard let parents = layer.parents(index) else { return nil }
        return parents.allSatisfy({ $0 < count }) ? parents : nil
    }

    /// The number that orders walks: corrected commit date or topological level.
    public func generation(at position: Int) -> UInt64 {
        let (layer, index) = layer(holding: position)
        return usesCorrectedDates ? layer.correctedDate(index) : UInt64(layer.level(index))
    }

    /// The commit time (seconds), as stored in the graph.
    public func commitTime(at position: Int) -> UInt64 {
        let (layer, index) = layer(holding: position)
        return layer.commitTime(index)
    }

    /// What the changed-path Bloom filter of a commit says about a path against its first
    /// parent: `false` means certainly unchanged; `true` maybe. nil when there is no filter for
    /// this commit.
    public func mayHaveChanged(_ key: BloomKey, at position: Int) -> Bool? {
        let (layer, index) = layer(holding: position)
        return layer.bloom?.mayContain(key, index)
    }

    public func mayHaveChanged(_ path: [UInt8], at position: Int) -> Bool? {
        mayHaveChanged(BloomKey(path), at: position)
    }

    /// A path's two murmur3 hashes, for both filter versions: computed once per path, then
    /// tested against any number of commits.
    public struct BloomKey: Sendable {
        let signed: (UInt32, UInt32)
        let unsigned: (UInt32, UInt32)

        /// `path`: bytes, no NUL, no leading slash.
        public init(_ path: [UInt8]) {
            unsigned = (murmur3(seed: 0x293a_e76f, path, signed: false), murmur3(seed: 0x7e64_6e2c, path, signed: false))
            // Version 1 differs only for bytes above 0x7f.
            signed = path.allSatisfy({ $0 < 0x80 }) ? unsigned
                : (murmur3(seed: 0x293a_e76f, path, signed: true), murmur3(seed: 0x7e64_6e2c, path, signed: true))
        }
    }

    public var hasBloomFilters: Bool { layers.contains { $0.bloom != nil } }

    /// One file: the mapped bytes and where each chunk starts.
    final class Layer {
        private let base: UnsafeRawPointer
        private let size: Int
        let offset: Int
        let count: Int
        let baseCount: Int
        private let fanout: Int
        private let oids: Int
        private let commitData: Int
        let generationData: Int?
        private let generationOverflow: (start: Int, count: Int)?
        private let edges: (start: Int, count: Int)?
        let bloom: BloomFilters?

        private init?(base: UnsafeRawPointer, size: Int, offset: Int) {
            self.base = base
            self.size = size
            self.offset = offset
            func byte(_ at: Int) -> UInt8 { base.load(fromByteOffset: at, as: UInt8.self) }
            // Header: "CGPH", version 1, hash version 1 (SHA-1: libgit2 1.5.1 has no other),
            // chunk count, base graph count.
            guard size >= 8 + 12 + 20, byte(0) == 0x43, byte(1) == 0x47, byte(2) == 0x50, byte(3) == 0x48,
                  byte(4) == 1, byte(5) == 1 else { return nil }
            let chunkCount = Int(byte(6))
            baseCount = Int(byte(7))
            let tableEnd = 8 + (chunkCount + 1) * 12
            guard size >= tableEnd + 20 else { return nil }
            var chunks: [UInt32: (start: Int, length: Int)] = [:]
            for index in 0..<chunkCount {
                let entry = 8 + index * 12
                let id = Self.be32(base, entry)
                let start = Int(Self.be64(base, entry + 4))
                let end = Int(Self.be64(base, entry + 16))
                guard start >= tableEnd, end >= start, end <= size - 20 else { return nil }
                chunks[id] = (start, end - start)
            }
            func chunk(_ name: String) -> (start: Int, length: Int)? {
                chunks[name.utf8.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }]
            }
            guard let oidf = chunk("OIDF"), oidf.length == 256 * 4, let oidl = chunk("OIDL"), let cdat = chunk("CDAT")
            else { return nil }
            fanout = oidf.start
            count = Int(Self.be32(base, fanout + 255 * 4))
            guard oidl.length == count * 20, cdat.length == count * 36 else { return nil }
            // The fanout never decreases, or binary searches would look in the wrong place.
            var previous: UInt32 = 0
            for index in 0..<256 {
                let value = Self.be32(base, fanout + index * 4)
                guard value >= previous, value <= count else { return nil }
                previous = value
            }
            oids = oidl.start
            commitData = cdat.start
            let overflow = chunk("GDO2").map { (start: $0.start, count: $0.length / 8) }
            if let gda2 = chunk("GDA2"), gda2.length == count * 4,
               Self.overflowsResolve(base, gda2.start, count, overflow?.count ?? 0) {
                generationData = gda2.start
                generationOverflow = overflow
            } else {
                generationData = nil
                generationOverflow = nil
            }
            edges = chunk("EDGE").map { ($0.start, $0.length / 4) }
            if let bidx = chunk("BIDX"), bidx.length == count * 4, let bdat = chunk("BDAT") {
                bloom = BloomFilters(base: base, index: bidx.start, data: bdat.start, dataLength: bdat.length, count: count)
            } else {
                bloom = nil
            }
            if baseCount > 0 { guard chunk("BASE") != nil else { return nil } }
        }

        deinit { munmap(UnsafeMutableRawPointer(mutating: base), size) }

        static func open(_ path: String, offset: Int) -> Layer? {
            let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            var info = stat()
            guard fstat(fd, &info) == 0, info.st_size > 0 else { return nil }
            let size = Int(info.st_size)
            guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else { return nil }
            guard let layer = Layer(base: UnsafeRawPointer(mapped), size: size, offset: offset) else {
                munmap(mapped, size)
                return nil
            }
            return layer
        }

        /// Every corrected date stored in the overflow chunk points inside it: else the dates
        /// are not used at all (a mix of two orders would misorder walks).
        private static func overflowsResolve(_ base: UnsafeRawPointer, _ start: Int, _ count: Int, _ overflowCount: Int) -> Bool {
            for index in 0..<count {
                let stored = be32(base, start + index * 4)
                if stored & 0x8000_0000 != 0, Int(stored & 0x7fff_ffff) >= overflowCount { return false }
            }
            return true
        }

        static func be32(_ base: UnsafeRawPointer, _ at: Int) -> UInt32 {
            UInt32(bigEndian: base.loadUnaligned(fromByteOffset: at, as: UInt32.self))
        }
        static func be64(_ base: UnsafeRawPointer, _ at: Int) -> UInt64 {
            UInt64(bigEndian: base.loadUnaligned(fromByteOffset: at, as: UInt64.self))
        }

        /// Binary search of the sorted OID list within the fanout's bucket.
        func index(of id: ObjectID) -> Int? {
            withUnsafeBytes(of: id.raw) { key -> Int? in
                let first = Int(key[0])
                var low = first == 0 ? 0 : Int(Self.be32(base, fanout + (first - 1) * 4))
                var high = Int(Self.be32(base, fanout + first * 4))
                while low < high {
                    let middle = (low + high) / 2
                    let order = memcmp(base + oids + middle * 20, key.baseAddress!, 20)
                    if order == 0 { return middle }
                    if order < 0 { low = middle + 1 } else { high = middle }
                }
                return nil
            }
        }

        private func objectID(at byteOffset: Int) -> ObjectID {
            var oid = git_oid()
            withUnsafeMutableBytes(of: &oid) { $0.copyMemory(from: UnsafeRawBufferPointer(start: base + byteOffset, count: 20)) }
            return ObjectID(oid)
        }

        func oid(_ index: Int) -> ObjectID { objectID(at: oids + index * 20) }
        func tree(_ index: Int) -> ObjectID { objectID(at: commitData + index * 36) }

        private static let noParent: UInt32 = 0x7000_0000

        func parents(_ index: Int) -> [Int]? {
            let entry = commitData + index * 36 + 20
            let first = Self.be32(base, entry)
            let second = Self.be32(base, entry + 4)
            if first == Self.noParent { return [] }
            if second == Self.noParent { return [Int(first)] }
            if second & 0x8000_0000 == 0 { return [Int(first), Int(second)] }
            guard let edges else { return nil }
            var result = [Int(first)]
            var at = Int(second & 0x7fff_ffff)
            while at < edges.count {
                let value = Self.be32(base, edges.start + at * 4)
                result.append(Int(value & 0x7fff_ffff))
                if value & 0x8000_0000 != 0 { return result }
                at += 1
            }
            return nil
        }

        func level(_ index: Int) -> UInt32 { Self.be32(base, commitData + index * 36 + 28) >> 2 }

        func commitTime(_ index: Int) -> UInt64 {
            let high = UInt64(Self.be32(base, commitData + index * 36 + 28) & 3)
            return high << 32 | UInt64(Self.be32(base, commitData + index * 36 + 32))
        }

        func correctedDate(_ index: Int) -> UInt64 {
            guard let generationData else { return UInt64(level(index)) }
            let stored = Self.be32(base, generationData + index * 4)
            var delta = UInt64(stored)
            if stored & 0x8000_0000 != 0 {
                // Checked when the file was opened (`overflowsResolve`).
                delta = Self.be64(base, generationOverflow!.start + Int(stored & 0x7fff_ffff) * 8)
            }
            return commitTime(index) &+ delta
        }
    }

    /// The BIDX/BDAT chunks of one layer.
    struct BloomFilters {
        let base: UnsafeRawPointer
        let index: Int
        let data: Int
        let dataLength: Int
        let count: Int
        let version: UInt32
        let hashCount: UInt32

        init?(base: UnsafeRawPointer, index: Int, data: Int, dataLength: Int, count: Int) {
            guard dataLength >= 12 else { return nil }
            self.base = base
            self.index = index
            self.data = data
            self.dataLength = dataLength
            self.count = count
            version = Layer.be32(base, data)
            hashCount = Layer.be32(base, data + 4)
            // Version 1 hashes bytes as signed chars (git before 2.46), version 2 as unsigned.
            guard version == 1 || version == 2, hashCount > 0, hashCount < 64 else { return nil }
        }

        func mayContain(_ key: BloomKey, _ commit: Int) -> Bool? {
            let end = Int(Layer.be32(base, index + commit * 4))
            let start = commit == 0 ? 0 : Int(Layer.be32(base, index + (commit - 1) * 4))
            guard start <= end, 12 + end <= dataLength else { return nil }
            let length = end - start
            if length == 0 { return nil }
            let filter = base + data + 12 + start
            let (hash0, hash1) = version == 1 ? key.signed : key.unsigned
            let bits = UInt64(length) * 8
            for i in 0..<hashCount {
                let position = UInt64(hash0 &+ i &* hash1) % bits
                let byte = filter.load(fromByteOffset: Int(position >> 3), as: UInt8.self)
                if byte & (1 << (position & 7)) == 0 { return false }
            }
            return true
        }
    }
}

extension Repository {
    /// A boolean setting as git resolves it for this repository; nil when unset or unreadable.
    func configBool(_ key: String) -> Bool? {
        var config: OpaquePointer?
        git_error_clear()
        guard withPointer({ git_repository_config_snapshot(&config, $0) }) == 0, let config else { git_error_clear(); return nil }
        defer { git_config_free(config) }
        var value: Int32 = 0
        guard git_config_get_bool(&value, config, key) == 0 else { git_error_clear(); return nil }
        return value != 0
    }
}

/// murmur3's 32-bit hash, as git's bloom.c computes it (`signed`: version 1's sign-extended bytes).
func murmur3(seed: UInt32, _ data: [UInt8], signed: Bool) -> UInt32 {
    @inline(__always) func lane(_ byte: UInt8) -> UInt32 {
        signed ? UInt32(bitPattern: Int32(Int8(bitPattern: byte))) : UInt32(byte)
    }
    @inline(__always) func rotl(_ x: UInt32, _ r: UInt32) -> UInt32 { (x << r) | (x >> (32 - r)) }
    let c1: UInt32 = 0xcc9e_2d51, c2: UInt32 = 0x1b87_3593
    var hash = seed
    let blocks = data.count / 4
    for block in 0..<blocks {
        let at = block * 4
        var k = lane(data[at]) | lane(data[at + 1]) << 8 | lane(data[at + 2]) << 16 | lane(data[at + 3]) << 24
        k = k &* c1
        k = rotl(k, 15)
        k = k &* c2
        hash ^= k
        hash = rotl(hash, 13)
        hash = hash &* 5 &+ 0xe654_6b64
    }
    let tail = blocks * 4
    var k1: UInt32 = 0
    switch data.count & 3 {
    case 3:
        k1 ^= lane(data[tail + 2]) << 16
        k1 ^= lane(data[tail + 1]) << 8
        k1 ^= lane(data[tail])
    case 2:
        k1 ^= lane(data[tail + 1]) << 8
        k1 ^= lane(data[tail])
    case 1:
        k1 ^= lane(data[tail])
    default:
        break
    }
    if data.count & 3 != 0 {
        k1 = k1 &* c1
        k1 = rotl(k1, 15)
        k1 = k1 &* c2
        hash ^= k1
    }
    hash ^= UInt32(truncatingIfNeeded: data.count)
    hash ^= hash >> 16
    hash = hash &* 0x85eb_ca6b
    hash ^= hash >> 13
    hash = hash &* 0xc2b2_ae35
    hash ^= hash >> 16
    return hash
}
