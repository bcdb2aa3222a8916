import FairAudit
import Foundation

/// Everything one fix run needs.
public struct FixRequest: Sendable {
    /// The model file (never modified).
    public var model: URL
    /// The training rows (the validation split is carved from them).
    public var data: URL
    /// Which columns are label, groups, features.
    public var dataOptions: CSVDataOptions
    /// Method, rank, epochs, penalty, targets, seed.
    public var options: FixOptions
    /// Where the fixed model is written, in the model's own format.
    public var output: URL
    /// Held-out rows for the before/after comparison; nil: the validation split.
    public var eval: URL?
    /// Replace `output` when it exists.
    public var overwrite = false
    /// Predicted positive when score ≥ threshold, in the comparison.
    public var threshold = 0.5
    /// When no epoch meets every target, write the best trade-off anyway.
    public var writeBest = false
    /// Write the result even when it is worse than the input on validation.
    public var forceWrite = false
    /// The formats the model is read and written with.
    public var formats: FormatRegistry = Plugins.formats
    /// How the model file is read (the ONNX output that is the score, external data).
    public var readOptions = ReadOptions()
    /// Fills in the architecture when the file has none (config, inferred chain).
    public var architecture: @Sendable (inout ModelGraph) throws -> Void
    /// Fills in the architecture of the written file read back; nil: `architecture`.
    public var rereadArchitecture: (@Sendable (inout ModelGraph) throws -> Void)?

    /// Creates a request writing `output` from `model` fixed on `data`.
    public init(
        model: URL, data: URL, dataOptions: CSVDataOptions, options: FixOptions = FixOptions(), output: URL,
        architecture: @escaping @Sendable (inout ModelGraph) throws -> Void = { _ in }
    ) {
        self.model = model
        self.data = data
        self.dataOptions = dataOptions
        self.options = options
        self.output = output
        self.architecture = architecture
    }
}

/// What a fix run produced.
public struct FixOutcome: Sendable {
    /// The input model as read (architecture filled in).
    public var graph: ModelGraph
    /// The fine-tuning result: the fixed graph, every epoch, the chosen one, the outcome.
    public var result: FixResult
    /// Accuracy and every gap of the input and the fixed model on the held-out rows.
    public var comparison: FixComparison
    /// Where the fixed model was written (read back and verified first); nil when nothing was.
    public var written: URL?
}

/// Reads the model and rows, fine-tunes, writes the result back in the
/// model's own format (to a temporary file, read back and checked to predict
/// what the fixed model predicts, then renamed into place), and compares
/// the input and the fixed model on held-out rows.
///
/// The result is written when `FixResult.outcome.shouldWrite`; with targets,
/// also when `writeBest`; without targets, also when `forceWrite`.
public enum FixRunner {
    /// Runs `request`, telling `progress` what it is doing (one line per epoch).
    public static func run(
        _ request: FixRequest, progress: @escaping @Sendable (String) -> Void = { _ in }
    ) throws -> FixOutcome {
        let options = request.options
        try OutputGuard.check(request.output, input: request.model, force: request.overwrite)
        try options.validate()
        let modelName = request.model.relativePath
        let format = try request.formats.format(for: request.model)
        var graph = try format.read(request.model, options: request.readOptions)
        try request.architecture(&graph)
        let network = try ModelErrors.naming(modelName) {
            try Network(graph: Fixer.startingGraph(graph, options: options))
        }
        var csv = request.dataOptions
        csv.expectedFeatureCount = network.inputWidth
        let train = try DataLoading.load(from: request.data, options: csv, network: network)
        let evalData = try request.eval.map { try DataLoading.load(from: $0, options: csv, network: network) }

        progress("fix: \(options.method.rawValue) on \(train.rowCount) rows")
        let result = try Fixer.fix(graph: graph, data: train, options: options) { log in
            progress(
                "epoch \(log.epoch)/\(options.epochs): train loss \(Format.f(log.trainLoss, 4)), validation loss \(Format.f(log.validationLoss, 4)), \(Format.f(log.seconds, 2)) s"
            )
        }

        let write =
            result.outcome.shouldWrite || request.writeBest && !options.targets.isEmpty
            || request.forceWrite && options.targets.isEmpty
        let heldOut = evalData ?? train.subset(result.validationIndices)
        let fixedNetwork = try Network(graph: result.graph)
        if write { try self.write(result.graph, of: graph, format: format, request: request, checkedOn: heldOut) }
        let comparison = try FixComparison(
            before: network, after: fixedNetwork, data: heldOut, threshold: request.threshold,
            evalSource: request.eval?.relativePath ?? "validation split", result: result,
            options: options, output: write ? request.output.relativePath : nil)
        return FixOutcome(
            graph: graph, result: result, comparison: comparison, written: write ? request.output : nil)
    }

    /// Writes `fixed` to `request.output` in `format`, based on the input
    /// file; the temporary file is read back and must score the first 512
    /// rows of `rows` as `fixed` does before it is renamed into place.
    static func write(
        _ fixed: ModelGraph, of input: ModelGraph, format: any ModelFormat.Type, request: FixRequest,
        checkedOn rows: LabeledData
    ) throws {
        let out = request.output
        let expected = try Fixer.predictions(graph: fixed, data: rows, limit: 512)
        try AtomicFile.write(
            to: out, overwrite: request.overwrite,
            produce: { tmp in try format.write(fixed, to: tmp, basedOn: request.model) },
            verify: { tmp in
                var reread = try request.formats.read(tmp, options: request.readOptions)
                try KerasConfig.carryArchitecture(from: input, to: &reread)
                try (request.rereadArchitecture ?? request.architecture)(&reread)
                try Fixer.verifyPredictions(expected: expected, reread: reread, data: rows, path: out.path)
            })
    }
}
