import FairAudit
import Foundation

/// What a format plugin failed to do, naming the fixture and the part.
public struct ConformanceFailure: Error, CustomStringConvertible {
    public let description: String
    init(_ fixture: URL, _ what: String) { description = "\(fixture.lastPathComponent): \(what)" }
}

/// The checks every format plugin passes (docs/architecture.md), run on one
/// fixture file through a registry: read → write based on the source → read
/// gives identical tensors; an unchanged copy is byte-identical part by part
/// (``ModelFormat/members(of:)``); changing one tensor changes that tensor
/// and its part only; truncated and corrupt files throw, never crash.
///
/// Each check throws a ``ConformanceFailure`` saying what broke, so a test
/// target of any plugin calls them with its own registry and fixtures.
public enum Conformance {
    /// Every check, in order.
    public static func check(_ fixture: URL, with registry: FormatRegistry) throws {
        try roundTripKeepsEveryTensor(fixture, with: registry)
        try unchangedCopyIsByteIdentical(fixture, with: registry)
        try oneModifiedTensorChangesOnlyIt(fixture, with: registry)
        try truncatedFilesThrow(fixture, with: registry)
        try corruptFilesThrowOrReadNeverCrash(fixture, with: registry)
    }

    /// A fresh folder, removed by `body`'s caller through the returned cleanup.
    static func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("conformance-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        return try body(dir)
    }

    /// The graph and every tensor's stored bytes.
    static func readAll(_ url: URL, _ registry: FormatRegistry) throws -> (ModelGraph, [Data]) {
        let graph = try registry.read(url)
        return (graph, try graph.tensors.map { try $0.rawBytes() })
    }

    /// The unchanged graph written based on its source reads back with the
    /// same names, dtypes, shapes, byte orders and bytes.
    public static func roundTripKeepsEveryTensor(_ src: URL, with registry: FormatRegistry) throws {
        let format = try registry.format(for: src)
        let (graph, bytes) = try readAll(src, registry)
        guard !graph.tensors.isEmpty else { throw ConformanceFailure(src, "reads no tensors") }
        try withTemporaryDirectory { dir in
            let out = dir.appendingPathComponent(src.lastPathComponent)
            try format.write(graph, to: out, basedOn: src)
            let (back, backBytes) = try readAll(out, registry)
            guard back.format == graph.format else { throw ConformanceFailure(src, "reads back as \(back.format)") }
            guard back.tensors.map(\.name) == graph.tensors.map(\.name) else {
                throw ConformanceFailure(src, "tensor names or order changed on a round trip")
            }
            for (a, b) in zip(graph.tensors, back.tensors)
            where a.dtype != b.dtype || a.shape != b.shape || a.byteOrder != b.byteOrder {
                throw ConformanceFailure(src, "tensor \(a.name) changed dtype, shape or byte order")
            }
            for (t, (d, e)) in zip(graph.tensors, zip(bytes, backBytes)) {
                guard d.count == t.byteCount else {
                    throw ConformanceFailure(src, "tensor \(t.name) holds \(d.count) bytes, not \(t.byteCount)")
                }
                guard d == e else {
                    throw ConformanceFailure(src, "tensor \(t.name)'s bytes changed on an unmodified round trip")
                }
            }
        }
    }

    /// Writing the unchanged graph based on its source keeps every part byte-identical.
    public static func unchangedCopyIsByteIdentical(_ src: URL, with registry: FormatRegistry) throws {
        let format = try registry.format(for: src)
        try withTemporaryDirectory { dir in
            let out = dir.appendingPathComponent(src.lastPathComponent)
            try format.write(try registry.read(src), to: out, basedOn: src)
            let a = try format.members(of: src)
            let b = try format.members(of: out)
            guard a.map(\.name) == b.map(\.name) else {
                throw ConformanceFailure(src, "the copy's parts differ in name or order")
            }
            for (x, y) in zip(a, b) where x.bytes != y.bytes {
                throw ConformanceFailure(src, "part \(x.name) differs from its source")
            }
        }
    }

    /// Changing one float tensor (of more than one element) writes exactly
    /// the new values there, and leaves every other tensor and part alone.
    public static func oneModifiedTensorChangesOnlyIt(_ src: URL, with registry: FormatRegistry) throws {
        let format = try registry.format(for: src)
        var (graph, bytes) = try readAll(src, registry)
        guard let k = graph.tensors.firstIndex(where: { $0.dtype.isFloatingPoint && $0.elementCount > 1 }) else {
            throw ConformanceFailure(src, "holds no float tensor of more than one element to modify")
        }
        let target = graph.tensors[k]
        let new = try target.floatValues().enumerated().map { i, v in v * 0.5 + Float(i % 3) + 1 }
        try graph.replaceValues(of: target.name, with: new)
        try withTemporaryDirectory { dir in
            let out = dir.appendingPathComponent(src.lastPathComponent)
            try format.write(graph, to: out, basedOn: src)
            let (back, backBytes) = try readAll(out, registry)
            guard back.tensors.map(\.name) == graph.tensors.map(\.name) else {
                throw ConformanceFailure(src, "tensor names changed")
            }
            let expected = Tensor.encode(new.map(Double.init), dtype: target.dtype, byteOrder: target.byteOrder)
            guard backBytes[k] == expected, backBytes[k] != bytes[k] else {
                throw ConformanceFailure(src, "\(target.name) does not hold the new values")
            }
            for i in graph.tensors.indices where i != k && backBytes[i] != bytes[i] {
                throw ConformanceFailure(src, "\(graph.tensors[i].name) changed but was not modified")
            }
            let a = try format.members(of: src)
            let b = try format.members(of: out)
            if a.count > 1 {
                let changed = zip(a, b).filter { $0.0.bytes != $0.1.bytes }.map(\.0.name)
                guard changed.count == 1 else { throw ConformanceFailure(src, "parts changed: \(changed)") }
            }
        }
    }

    /// Every prefix of the file (empty, a few bytes, quarters, all but the
    /// last bytes) fails to read with an error.
    public static func truncatedFilesThrow(_ src: URL, with registry: FormatRegistry) throws {
        let data = try Data(contentsOf: src)
        try withTemporaryDirectory { dir in
            for cut in [
                0, 1, 8, 64, data.count / 4, data.count / 2, data.count * 3 / 4, data.count - 8, data.count - 1,
            ] {
                let url = dir.appendingPathComponent("cut\(cut)-\(src.lastPathComponent)")
                try data.prefix(max(0, cut)).write(to: url)
                if (try? readAll(url, registry)) != nil {
                    throw ConformanceFailure(src, "cut at \(cut) bytes was read without error")
                }
            }
        }
    }

    /// A file without its magic bytes is refused; 8-byte blocks overwritten
    /// across the file give an error or a graph, never a crash or a hang.
    public static func corruptFilesThrowOrReadNeverCrash(_ src: URL, with registry: FormatRegistry) throws {
        let data = try Data(contentsOf: src)
        try withTemporaryDirectory { dir in
            var noMagic = data
            noMagic.replaceSubrange(0..<min(8, data.count), with: [UInt8](repeating: 0xEE, count: min(8, data.count)))
            let url = dir.appendingPathComponent("nomagic-\(src.lastPathComponent)")
            try noMagic.write(to: url)
            if (try? readAll(url, registry)) != nil { throw ConformanceFailure(src, "read without its magic bytes") }
            for start in stride(from: 8, to: data.count - 8, by: max(8, data.count / 64)) {
                var bad = data
                bad.replaceSubrange(start..<(start + 8), with: [UInt8](repeating: 0xA5, count: 8))
                let u = dir.appendingPathComponent("block\(start)-\(src.lastPathComponent)")
                try bad.write(to: u)
                _ = try? readAll(u, registry)
            }
        }
    }
}
