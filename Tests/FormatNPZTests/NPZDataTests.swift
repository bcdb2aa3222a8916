import FairAudit
import FormatNPZ
import Foundation
import Testing

/// `.npz` members read as data rows: arrays of rank ≥ 2 in C order come as
/// `Float`, converted piece by piece while read (stored or deflated), equal to
/// what numpy read; the rest as `Double`; a flipped byte still fails the CRC.
@Suite struct NPZDataTests {
    @Test(arguments: ["arrays.npz", "arrays_z.npz"])
    func valuesEqualNumpy(file: String) throws {
        let arrays = try NPZData.arrays(try Fixtures.url(file))
        var asFloats = 0
        for e in try Fixtures.expected(file) {
            guard let want = e.values, let a = arrays[e.name] else { continue }
            #expect(a.shape == e.shape, "\(e.name)")
            if e.shape.count >= 2 && !e.fortran {
                let got = try #require(a.floats, "\(e.name): a C-order rank-\(e.shape.count) array comes as Float")
                #expect(a.numbers == nil)
                #expect(got.count == want.count && zip(got, want).allSatisfy { $0 == Float($1) }, "\(e.name)")
                asFloats += 1
            } else {
                let got = try #require(a.numbers, "\(e.name)")
                #expect(got.count == want.count && zip(got, want).allSatisfy { Fixtures.close($0, $1) }, "\(e.name)")
            }
        }
        #expect(asFloats >= 4)  // f16, f64, i16, flags, be_f4 (2-D, C order)
    }

    @Test("a flipped byte in a member read as Float rows fails its CRC-32")
    func badCRCThrows() throws {
        let url = try Fixtures.url("arrays.npz")
        let zip = try ZipArchive(url: url)
        let entry = try #require(zip.entry(named: "f64.npy"))
        var data = try Data(contentsOf: url)
        data[entry.dataOffset + entry.compressedSize - 3] ^= 0x5A
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("arrays.npz")
        try data.write(to: bad)
        #expect {
            _ = try NPZData.arrays(bad)
        } throws: { error in
            guard case .zip(.crcMismatch(_, let member, _, _)) = error as? NPZError else { return false }
            return member == "f64.npy"
        }
    }
}
