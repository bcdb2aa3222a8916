import FairAudit
import FairAuditPlugins
import Foundation
import Testing

@testable import FormatNPZ

/// Every fixture numpy wrote reads with numpy's names, dtypes, shapes, byte
/// orders and values.
@Suite struct NPZReadTests {
    static let files = [
        "arrays.npz", "arrays_z.npz", "descriptor.npz", "bare.npy", "bare_fortran.npy", "v2.npy",
        "v3.npy", "adult_mlp_torch.npz", "adult_mlp_torch_z.npz", "adult_mlp_test_scores.npy",
    ]

    @Test(arguments: files)
    func readsWhatNumpyRead(file: String) throws {
        let url = try Fixtures.url(file)
        #expect(try Plugins.formats.format(for: url) == NPZFormat.self)
        let graph = try Plugins.formats.read(url)
        #expect(graph.format == "npz")
        let expected = try Fixtures.expected(file)
        #expect(graph.tensors.map(\.name) == expected.map(\.name))
        for (t, e) in zip(graph.tensors, expected) {
            #expect(t.dtype.rawValue == e.dtype, "\(file): \(t.name)")
            #expect(t.shape == e.shape, "\(file): \(t.name)")
            #expect(t.byteOrder.rawValue == e.byteOrder, "\(file): \(t.name)")
            #expect(t.byteCount == (try t.rawBytes().count))
            let values = try t.doubleValues()
            if let ev = e.values {
                // numpy's values are exact in a double for every dtype here, so only rounding noise is allowed.
                #expect(values.count == ev.count)
                #expect(zip(values, ev).allSatisfy { Fixtures.close($0, $1, rel: 1e-12) }, "\(file): \(t.name)")
            }
            for (i, v) in e.elements { #expect(Fixtures.close(values[i], v, rel: 1e-12), "\(file): \(t.name)[\(i)]") }
            if let s = e.stats {
                let st = try t.stats()
                #expect(Fixtures.close(st.min, s["min"] ?? .nan), "\(file): \(t.name) min")
                #expect(Fixtures.close(st.max, s["max"] ?? .nan), "\(file): \(t.name) max")
                #expect(Fixtures.close(st.mean, s["mean"] ?? .nan), "\(file): \(t.name) mean")
                #expect(Fixtures.close(st.std, s["std"] ?? .nan), "\(file): \(t.name) std")
            }
        }
    }

    @Test func adultStateDictLayoutAndOrigins() throws {
        let graph = try NPZFormat.read(try Fixtures.url("adult_mlp_torch.npz"))
        #expect(graph.layout == .torchStateDict)
        #expect(graph.tensors.map(\.origin) == graph.tensors.map { $0.name + ".npy" })
        #expect(graph.parameterCount == 64 * 80 + 64 + 32 * 64 + 32 + 32 + 1)
        let arrays = try NPZFormat.read(try Fixtures.url("arrays.npz"))
        #expect(arrays.layout == .arrays)
    }

    @Test func headerVersionsAndOrderAreReported() throws {
        let v2 = try NPZFormat.read(try Fixtures.url("v2.npy"))
        #expect(v2.metadata.contains { $0.key == "npy_version" && $0.value == "2.0" })
        let v3 = try NPZFormat.read(try Fixtures.url("v3.npy"))
        #expect(v3.metadata.contains { $0.key == "npy_version" && $0.value == "3.0" })
        let f = try NPZFormat.read(try Fixtures.url("bare_fortran.npy"))
        #expect(f.metadata.contains { $0.key == "fortran_order" && $0.value == "true" })
    }

    /// numpy's preamble for every member is what `NPYHeader.preamble` makes from its fields.
    @Test(arguments: ["arrays.npz", "adult_mlp_torch.npz", "v2.npy", "v3.npy", "bare_fortran.npy"])
    func headerEncodingMatchesNumpy(file: String) throws {
        let url = try Fixtures.url(file)
        var headers: [NPYHeader] = []
        if file.hasSuffix(".npy") {
            headers = [try NPYHeader.parse(try Data(contentsOf: url), file: file, member: nil)]
        } else {
            let zip = try ZipArchive(url: url)
            headers = try zip.entries.map { try NPYHeader.parse(try zip.data(for: $0), file: file, member: $0.name) }
        }
        for h in headers {
            let made = NPYHeader.preamble(descr: h.descr, fortranOrder: h.fortranOrder, shape: h.shape, major: h.major)
            #expect(made == h.preamble, "\(file): \(h.descr) \(h.shape)")
            #expect(h.dataOffset % 64 == 0)
        }
    }

    @Test func storedMembersAreLazyAndZeroCopy() throws {
        let graph = try NPZFormat.read(try Fixtures.url("adult_mlp_torch.npz"))
        for t in graph.tensors {
            guard case .deferred = t.storage else {
                Issue.record("\(t.name) was read eagerly")
                continue
            }
        }
    }
}
