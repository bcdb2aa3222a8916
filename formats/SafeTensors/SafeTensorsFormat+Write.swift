import FairAudit
import Foundation

extension SafeTensorsFormat {
    /// Writes `graph` as one `.safetensors` file, or as a sharded set when
    /// `url` ends in `.json` (see `writeSharded`), through `AtomicFile`: written to a temporary file,
    /// read back and compared tensor by tensor, then renamed over `url`.
    ///
    /// Based on a `.safetensors` `source`: when every tensor keeps its dtype
    /// and shape and none is added or removed, the source's header bytes and
    /// every unmodified tensor's bytes are copied as they are and only
    /// modified tensors' spans are replaced. Otherwise the header is made
    /// anew in the source's order (new tensors appended) with its
    /// `__metadata__`, data in the source's data order. Without a source:
    /// tensors in graph order, `__metadata__` from the graph's `metadata.*`.
    public static func write(_ graph: ModelGraph, to url: URL, basedOn source: URL?) throws {
        let sourcePrefix = try source.map { try FormatRegistry.prefix(of: $0) }
        let sourceIsIndex = source.map { isIndex($0, prefix: sourcePrefix ?? []) } ?? false
        if url.pathExtension.lowercased() == "json" {
            return try writeSharded(graph, to: url, basedOn: sourceIsIndex ? source : nil)
        }
        let base = try source.flatMap { s -> (SafeTensorsHeader, MappedFile)? in
            guard !sourceIsIndex, canRead(s, prefix: sourcePrefix ?? []) else { return nil }
            let bytes = try SafeTensorsError.wrap(file: s.path) { try MappedFile(url: s) }
            return (try SafeTensorsHeader.parse(bytes, file: s.path), bytes)
        }
        try AtomicFile.write(
            to: url, overwrite: true,
            produce: { tmp in
                try writeChunks(
                    try chunks(graph.tensors, metadata: headerMetadata(of: graph), base: base, file: url.path),
                    to: tmp, file: url.path)
            },
            verify: { tmp in
                try verify(graph.tensors, written: tmp, file: url.path)
            })
    }

    /// The output file as a list of byte chunks (slices of the source where copied).
    static func chunks(
        _ tensors: [Tensor], metadata: [(key: String, value: String)]?,
        base: (SafeTensorsHeader, MappedFile)?, file: String
    ) throws -> [Data] {
        guard let (header, bytes) = base else {
            return try fresh(
                tensors.map { ($0, $0.name) }, order: tensors.indices.map { $0 }, metadata: metadata, file: file)
        }
        let byName = Dictionary(header.entries.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let sameLayout =
            tensors.count == header.entries.count
            && tensors.allSatisfy { t in
                byName[t.origin].map { $0.dtype == t.dtype && $0.shape == t.shape } ?? false
            } && Set(tensors.map(\.origin)).count == tensors.count
        if sameLayout {
            let byOrigin = Dictionary(tensors.map { ($0.origin, $0) }, uniquingKeysWith: { a, _ in a })
            var out = [bytes.slice(0..<header.dataStart)]
            for e in header.entries.sorted(by: { $0.offsets.lowerBound < $1.offsets.lowerBound }) {
                let range = (header.dataStart + e.offsets.lowerBound)..<(header.dataStart + e.offsets.upperBound)
                guard let t = byOrigin[e.name], t.isModified else {
                    out.append(bytes.slice(range))
                    continue
                }
                out.append(try littleEndianBytes(t, file: file))
            }
            return out
        }
        // Source header order for the names it has, then the rest; data in the source's data order.
        let rank = Dictionary(header.entries.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        let dataRank = Dictionary(
            header.entries.sorted { $0.offsets.lowerBound < $1.offsets.lowerBound }
                .enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        let idx = tensors.indices
        let headerOrder = idx.sorted {
            (rank[tensors[$0].origin] ?? Int.max, $0) < (rank[tensors[$1].origin] ?? Int.max, $1)
        }
        let dataOrder = idx.sorted {
            (dataRank[tensors[$0].origin] ?? Int.max, $0) < (dataRank[tensors[$1].origin] ?? Int.max, $1)
        }
        let named = headerOrder.map { (tensors[$0], tensors[$0].name) }
        let positions = Dictionary(headerOrder.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        return try fresh(named, order: dataOrder.compactMap { positions[$0] }, metadata: header.metadata, file: file)
    }

    /// A new file: header entries in the order of `named`, data in `order` (indices into `named`).
    static func fresh(
        _ named: [(Tensor, String)], order: [Int], metadata: [(key: String, value: String)]?,
        file: String
    ) throws -> [Data] {
        var seen = Set<String>()
        for (_, n) in named where !seen.insert(n).inserted {
            throw SafeTensorsError.cannotWrite(file: file, reason: "two tensors are named '\(n)'")
        }
        var offsets = [Range<Int>](repeating: 0..<0, count: named.count)
        var data: [Data] = []
        var at = 0
        for i in order {
            let d = try littleEndianBytes(named[i].0, file: file)
            offsets[i] = at..<(at + d.count)
            at += d.count
            data.append(d)
        }
        let entries = named.enumerated().map { i, p in
            SafeTensorsHeader.Entry(name: p.1, dtype: p.0.dtype, shape: p.0.shape, offsets: offsets[i])
        }
        return [SafeTensorsHeader.encode(entries, metadata: metadata)] + data
    }

    /// The tensor's values as little-endian bytes, exactly `byteCount` of them.
    static func littleEndianBytes(_ t: Tensor, file: String) throws -> Data {
        let raw = try t.rawBytes()
        guard raw.count >= t.byteCount else {
            throw SafeTensorsError.cannotWrite(
                file: file, reason: "tensor '\(t.name)' has \(raw.count) bytes, its shape needs \(t.byteCount)")
        }
        let exact = raw.count == t.byteCount ? raw : raw.prefix(t.byteCount)
        let size = t.dtype.byteSize
        guard t.byteOrder == .big, size > 1 else { return exact }
        var out = Data(exact)
        out.withUnsafeMutableBytes { (p: UnsafeMutableRawBufferPointer) in
            for e in stride(from: 0, to: p.count, by: size) {
                var (a, b) = (e, e + size - 1)
                while a < b {
                    p.swapAt(a, b)
                    a += 1
                    b -= 1
                }
            }
        }
        return out
    }

    /// Writes `chunks` to a new file at `url`.
    static func writeChunks(_ chunks: [Data], to url: URL, file: String) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil),
            let h = FileHandle(forWritingAtPath: url.path)
        else {
            throw SafeTensorsError.cannotWrite(file: file, reason: "cannot create \(url.path)")
        }
        defer { try? h.close() }
        do { for c in chunks { try h.write(contentsOf: c) } } catch {
            throw SafeTensorsError.cannotWrite(file: file, reason: "\(error)")
        }
    }

    /// Reads `written` back and checks every tensor's dtype, shape and bytes.
    static func verify(_ tensors: [Tensor], written: URL, file: String) throws {
        try verifyTensors(tensors, try readFile(written).1, file: file)
    }

    /// Checks `back` holds each of `tensors` (by name, else origin) with the same dtype, shape and bytes.
    static func verifyTensors(_ tensors: [Tensor], _ back: [Tensor], file: String) throws {
        guard back.count == tensors.count else {
            throw SafeTensorsError.verifyFailed(
                file: file, tensor: "*", reason: "\(back.count) tensors read back, \(tensors.count) written")
        }
        let byName = Dictionary(back.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for t in tensors {
            guard let b = byName[t.name] ?? byName[t.origin] else {
                throw SafeTensorsError.verifyFailed(file: file, tensor: t.name, reason: "missing")
            }
            guard b.dtype == t.dtype, b.shape == t.shape, try b.rawBytes() == littleEndianBytes(t, file: file) else {
                throw SafeTensorsError.verifyFailed(file: file, tensor: t.name, reason: "values or layout differ")
            }
        }
    }
}
