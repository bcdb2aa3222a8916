import AuditFairness
import FairAudit
import FormatHDF5
import FormatNPZ
import Foundation

/// Throughput of the hot paths, on synthetic inputs made in a temporary
/// folder: reading tensors (npz, HDF5), parsing CSV, the forward pass,
/// per-group Fisher, the fairness metrics with bootstrap, one fine-tuning epoch.
public enum Benchmark {
    /// One measured path.
    public struct Measurement: Sendable {
        public var name: String
        public var seconds: Double
        public var amount: Double
        public var unit: String
        /// `amount / seconds`.
        public var throughput: Double { amount / max(seconds, 1e-9) }
    }

    /// Runs every benchmark with `megabytes` of tensors and `rows` rows of
    /// 80 features, telling `report` each result as it comes.
    public static func run(megabytes: Int = 256, rows: Int = 100_000,
                           report: (Measurement) -> Void) throws -> [Measurement] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fairaudit-bench-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var out: [Measurement] = []
        func record(_ m: Measurement) { out.append(m); report(m) }

        // Tensors: 16 float32 tensors of megabytes/16 each.
        let perTensor = max(megabytes * (1 << 20) / 16 / 4, 1)
        var rng = SystemRandomNumberGenerator()
        let tensors = (0..<16).map { i in
            var values = [Float](repeating: 0, count: perTensor)
            for j in values.indices { values[j] = Float(j % 1000) / 1000 - Float(i) }
            return Tensor(name: "layer\(i).weight", dtype: .float32, shape: [perTensor],
                          storage: .bytes(values.withUnsafeBufferPointer { Data(buffer: $0) }))
        }
        let graph = ModelGraph(format: "npz", layout: "arrays", tensors: tensors)
        let bytes = Double(graph.byteCount) / 1e6
        for (format, ext) in [(NPZFormat.self as any ModelFormat.Type, "npz"), (HDF5Format.self, "h5")] {
            let url = dir.appendingPathComponent("tensors.\(ext)")
            try format.write(graph, to: url, basedOn: nil)
            let t = try time {
                let g = try format.read(url)
                for tensor in g.tensors { _ = try tensor.stats() }
            }
            record(Measurement(name: "read+stats \(ext)", seconds: t, amount: bytes, unit: "MB/s"))
            try? FileManager.default.removeItem(at: url)
        }

        // Labeled rows: 80 features, a label, a group.
        let width = 80
        let csv = dir.appendingPathComponent("rows.csv")
        var text = (0..<width).map { "f\($0)" }.joined(separator: ",") + ",label,group\n"
        var features = [Float](repeating: 0, count: rows * width)
        var labels = [Float](repeating: 0, count: rows), groups = [Int](repeating: 0, count: rows)
        for r in 0..<rows {
            for c in 0..<width { features[r * width + c] = Float.random(in: -2...2, using: &rng) }
            groups[r] = Int.random(in: 0...1, using: &rng)
            labels[r] = Float(features[r * width] + Float(groups[r]) * 0.5 > 0.3 ? 1 : 0)
            if r < 50_000 {
                text += features[(r * width)..<(r * width + width)].map { String(format: "%.4f", $0) }.joined(separator: ",")
                text += ",\(Int(labels[r])),\(groups[r] == 0 ? "A" : "B")\n"
            }
        }
        try Data(text.utf8).write(to: csv)
        let csvRows = Double(min(rows, 50_000))
        let tCSV = try time { _ = try LabeledData.load(from: csv, options: CSVDataOptions(label: "label", groups: ["group"])) }
        record(Measurement(name: "parse CSV (80 columns)", seconds: tCSV, amount: csvRows, unit: "rows/s"))

        let model = try mlp(width: width, rng: &rng)
        let net = try Network(graph: model)
        var scores: [Float] = []
        let tForward = try time { scores = try net.predictScores(features: features, rows: rows) }
        record(Measurement(name: "forward 80-64-32-1", seconds: tForward, amount: Double(rows), unit: "rows/s"))
        let tFisher = try time {
            _ = try net.groupFisher(features: features, labels: labels, rowGroups: groups, groupNames: ["A", "B"])
        }
        record(Measurement(name: "per-group Fisher", seconds: tFisher, amount: Double(rows), unit: "rows/s"))
        let tMetrics = try time {
            _ = try FairnessReport(scores: scores, labels: labels, rowGroups: groups, groupNames: ["A", "B"], resamples: 200)
        }
        record(Measurement(name: "fairness metrics + 200 bootstrap", seconds: tMetrics, amount: Double(rows), unit: "rows/s"))

        let data = LabeledData(source: "synthetic", featureNames: (0..<width).map { "f\($0)" }, features: features,
                               labels: labels, groupColumns: ["group"], groupNames: ["A", "B"], rowGroups: groups)
        for method in [FixOptions.Method.neutralizedLowrank, .finetune] {
            var options = FixOptions()
            options.method = method
            options.epochs = 1
            var epoch = 0.0
            _ = try Fixer.fix(graph: model, data: data, options: options) { epoch = $0.seconds }
            record(Measurement(name: "fine-tuning epoch (\(method.rawValue))", seconds: epoch,
                               amount: Double(rows) * (1 - options.validationFraction), unit: "rows/s"))
        }
        return out
    }

    /// A Keras-style 80-64-32-1 MLP with random weights.
    static func mlp(width: Int, rng: inout SystemRandomNumberGenerator) throws -> ModelGraph {
        var tensors: [Tensor] = []
        var layers: [Layer] = []
        var inputs = width
        for (i, (units, act)) in [(64, Activation.relu), (32, .relu), (1, .sigmoid)].enumerated() {
            let scale = Float(1 / Double(inputs).squareRoot())
            let k = (0..<(inputs * units)).map { _ in Double(Float.random(in: -scale...scale, using: &rng)) }
            let b = [Double](repeating: 0, count: units)
            tensors.append(Tensor(name: "d\(i)/kernel", dtype: .float32, shape: [inputs, units],
                                  storage: .bytes(Tensor.encode(k, dtype: .float32, byteOrder: .little))))
            tensors.append(Tensor(name: "d\(i)/bias", dtype: .float32, shape: [units],
                                  storage: .bytes(Tensor.encode(b, dtype: .float32, byteOrder: .little))))
            layers.append(Layer(name: "d\(i)", kind: .dense, activation: act, units: units,
                                weights: ["kernel": "d\(i)/kernel", "bias": "d\(i)/bias"]))
            inputs = units
        }
        return ModelGraph(format: "npz", layout: "keras-weights", tensors: tensors, layers: layers, inputWidth: width)
    }

    static func time(_ body: () throws -> Void) throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
