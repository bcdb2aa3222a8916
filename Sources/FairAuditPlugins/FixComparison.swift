import AuditFairness
import FairAudit
import Foundation

/// The before/after table `fix` prints: accuracy and every fairness gap of
/// the pre-trained and the fixed model on the same held-out rows, with the
/// cost of the fix (trainable parameters, seconds per epoch, chosen epoch).
public struct FixComparison: Sendable {
    public var before: FairnessReport
    public var after: FairnessReport
    public var result: FixResult
    public var options: FixOptions
    public var evalSource: String
    public var output: String

    /// Scores `data` with both networks and measures both.
    public init(before: Network, after: Network, data: LabeledData, threshold: Double, evalSource: String,
                result: FixResult, options: FixOptions, output: String) throws {
        func report(_ net: Network) throws -> FairnessReport {
            let scores = try net.predictScores(features: data.features, rows: data.rowCount)
            return try FairnessReport(scores: scores, labels: data.labels, rowGroups: data.rowGroups,
                                      groupNames: data.groupNames, threshold: threshold)
        }
        self.before = try report(before)
        self.after = try report(after)
        self.result = result
        self.options = options
        self.evalSource = evalSource
        self.output = output
    }

    /// `(name, before, after)` for accuracy and every gap.
    public var rows: [(String, Double, Double)] {
        [("accuracy", before.overall.accuracy, after.overall.accuracy)]
            + zip(before.gapMetrics, after.gapMetrics).map { ($0.name, $0.value, $1.value) }
    }

    /// Mean seconds per training epoch.
    public var secondsPerEpoch: Double {
        result.epochs.isEmpty ? 0 : result.epochs.map(\.seconds).reduce(0, +) / Double(result.epochs.count)
    }

    /// The `--json` document.
    public var json: JSONValue {
        .object([
            ("output", .string(output)), ("method", .string(options.method.rawValue)),
            ("eval", .string(evalSource)), ("rows", .int(before.overall.count)),
            ("metrics", .object(rows.map { ($0.0, .object([("before", .finite($0.1)), ("after", .finite($0.2))])) })),
            ("trainable_parameters", .int(result.trainableParameters)),
            ("full_finetune_parameters", .int(result.fullFineTuneParameters)),
            ("ranks", .object(result.ranks.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
            ("seconds_per_epoch", .finite(secondsPerEpoch)),
            ("chosen_epoch", .int(result.chosenEpoch)),
            ("epochs", .array(result.epochs.map { e in
                .object([("epoch", .int(e.epoch)), ("train_loss", .finite(e.trainLoss)),
                         ("validation_loss", .finite(e.validationLoss)), ("seconds", .finite(e.seconds))])
            })),
            ("warnings", .array(result.warnings.map { .string($0) })),
        ])
    }

    /// The table for people.
    public var text: String {
        var t = TextTable(headers: ["metric", "before", "after", "change"], rightAligned: [1, 2, 3])
        for (name, b, a) in rows {
            t.add([name, Format.f(b, 4), Format.f(a, 4), (a - b >= 0 ? "+" : "") + Format.f(a - b, 4)])
        }
        let share = Double(result.trainableParameters) / Double(max(result.fullFineTuneParameters, 1))
        var out = "wrote \(output) (\(options.method.rawValue))\n\n"
        out += "on \(evalSource), \(before.overall.count) rows, threshold \(Format.g(before.threshold))\n"
        out += t.rendered() + "\n\n"
        out += "trainable parameters: \(result.trainableParameters) of \(result.fullFineTuneParameters) for full fine-tuning (\(Format.f(share * 100, 1))%)\n"
        out += "epochs: \(result.epochs.count), chosen epoch \(result.chosenEpoch) (lowest validation loss), \(Format.f(secondsPerEpoch, 3)) s per epoch\n"
        for w in result.warnings { out += "note: \(w)\n" }
        return out
    }
}
