import FairAudit
import FormatHDF5
import FormatNPZ
import Foundation

extension Benchmark {
    /// Times reading every tensor of `url` (the format found by its magic
    /// bytes; every value read, decompressed and checked: CRC-32 for zip
    /// members) and touching each byte once (a checksum, so a memory-mapped
    /// tensor counts its page faults as a copy would), best of `repeats`;
    /// with `stats`, also the tensor statistics `inspect` prints. Megabytes
    /// are the tensors' decoded bytes / 10⁶.
    static func readPaths(_ url: URL, label: String, repeats: Int, stats: Bool) throws -> [Measurement] {
        var bytes = 0
        var sum: UInt64 = 0
        let t = try best(repeats) {
            bytes = 0
            let graph = try Plugins.formats.read(url)
            for tensor in graph.tensors {
                let data = try tensor.rawBytes()
                bytes += data.count
                sum &+= touch(data)
            }
        }
        if sum == 42 { FileHandle.standardError.write(Data()) }  // keeps the checksum alive
        var out = [
            Measurement(
                name: "read \(label)", seconds: t.wall, cpuSeconds: t.cpu, amount: Double(bytes) / 1e6, unit: "MB/s",
                input: url.path)
        ]
        if stats {
            let graph = try Plugins.formats.read(url)
            let s = try best(1) { for tensor in graph.tensors { _ = try tensor.stats() } }
            out.append(
                Measurement(
                    name: "read+stats \(label) (inspect)", seconds: s.wall, cpuSeconds: s.cpu,
                    amount: Double(bytes) / 1e6,
                    unit: "MB/s", input: url.path))
        }
        return out
    }

    /// A wrapping sum of the bytes as 64-bit words (and the tail bytes).
    static func touch(_ data: Data) -> UInt64 {
        data.withUnsafeBytes { raw -> UInt64 in
            let words = raw.count / 8
            var s: UInt64 = 0
            if let base = raw.baseAddress {
                for i in 0..<words { s &+= base.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self) }
            }
            for i in (words * 8)..<raw.count { s &+= UInt64(raw[i]) }
            return s
        }
    }

    /// 16 float32 tensors of `megabytes / 16` each, shaped `[rows, 1024]`,
    /// uniform in ±0.1 with random low bits (deflate saves ~8%, as on real
    /// weights). Deterministic (xorshift64*).
    static func syntheticTensors(megabytes: Int) -> ModelGraph {
        let perTensor = max(megabytes * 1_000_000 / 16 / 4 / 1024, 1) * 1024
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let tensors = (0..<16).map { i -> Tensor in
            var values = [Float](repeating: 0, count: perTensor)
            values.withUnsafeMutableBufferPointer { p in
                for j in p.indices {
                    state ^= state >> 12
                    state ^= state << 25
                    state ^= state >> 27
                    let r = state &* 0x2545_F491_4F6C_DD1D
                    p[j] = (Float(r >> 40) / Float(1 << 24) - 0.5) * 0.2
                }
            }
            return Tensor(
                name: "layer\(i).weight", dtype: .float32, shape: [perTensor / 1024, 1024],
                storage: .bytes(values.withUnsafeBufferPointer { Data(buffer: $0) }))
        }
        return ModelGraph(format: "npz", layout: .arrays, tensors: tensors)
    }

    /// Writes `megabytes` of tensors as a stored npz (numpy `savez`) and a
    /// deflated one (numpy `savez_compressed`: deflate level 6) and times
    /// reading each.
    static func npzPaths(megabytes: Int, dir: URL, keep: Bool, repeats: Int, record: (Measurement) -> Void) throws {
        let stored = dir.appendingPathComponent("bench_stored.npz")
        let deflated = dir.appendingPathComponent("bench_deflated.npz")
        try NPZFormat.write(syntheticTensors(megabytes: megabytes), to: stored, basedOn: nil)
        let archive = try ZipArchive(url: stored)
        var writer = ZipWriter()
        for entry in archive.entries {
            try writer.add(name: entry.name, data: archive.data(for: entry), method: 8, level: 6)
        }
        try writer.write(to: deflated)
        try readPaths(stored, label: "npz (stored)", repeats: repeats, stats: true).forEach(record)
        try readPaths(deflated, label: "npz (deflated)", repeats: repeats, stats: false).forEach(record)
        if !keep { for u in [stored, deflated] { try? FileManager.default.removeItem(at: u) } }
    }

    /// Writes `megabytes` of tensors as a contiguous HDF5 file and a
    /// gzip-chunked one (1 MB chunks, level 4: h5py's default level) and times
    /// reading each.
    static func hdf5Paths(megabytes: Int, dir: URL, keep: Bool, repeats: Int, record: (Measurement) -> Void) throws {
        let contiguous = dir.appendingPathComponent("bench_contiguous.h5")
        let gzip = dir.appendingPathComponent("bench_gzip.h5")
        let graph = syntheticTensors(megabytes: megabytes)
        try HDF5Format.write(graph, to: contiguous, basedOn: nil)
        try HDF5Format.writeChunked(graph, to: gzip, chunkBytes: 1 << 20, gzipLevel: 4)
        try readPaths(contiguous, label: "h5 (contiguous)", repeats: repeats, stats: false).forEach(record)
        try readPaths(gzip, label: "h5 (gzip chunks)", repeats: repeats, stats: false).forEach(record)
        if !keep { for u in [contiguous, gzip] { try? FileManager.default.removeItem(at: u) } }
    }
}
