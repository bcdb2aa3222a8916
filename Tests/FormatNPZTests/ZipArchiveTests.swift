import FairAudit
import Foundation
import Testing

/// The core zip reader and writer, checked against archives Python's zipfile wrote.
@Suite struct ZipArchiveTests {
    /// Deflating a member again gives the record Python's zlib wrote (level 6, raw deflate, memLevel 8).
    @Test(arguments: ["arrays_z.npz", "adult_mlp_torch_z.npz"])
    func deflateMatchesPythonZlib(file: String) throws {
        let src = try ZipArchive(url: try Fixtures.url(file))
        var writer = ZipWriter()
        for e in src.entries {
            try writer.add(name: e.name, data: try src.data(for: e), method: 8, modTime: e.modTime, modDate: e.modDate)
        }
        let out = try ZipArchive(data: writer.finish(), name: "rewritten")
        for (a, b) in zip(src.entries, out.entries) {
            #expect(try a.crc32 == b.crc32 && src.rawRecord(for: a) == out.rawRecord(for: b), "\(a.name)")
        }
        #expect(try writer.finish() == Data(contentsOf: Fixtures.url(file)))
    }

    /// Stored and deflated members round-trip, including an empty one and a 3 MB one.
    @Test func writerRoundTrip() throws {
        var big = Data(count: 3 << 20)
        for i in stride(from: 0, to: big.count, by: 97) { big[i] = UInt8(truncatingIfNeeded: i / 97) }
        var w = ZipWriter()
        try w.add(name: "a.bin", data: big, method: 8)
        try w.add(name: "b.bin", data: big, method: 0, localZip64: false)
        try w.add(name: "empty", data: Data(), method: 8)
        try w.add(name: "dé.txt", data: Data("hé".utf8), method: 0)
        #expect(throws: ZipError.self) { try w.add(name: "a.bin", data: Data(), method: 0) }
        let zip = try ZipArchive(data: w.finish(), name: "mem")
        #expect(zip.entries.map(\.name) == ["a.bin", "b.bin", "empty", "dé.txt"])
        #expect(zip.entries.map(\.method) == [8, 0, 8, 0])
        #expect(try zip.data(for: zip.entries[0]) == big)
        #expect(try zip.data(for: zip.entries[1]) == big)
        #expect(try zip.data(for: zip.entries[2]).isEmpty)
        #expect(try String(decoding: zip.data(for: zip.entries[3]), as: UTF8.self) == "hé")
        #expect(zip.entries[0].compressedSize < big.count / 20)
        #expect(try zip.data(for: zip.entries[0], skipping: 5) == big.dropFirst(5))
    }

    /// More than 65535 members need ZIP64 end records; they are written and read back.
    @Test func zip64EndRecords() throws {
        var w = ZipWriter()
        for i in 0..<70_000 { try w.add(name: "m\(i)", data: Data([UInt8(i & 0xFF)]), method: 0, localZip64: false) }
        let bytes = w.finish()
        let zip = try ZipArchive(data: bytes, name: "many")
        #expect(zip.entries.count == 70_000)
        #expect(try zip.data(for: zip.entries[69_999]) == Data([UInt8(69_999 & 0xFF)]))
        // EOCD holds 0xFFFF as the count; the ZIP64 record holds the real one.
        #expect(bytes[bytes.count - 12] == 0xFF && bytes[bytes.count - 11] == 0xFF)
    }

    /// A member that inflates to more (or fewer) bytes than declared is refused, never written past.
    @Test(arguments: [-1, 1])
    func declaredSizeIsEnforced(delta: Int) throws {
        var w = ZipWriter()
        try w.add(name: "z", data: Data(repeating: 7, count: 5000), method: 8, localZip64: false)
        var bytes = w.finish()
        let declared = UInt32(5000 + delta)
        let cd = try #require(
            bytes.indices.last { i in i + 4 <= bytes.count && bytes[i..<i + 4].elementsEqual([0x50, 0x4B, 1, 2]) })
        for at in [22, cd + 24] {  // local header and central directory "uncompressed size"
            for k in 0..<4 { bytes[at + k] = UInt8(truncatingIfNeeded: declared >> (8 * UInt32(k))) }
        }
        let zip = try ZipArchive(data: bytes, name: "liar")
        #expect(throws: ZipError.self) { try zip.data(for: zip.entries[0]) }
    }

    @Test func dataDescriptorsAreRead() throws {
        let zip = try ZipArchive(url: try Fixtures.url("descriptor.npz"))
        #expect(zip.entries.allSatisfy { $0.flags & 8 != 0 })
        for e in zip.entries { #expect(try zip.data(for: e).count == e.uncompressedSize) }
    }

    @Test func notAZip() {
        #expect(throws: ZipError.self) {
            try ZipArchive(data: Data("hello, this is not a zip archive".utf8), name: "x")
        }
        #expect(throws: ZipError.self) { try ZipArchive(data: Data(), name: "empty") }
    }
}
