import AuditFairness
import AuditFisher
import FairAudit
import Foundation

extension Benchmark {
    /// CSV parsing, forward, Fisher, metrics + bootstrap and fine-tuning on
    /// `rows` synthetic rows of 80 features, two groups, a random 80-64-32-1 MLP.
    static func syntheticModelPaths(rows: Int, dir: URL, record: (Measurement) -> Void) throws {
        let width = 80
        var rng = SystemRandomNumberGenerator()
        var features = [Float](repeating: 0, count: rows * width)
        var labels = [Float](repeating: 0, count: rows)
        var groups = [Int](repeating: 0, count: rows)
        for r in 0..<rows {
            for c in 0..<width { features[r * width + c] = Float.random(in: -2...2, using: &rng) }
            groups[r] = Int.random(in: 0...1, using: &rng)
            labels[r] = Float(features[r * width] + Float(groups[r]) * 0.5 > 0.3 ? 1 : 0)
        }
        let csvRows = min(rows, 50_000)
        let csv = dir.appendingPathComponent("bench_rows.csv")
        var text = (0..<width).map { "f\($0)" }.joined(separator: ",") + ",label,group\n"
        for r in 0..<csvRows {
            text += features[(r * width)..<(r * width + width)].map { String(format: "%.4f", $0) }.joined(
                separator: ",")
            text += ",\(Int(labels[r])),\(groups[r] == 0 ? "A" : "B")\n"
        }
        try Data(text.utf8).write(to: csv)
        defer { try? FileManager.default.removeItem(at: csv) }
        let tCSV = try time {
            _ = try LabeledData.load(from: csv, options: CSVDataOptions(label: "label", groups: ["group"]))
        }
        record(
            Measurement(
                name: "parse CSV (80 columns)", seconds: tCSV.wall, cpuSeconds: tCSV.cpu, amount: Double(csvRows),
                unit: "rows/s"))

        let data = LabeledData(
            source: "synthetic", featureNames: (0..<width).map { "f\($0)" }, features: features,
            labels: labels, groupColumns: ["group"], groupNames: ["A", "B"], rowGroups: groups)
        try modelPaths(
            model: try mlp(width: width, rng: &rng), data: data, input: "synthetic \(rows) rows",
            record: record)
    }

    /// The model paths on a real labeled file and model (e.g. adult_train and the Adult MLP),
    /// its rows first repeated or cut to `options.dataRows` when given. Beside fairaudit's
    /// numbers, on the same rows in a child Python: onnxruntime's forward pass for an ONNX
    /// model (`options.python`), Keras 3 `predict` and the JAX `vmap(grad)` per-group Fisher
    /// for a Keras model (`options.kerasPython`). `options.forwardOnly` stops after the forward pass.
    static func realModelPaths(
        data url: URL, model: URL, options: Options, dir: URL, record: (Measurement) -> Void
    ) throws {
        var loaded: LabeledData?
        let graph = try Plugins.formats.read(model)
        let net = try Network(graph: graph)
        let tCSV = try time { loaded = try DataLoading.load(from: url, options: options.dataColumns, network: net) }
        guard var data = loaded else { return }
        let kind = DataLoading.isZip(url) ? "read npz" : "parse CSV"
        record(
            Measurement(
                name: "\(kind) (\(data.featureCount) columns)", seconds: tCSV.wall, cpuSeconds: tCSV.cpu,
                amount: Double(data.rowCount), unit: "rows/s", input: url.path))
        var input = url.lastPathComponent + " + " + model.lastPathComponent
        if let rows = options.dataRows {
            data = tiledRows(data, rows: rows)
            input = "\(url.lastPathComponent) tiled to \(rows) rows + \(model.lastPathComponent)"
        }
        let repeats = max(options.repeats, 5)
        if graph.format == "onnx", let python = options.python,
            let m = referenceONNXForward(
                python: python, model: model, graph: graph, data: data, dir: dir, repeats: repeats, input: input)
        {
            record(m)
        }
        try modelPaths(
            model: graph, data: data, input: input, repeats: repeats, forwardOnly: options.forwardOnly, record: record)
        if isKerasModel(graph), let python = options.kerasPython {
            referenceKeras(
                python: python, model: model, data: data, inputNames: net.inputNames, inputShapes: net.inputShapes,
                options: options, dir: dir, input: input
            ).forEach(record)
        }
    }

    /// Forward, per-group Fisher, metrics + 200 bootstrap resamples and one
    /// fine-tuning epoch (the fastest of epochs 2–3, each method; the default
    /// 20% validation split held out) on `data`; only the forward pass when
    /// `forwardOnly`. The forward pass (best of `repeats` samples) and the
    /// Fisher (best of 5) are timed per run over samples of at least 0.2 s of
    /// CPU each (``perRun(_:minCPU:_:)``).
    static func modelPaths(
        model: ModelGraph, data: LabeledData, input: String, repeats: Int = 5, forwardOnly: Bool = false,
        record: (Measurement) -> Void
    ) throws {
        let rows = data.rowCount
        let net = try Network(graph: model)
        var scores: [Float] = []
        let tForward = try perRun(repeats) { scores = try net.predictScores(features: data.features, rows: rows) }
        record(
            Measurement(
                name: "forward", seconds: tForward.wall, cpuSeconds: tForward.cpu, amount: Double(rows), unit: "rows/s",
                input: input))
        if forwardOnly { return }
        let tFisher = try perRun(5) {
            _ = try net.groupFisher(
                features: data.features, labels: data.labels, rowGroups: data.rowGroups,
                groupNames: data.groupNames)
        }
        record(
            Measurement(
                name: "per-group Fisher", seconds: tFisher.wall, cpuSeconds: tFisher.cpu, amount: Double(rows),
                unit: "rows/s", input: input))
        // The Fisher audit with its permutation null against the same audit without: the rounds
        // reuse each batch's per-sample squared gradients (one more weight column each).
        var context = AuditContext(graph: model, data: data, scores: [], options: AuditOptions())
        context.options.audits[FisherAudit.self].permutations = 0
        let tAudit0 = try best(3) { _ = try FisherAudit().run(context) }
        context.options.audits[FisherAudit.self].permutations = 20
        let tAudit20 = try best(3) { _ = try FisherAudit().run(context) }
        record(
            Measurement(
                name: "Fisher audit, no permutation rounds", seconds: tAudit0.wall, cpuSeconds: tAudit0.cpu,
                amount: Double(rows), unit: "rows/s", input: input))
        record(
            Measurement(
                name: String(
                    format: "Fisher audit, 20 permutation rounds (%.2f× the audit without)",
                    tAudit20.cpu / max(tAudit0.cpu, 1e-9)),
                seconds: tAudit20.wall, cpuSeconds: tAudit20.cpu, amount: Double(rows), unit: "rows/s", input: input))
        let tMetrics = try best(1) {
            _ = try FairnessReport(
                scores: scores, labels: data.labels, rowGroups: data.rowGroups,
                groupNames: data.groupNames, resamples: 200)
        }
        record(
            Measurement(
                name: "fairness metrics + 200 bootstrap", seconds: tMetrics.wall, cpuSeconds: tMetrics.cpu,
                amount: Double(rows),
                unit: "rows/s", input: input))
        for method in [FixOptions.Method.neutralizedLowrank, .finetune] {
            var options = FixOptions()
            options.method = method
            options.epochs = 3
            // CPU per epoch: between consecutive progress calls (an epoch plus
            // its validation pass, so a slight overestimate), fastest of epochs 2–3.
            var epoch = Double.infinity
            var cpu = Double.infinity
            var lastCPU = Double.nan
            // A model the fixer cannot factorize (no dense layer wide enough) is timed without it.
            guard
                let result = try? Fixer.fix(
                    graph: model, data: data, options: options,
                    progress: { log in
                        let now = cpuNow()
                        if lastCPU.isFinite, log.seconds < epoch { cpu = now - lastCPU }
                        if lastCPU.isFinite { epoch = min(epoch, log.seconds) }
                        lastCPU = now
                    })
            else { continue }
            record(
                Measurement(
                    name: "fine-tuning epoch (\(method.rawValue))", seconds: epoch, cpuSeconds: cpu,
                    amount: Double(result.trainRows), unit: "rows/s", input: input))
        }
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
            tensors.append(
                Tensor(
                    name: "d\(i)/kernel", dtype: .float32, shape: [inputs, units],
                    storage: .bytes(Tensor.encode(k, dtype: .float32, byteOrder: .little))))
            tensors.append(
                Tensor(
                    name: "d\(i)/bias", dtype: .float32, shape: [units],
                    storage: .bytes(Tensor.encode(b, dtype: .float32, byteOrder: .little))))
            layers.append(
                Layer(
                    name: "d\(i)", kind: .dense, activation: act, units: units,
                    weights: [.kernel: "d\(i)/kernel", .bias: "d\(i)/bias"]))
            inputs = units
        }
        return ModelGraph(format: "npz", layout: .kerasWeights, tensors: tensors, layers: layers, inputWidth: width)
    }
}
