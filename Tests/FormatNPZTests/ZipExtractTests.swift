import FairAudit
import Foundation
import Testing

/// `ZipArchive.extract(_:to:)`: a member written to a file in bounded memory,
/// checked exactly as `data(for:)` checks it.
@Suite struct ZipExtractTests {
    /// A fresh path in a new temporary directory (removed by the caller).
    private func target(_ dir: URL) -> URL { dir.appendingPathComponent(UUID().uuidString) }

    /// Every member of archives numpy and Python's zipfile wrote (stored,
    /// deflated, with data descriptors) extracts to the bytes `data(for:)`
    /// gives, whose CRC-32 Python recorded, into a file only the owner can read.
    @Test(arguments: ["arrays.npz", "arrays_z.npz", "descriptor.npz", "adult_mlp_torch_z.npz"])
    func extractedBytesEqualTheMember(file: String) throws {
        let zip = try ZipArchive(url: try Fixtures.url(file))
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        for e in zip.entries {
            let url = target(dir)
            try zip.extract(e, to: url)
            let bytes = try Data(contentsOf: url)
            #expect(bytes == (try zip.data(for: e)), "\(file): \(e.name)")
            #expect(bytes.count == e.uncompressedSize && zipCRC32(bytes) == e.crc32, "\(file): \(e.name)")
            let mode = try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
    }

    /// Members larger than one extraction step (8 MB), stored and deflated,
    /// read from a file mapping (whose pages are released as it goes), come
    /// out byte for byte. The bytes are pseudo-random, so the deflated
    /// member is as large as the stored one and its input is fed in several
    /// steps too.
    @Test func membersSpanningManyStepsExtract() throws {
        var big = Data(count: 21 << 20 + 12345)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        big.withUnsafeMutableBytes { raw in
            for i in 0..<raw.count {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                raw[i] = UInt8(truncatingIfNeeded: state >> 56)
            }
        }
        var w = ZipWriter()
        try w.add(name: "stored.bin", data: big, method: 0)
        try w.add(name: "deflated.bin", data: big, method: 8)
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let archive = dir.appendingPathComponent("big.zip")
        try w.finish().write(to: archive)
        let zip = try ZipArchive(url: archive)
        for e in zip.entries {
            let url = target(dir)
            try zip.extract(e, to: url)
            #expect(try Data(contentsOf: url) == big, "\(e.name)")
        }
    }

    /// A member whose bytes were altered, or whose declared size is one more
    /// or one less than its data gives, throws the same error as
    /// `data(for:)` (naming archive and member), and leaves no file behind.
    @Test(arguments: [
        ("arrays.npz", "data"), ("arrays_z.npz", "data"), ("arrays_z.npz", "longer"), ("arrays_z.npz", "shorter"),
    ])
    func damagedMemberThrowsAsDataDoes(file: String, damage: String) throws {
        var bytes = try Data(contentsOf: try Fixtures.url(file))
        let e = try #require(try ZipArchive(data: bytes, name: file).entry(named: "f64.npy"))
        switch damage {
        case "data":
            // A byte of the array's values (past the .npy header), so a stored member still parses.
            let at = e.method == 0 ? e.dataOffset + e.uncompressedSize - 3 : e.dataOffset + e.compressedSize - 5
            bytes[at] ^= 0x10
        default:
            let size = UInt32(e.uncompressedSize + (damage == "longer" ? 1 : -1))
            let cd = try #require(
                bytes.indices.first { i in
                    i + 46 <= bytes.count && bytes[i..<i + 4].elementsEqual([0x50, 0x4B, 1, 2])
                        && bytes[(i + 46)...].starts(with: Data("f64.npy".utf8))
                })
            for at in [e.localHeaderOffset + 22, cd + 24] {
                for k in 0..<4 { bytes[at + k] = UInt8(truncatingIfNeeded: size >> (8 * UInt32(k))) }
            }
        }
        let zip = try ZipArchive(data: bytes, name: file)
        let damaged = try #require(zip.entry(named: "f64.npy"))
        var expected: ZipError?
        do { _ = try zip.data(for: damaged) } catch let error as ZipError { expected = error }
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = target(dir)
        #expect(throws: try #require(expected)) { try zip.extract(damaged, to: url) }
        #expect("\(try #require(expected))".contains("\(file): member 'f64.npy'"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        if damage == "data" && e.method == 0 {
            guard case .crcMismatch = try #require(expected) else {
                Issue.record("\(String(describing: expected))")
                return
            }
        }
    }

    /// An existing file is never replaced.
    @Test func existingFileIsNotReplaced() throws {
        let zip = try ZipArchive(url: try Fixtures.url("arrays.npz"))
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = target(dir)
        try Data("keep".utf8).write(to: url)
        #expect(throws: ZipError.self) { try zip.extract(zip.entries[0], to: url) }
        #expect(try Data(contentsOf: url) == Data("keep".utf8))
    }
}
