import FairAudit
import FairAuditPlugins
import Foundation
import Testing

/// What `fairaudit benchmark` hands its Keras/JAX reference (the rows, as an
/// npz) and how it reports a reference beside fairaudit's own measurement.
@Suite struct BenchmarkReferenceTests {
    /// A zoo file's URL.
    static func url(_ name: String) throws -> URL {
        let dir = try #require(Bundle.module.url(forResource: "zoo", withExtension: nil, subdirectory: "Resources"))
        return dir.appendingPathComponent(name)
    }

    /// Two inputs (float and int ids), an image input, a token-id input; tiled past, and cut below, the file's rows.
    static let cases: [(String, Int)] = [
        ("wide_deep_k3", 100), ("small_cnn_k3", 500), ("transformer_k3", 7), ("residual_mlp_tf2", 48),
    ]

    @Test("the reference npz holds each input, label and group of the rows fairaudit times", arguments: cases)
    func referenceRowsAreTheTimedRows(model: String, rows: Int) throws {
        let file = try Self.url(model + (model.hasSuffix("_k3") ? ".keras" : ".h5"))
        let net = try Network(graph: try Plugins.formats.read(file))
        let dataFile = try Self.url(model + "_data.npz")
        let loaded = try DataLoading.load(
            from: dataFile, options: CSVDataOptions(label: "label", groups: ["group"]), network: net)
        let data = Benchmark.tiledRows(loaded, rows: rows)
        #expect(data.rowCount == rows)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("ref-rows-\(UUID().uuidString).npz")
        defer { try? FileManager.default.removeItem(at: out) }
        try Benchmark.writeReferenceRows(data, inputNames: net.inputNames, inputShapes: net.inputShapes, to: out)

        // Read back with fairaudit's npz reader; compare with the zoo file's own arrays, row i being row i mod N.
        let back = try Plugins.formats.read(out)
        let original = try Plugins.formats.read(dataFile)
        let n = try original.tensor(named: "label").shape[0]
        #expect(back.tensors.count == net.inputNames.count + 2)
        for (k, name) in net.inputNames.enumerated() {
            let t = try back.tensor(named: "input_\(k)")
            #expect(t.dtype == .float32)
            #expect(t.shape == [rows] + net.inputShapes[k], "\(model) input \(name)")
            let want = try original.tensor(named: name).floatValues()
            let w = want.count / n
            let got = try t.floatValues()
            let tiled = (0..<rows).flatMap { r in want[((r % n) * w)..<((r % n) * w + w)] }
            #expect(got == tiled, "\(model) input \(name): the values differ from the file's rows")
        }
        let labels = try original.tensor(named: "label").floatValues()
        #expect(try back.tensor(named: "label").floatValues() == (0..<rows).map { labels[$0 % n] })
        let groups = try original.tensor(named: "group").floatValues()
        let index = try back.tensor(named: "group").floatValues().map { Int($0) }
        #expect(try back.tensor(named: "group").dtype == .int32)
        #expect(index == data.rowGroups)
        #expect(
            index.map { data.groupNames[$0] } == (0..<rows).map { String(Int(groups[$0 % n])) },
            "\(model): a row's group index names another group than the file's")
    }

    @Test("rows whose features do not hold the inputs' widths are refused")
    func mismatchedWidthsRefused() throws {
        let data = LabeledData(
            source: "t", featureNames: ["a", "b", "c"], features: [1, 2, 3], labels: [1], groupColumns: ["g"],
            groupNames: ["x"], rowGroups: [0])
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("ref-bad-\(UUID().uuidString).npz")
        #expect(throws: (any Error).self) {
            try Benchmark.writeReferenceRows(data, inputNames: ["x"], inputShapes: [[2]], to: out)
        }
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    /// fairaudit's forward and Fisher, their Keras/JAX references, a reference
    /// whose fairaudit measurement is on another input (so has none), and an
    /// unrelated measurement; numbers chosen so the ratios are exact in binary.
    static let measurements: [Benchmark.Measurement] = [
        .init(name: "forward", seconds: 0.5, cpuSeconds: 1, amount: 1000, unit: "rows/s", input: "a"),
        .init(name: "per-group Fisher", seconds: 2, cpuSeconds: 4, amount: 1000, unit: "rows/s", input: "a"),
        .init(name: "forward", seconds: 8, cpuSeconds: 8, amount: 1000, unit: "rows/s", input: "b"),
        .init(
            name: Benchmark.kerasPredictName, seconds: 1, cpuSeconds: 4, amount: 1000, unit: "rows/s", input: "a",
            referenceFor: "forward"),
        .init(
            name: Benchmark.jaxFisherName, seconds: 1, cpuSeconds: 2, amount: 500, unit: "rows/s", input: "a",
            referenceFor: "per-group Fisher"),
        .init(
            name: "onnxruntime forward (2 threads)", seconds: 1, cpuSeconds: 1, amount: 1000, unit: "rows/s",
            input: "c", referenceFor: "forward"),
    ]

    @Test("--json names each reference's fairaudit measurement and the ratios per CPU and wall second")
    func jsonCarriesReferencesAndRatios() throws {
        let text = Benchmark.json(Self.measurements).serialized(pretty: true)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
        #expect(rows.count == Self.measurements.count)
        // fairaudit's own measurements carry no reference fields.
        for row in rows.prefix(3) {
            #expect(row["reference_for"] == nil && row["ratio_cpu"] == nil && row["ratio_wall"] == nil)
        }
        // forward on a: 1000 rows per CPU s and 2000 per s; Keras: 250 per CPU s, 1000 per s.
        #expect(rows[3]["reference_for"] as? String == "forward")
        #expect(rows[3]["ratio_cpu"] as? Double == 4)
        #expect(rows[3]["ratio_wall"] as? Double == 2)
        // Fisher on a: 250 per CPU s and 500 per s; JAX: 250 per CPU s, 500 per s.
        #expect(rows[4]["reference_for"] as? String == "per-group Fisher")
        #expect(rows[4]["ratio_cpu"] as? Double == 1)
        #expect(rows[4]["ratio_wall"] as? Double == 1)
        // No fairaudit forward on input c: the reference is named, its ratios null.
        #expect(rows[5]["reference_for"] as? String == "forward")
        #expect(rows[5]["ratio_cpu"] is NSNull && rows[5]["ratio_wall"] is NSNull)
        let r = try #require(Benchmark.ratio(of: Self.measurements[3], in: Self.measurements))
        #expect(r.ours.input == "a" && r.ours.name == "forward")
    }
}
