import FairAudit
import Foundation

/// Everything one audit run needs.
public struct AuditRequest: Sendable {
    /// The model file.
    public var model: URL
    /// The labeled rows.
    public var data: URL
    /// Which columns are label, groups, features.
    public var dataOptions: CSVDataOptions
    /// Thresholds, resamples, seeds.
    public var options: AuditOptions
    /// The audits to run, in order.
    public var audits: [any Audit.Type]
    /// The formats the model file is read with.
    public var formats: FormatRegistry = Plugins.formats
    /// Fills in the architecture when the file has none (config, inferred chain).
    public var architecture: @Sendable (inout ModelGraph) throws -> Void
    /// The column holding each row's global id (integers, or any text, hashed);
    /// nil: rows are keyed by position plus `options.rowOffset`.
    public var rowIDColumn: String?
    /// How the model file is read (the ONNX output that is the score, external data).
    public var readOptions = ReadOptions()
    /// How a CSV is cut into blocks and chunks while it is read (tests put
    /// the cuts everywhere with tiny blocks; the results do not depend on it).
    public var readTuning = CSVReadTuning()
    /// Rows of an `.npz` read per chunk (tests use a few, to cut the arrays often).
    public var arrayChunkRows = 8192

    /// Creates a request running every registered audit.
    public init(
        model: URL, data: URL, dataOptions: CSVDataOptions, options: AuditOptions = AuditOptions(),
        audits: [any Audit.Type] = Plugins.audits,
        architecture: @escaping @Sendable (inout ModelGraph) throws -> Void = { _ in }
    ) {
        self.model = model
        self.data = data
        self.dataOptions = dataOptions
        self.options = options
        self.audits = audits
        self.architecture = architecture
    }
}

/// What an audit run produced.
public struct AuditOutcome: Sendable {
    public var graph: ModelGraph
    /// The rows read; without per-row arrays when every audit folded them as they were read.
    public var data: LabeledData
    /// Every row's score; empty when the rows were folded and not kept.
    public var scores: [Float]
    public var results: [AuditResult]
    public var seconds: Double
    /// Seconds per step: `read_model_s`, `read_data_s`, `predict_s`, then one
    /// per audit (`metrics_s` for fairness, `fisher_s`, …).
    public var timing: [(String, Double)]

    /// Every audit's metrics, in order.
    public var metrics: [AuditMetric] { results.flatMap(\.metrics) }
}

/// Reads the model and data, scores the rows and runs the audits.
public enum AuditRunner {
    /// Runs `request`, telling `progress` what it is doing.
    public static func run(
        _ request: AuditRequest, progress: @escaping @Sendable (String) -> Void = { _ in }
    ) throws -> AuditOutcome {
        let start = Date()
        let request = try checked(request)
        var timing: [(String, Double)] = []
        func timed<T>(_ key: String, _ body: () throws -> T) rethrows -> T {
            let t0 = Date()
            defer { timing.append((key, Date().timeIntervalSince(t0))) }
            return try body()
        }
        progress("reading \(request.model.lastPathComponent)")
        let (graph, network) = try timed("read_model_s") { () throws -> (ModelGraph, Network) in
            var graph = try request.formats.read(request.model, options: request.readOptions)
            try request.architecture(&graph)
            return (graph, try Network(graph: graph))
        }
        progress("reading \(request.data.lastPathComponent)")
        var dataOptions = request.dataOptions
        dataOptions.expectedFeatureCount = network.inputWidth
        if !DataLoading.isZip(request.data) {
            dataOptions = try DataLoading.csvOptions(dataOptions, network: network, source: request.data.path)
        }
        if canFold(request) {
            let (data, results) = try folded(
                request, options: dataOptions,
                graph: graph, network: network, timing: &timing, progress: progress)
            return AuditOutcome(
                graph: graph, data: data, scores: [], results: results,
                seconds: Date().timeIntervalSince(start), timing: timing)
        }
        let data: LabeledData
        let scores: [Float]
        let rowIDs: [UInt64]?
        if request.audits.contains(where: { $0.needsFeatures }) || DataLoading.isZip(request.data)
            || network.inputNames.count > 1
        {
            var loaded = try timed("read_data_s") {
                try DataLoading.load(
                    from: request.data, options: withRowIDColumn(request, dataOptions), network: network)
            }
            rowIDs = takeRowIDs(request, from: &loaded)
            data = loaded
            try data.requireTwoGroups(for: "a fairness audit")
            progress("scoring \(data.rowCount) rows")
            scores = try timed("predict_s") {
                try network.shardInvariantScores(features: data.features, rows: data.rowCount)
            }
        } else {
            (data, scores, rowIDs) = try streamed(request, options: dataOptions, network: network, timing: &timing)
            try data.requireTwoGroups(for: "a fairness audit")
        }
        var context = AuditContext(
            graph: graph, data: data, scores: scores, options: request.options, progress: progress)
        context.rowIDs = rowIDs
        var results: [AuditResult] = []
        for audit in request.audits {
            progress("\(audit.name) audit")
            results.append(try timed(audit.timingKey) { try audit.init().run(context) })
        }
        return AuditOutcome(
            graph: graph, data: data, scores: scores, results: results,
            seconds: Date().timeIntervalSince(start), timing: timing)
    }

    /// `request` with its formats as the ones audits write with, after each
    /// audit has read its options (a bad one is refused before any reading).
    static func checked(_ request: AuditRequest) throws -> AuditRequest {
        try request.options.audits.check(request.audits)
        var r = request
        r.options.formats = request.formats
        return r
    }

    /// Reads and scores the rows block by block, keeping each row's score,
    /// label and group but not its features (``LabeledData/streamCSV(from:options:tuning:consume:)``).
    static func streamed(
        _ request: AuditRequest, options: CSVDataOptions, network: Network,
        timing: inout [(String, Double)]
    ) throws -> (LabeledData, [Float], [UInt64]?) {
        var scores: [Float] = []
        var scoring = 0.0
        let t0 = Date()
        var data = try LabeledData.streamCSV(from: request.data, options: withRowIDColumn(request, options)) {
            features, rows, expected in
            let t = Date()
            if scores.isEmpty, let expected { scores.reserveCapacity(expected) }
            scores += try network.shardInvariantScores(features: Array(features), rows: rows)
            scoring += Date().timeIntervalSince(t)
        }.data
        timing.append(("read_data_s", Date().timeIntervalSince(t0) - scoring))
        timing.append(("predict_s", scoring))
        let ids = takeRowIDs(request, from: &data)
        return (data, scores, ids)
    }

    /// The group columns of an earlier `--json` output (`group_columns`),
    /// nil when it does not say.
    public static func baselineGroupColumns(_ url: URL) throws -> [String]? {
        guard let bytes = FileManager.default.contents(atPath: url.path) else {
            throw FairAuditError.unreadableFile(path: url.path, reason: "cannot read the baseline")
        }
        guard let doc = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any] else {
            throw FairAuditError.invalidInput(
                path: url.path, reason: "is not a fairaudit audit --json output (not a JSON object)")
        }
        return (doc["group_columns"] as? [Any])?.compactMap { $0 as? String }
    }

    /// The flat `metric → value` map of an earlier `--json` output, for `--baseline`.
    public static func baselineMetrics(_ url: URL) throws -> [String: Double] {
        guard let bytes = FileManager.default.contents(atPath: url.path) else {
            throw FairAuditError.unreadableFile(path: url.path, reason: "cannot read the baseline")
        }
        guard let doc = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any],
            let metrics = doc["metrics"] as? [String: Any]
        else {
            throw FairAuditError.invalidInput(
                path: url.path, reason: "is not a fairaudit audit --json output (no \"metrics\" object)")
        }
        var out: [String: Double] = [:]
        for (k, v) in metrics {
            if let x = v as? Double {
                out[k] = x
            } else if let obj = v as? [String: Any], let x = obj["value"] as? Double {
                out[k] = x
            }
        }
        return out
    }
}
