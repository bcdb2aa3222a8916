import FairAudit
import FairAuditPlugins
import Foundation
import Testing

@testable import FormatNPZ

/// Bad input throws `NPZError` naming the file (and member), never crashes or hangs.
@Suite struct NPZRefusalTests {
    /// Reads `url` and every tensor's values; returns the error thrown.
    static func failure(_ url: URL) -> Error? {
        do {
            let g = try NPZFormat.read(url)
            for t in g.tensors { _ = try t.rawBytes() }
            return nil
        } catch {
            return error
        }
    }

    static let badFiles: [(String, String?)] = [
        ("bad_object.npy", "|O"), ("bad_object.npz", "o.npy"), ("bad_structured.npy", "structured"),
        ("bad_strings.npy", "string"), ("bad_bigheader.npy", "10000"), ("bad_huge.npy", "8000000000000 bytes"),
        ("bad_huge.npz", "w.npy"), ("bad_short.npz", "40 bytes"), ("bad_notnpy.npz", "config.json"),
        ("bad_duplicate.npz", "more than once"), ("bad_bomb.npz", "zip bomb"),
    ]

    @Test(arguments: badFiles)
    func refused(file: String, mentions: String?) throws {
        let url = try Fixtures.url(file)
        let error = try #require(Self.failure(url) as? NPZError, "\(file) was not refused with NPZError")
        let text = error.description
        #expect(text.contains(url.path), "\(text)")
        if let mentions { #expect(text.contains(mentions), "\(text)") }
        #expect(!text.contains("\n"))
    }

    @Test func zipWithOtherMembersIsNotClaimed() throws {
        let url = try Fixtures.url("bad_notnpy.npz")
        let prefix = try FormatRegistry.prefix(of: url)
        #expect(!NPZFormat.canRead(url, prefix: prefix))
        #expect(throws: FairAuditError.self) { try Plugins.formats.format(for: url) }
    }

    static let truncatable = [
        "arrays.npz", "arrays_z.npz", "descriptor.npz", "adult_mlp_torch_z.npz", "bare.npy",
        "v3.npy",
    ]

    /// Cut at the start, inside headers, inside data and just before the end.
    @Test(arguments: truncatable)
    func truncatedFilesThrow(file: String) throws {
        let data = try Data(contentsOf: Fixtures.url(file))
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cuts = [0, 3, 9, 20, 40, 70, 130, data.count / 3, data.count / 2, data.count - 30, data.count - 1]
        for cut in cuts where cut < data.count {
            let url = dir.appendingPathComponent("cut\(cut)-\(file)")
            try data.prefix(cut).write(to: url)
            let error = Self.failure(url)
            #expect(error is NPZError, "\(file) cut at \(cut): \(String(describing: error))")
        }
    }

    /// A zip cut inside a member's data names that member (found by walking the local headers).
    @Test(arguments: ["arrays.npz", "arrays_z.npz", "adult_mlp_torch.npz"])
    func truncationNamesTheMember(file: String) throws {
        let url = try Fixtures.url(file)
        let zip = try ZipArchive(url: url)
        let data = try Data(contentsOf: url)
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        for e in zip.entries where e.compressedSize > 2 {
            let cut = dir.appendingPathComponent("cut-\(e.name)-\(file)")
            try data.prefix(e.dataOffset + e.compressedSize / 2).write(to: cut)
            guard case .zip(.truncated(_, let member, _))? = Self.failure(cut) as? NPZError else {
                Issue.record("\(file) cut in \(e.name): \(String(describing: Self.failure(cut)))")
                continue
            }
            #expect(member == e.name)
        }
    }

    /// A flipped byte inside a member's data fails its CRC-32 check.
    @Test(arguments: ["arrays.npz", "arrays_z.npz", "descriptor.npz"])
    func badCRCThrows(file: String) throws {
        let url = try Fixtures.url(file)
        let zip = try ZipArchive(url: url)
        var data = try Data(contentsOf: url)
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let entry = try #require(zip.entries.max { $0.compressedSize < $1.compressedSize })
        data[entry.dataOffset + entry.compressedSize - 5] ^= 0x5A
        let bad = dir.appendingPathComponent(file)
        try data.write(to: bad)
        let error = try #require(Self.failure(bad) as? NPZError)
        if file.hasSuffix("_z.npz") || file == "descriptor.npz" {
            // A corrupt deflate stream may fail in zlib before the CRC is compared.
            #expect(error.description.contains(entry.name))
        } else {
            guard case .zip(.crcMismatch(_, let member, _, _)) = error else {
                Issue.record("expected a CRC error, got \(error)")
                return
            }
            #expect(member == entry.name)
        }
    }

    /// Random single-byte corruption anywhere either reads or throws; it never crashes.
    @Test(arguments: ["arrays.npz", "arrays_z.npz", "v2.npy"])
    func randomCorruptionNeverCrashes(file: String) throws {
        let original = try Data(contentsOf: Fixtures.url(file))
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = SystemRandomNumberGenerator()
        for k in 0..<200 {
            var data = original
            let i = Int.random(in: 0..<data.count, using: &rng)
            data[i] = UInt8.random(in: 0...255, using: &rng)
            let url = dir.appendingPathComponent("c\(k)-\(file)")
            try data.write(to: url)
            if let e = Self.failure(url) {  // reading may also succeed: a flipped date or padding byte is harmless
                #expect(e is NPZError || e is FairAuditError, "\(e)")
            }
        }
    }
}
