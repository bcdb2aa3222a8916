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
    /// Where the model was written; nil when nothing was.
    public var output: String?

    /// Scores `data` with both networks and measures both.
    public init(
        before: Network, after: Network, data: LabeledData, threshold: Double, evalSource: String,
        result: FixResult, options: FixOptions, output: String?
    ) throws {
        func report(_ net: Network) throws -> FairnessReport {
            let scores = try net.predictScores(features: data.features, rows: data.rowCount)
            return try FairnessReport(
                scores: scores, labels: data.labels, rowGroups: data.rowGroups,
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

    /// The validation split's metrics before (the input model) and after (the
    /// written epoch), by the names of `rows`; nil without a split.
    public var validationRows: [(Double, Double)]? {
        guard let b = result.validationBefore,
            let a = result.epochs.first(where: { $0.epoch == result.chosenEpoch })?.validation
        else { return nil }
        return rows.map { (b.value(of: $0.0) ?? .nan, a.value(of: $0.0) ?? .nan) }
    }

    /// Why the chosen epoch was chosen.
    var choice: String {
        if result.targets.isEmpty { return "lowest validation loss" }
        switch result.outcome {
        case .targetsMet: return "most accurate on validation meeting every target"
        default: return "closest to the targets"
        }
    }

    /// `targets-met`, `targets-missed`, `not-worse` or `worse`.
    var outcomeName: String {
        switch result.outcome {
        case .notWorse: return "not-worse"
        case .targetsMet: return "targets-met"
        case .targetsMissed: return "targets-missed"
        case .worse: return "worse"
        }
    }

    /// Mean seconds per training epoch.
    public var secondsPerEpoch: Double {
        result.epochs.isEmpty ? 0 : result.epochs.map(\.seconds).reduce(0, +) / Double(result.epochs.count)
    }

    /// The `--json` document.
    public var json: JSONValue {
        .object([
            ("output", output.map { .string($0) } ?? .null), ("written", .bool(output != nil)),
            ("outcome", .string(outcomeName)), ("method", .string(options.method.rawValue)),
            (
                "targets",
                .array(
                    result.targets.map { t in
                        let v =
                            result.epochs.first { $0.epoch == result.chosenEpoch }?.validation.map { t.value(in: $0) }
                            ?? .nan
                        return .object([
                            ("key", .string(t.key)), ("limit", .finite(t.limit)), ("validation", .finite(v)),
                            ("met", .bool(t.isMet(by: v))),
                        ])
                    })
            ),
            (
                "validation",
                validationRows.map { v in
                    .object(
                        zip(rows, v).map {
                            ($0.0.0, .object([("before", .finite($0.1.0)), ("after", .finite($0.1.1))]))
                        })
                } ?? .null
            ),
            ("eval", .string(evalSource)), ("rows", .int(before.overall.count)),
            ("metrics", .object(rows.map { ($0.0, .object([("before", .finite($0.1)), ("after", .finite($0.2))])) })),
            ("trainable_parameters", .int(result.trainableParameters)),
            ("full_finetune_parameters", .int(result.fullFineTuneParameters)),
            ("ranks", .object(result.ranks.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
            ("seconds_per_epoch", .finite(secondsPerEpoch)),
            ("chosen_epoch", .int(result.chosenEpoch)),
            (
                "epochs",
                .array(
                    result.epochs.map { e in
                        .object([
                            ("epoch", .int(e.epoch)), ("train_loss", .finite(e.trainLoss)),
                            ("validation_loss", .finite(e.validationLoss)), ("seconds", .finite(e.seconds)),
                            ("validation_accuracy", .finite(e.validation?.accuracy ?? .nan)),
                            (
                                "validation_demographic_parity_difference",
                                .finite(e.validation?.gaps.demographicParityDifference ?? .nan)
                            ),
                            (
                                "validation_equalized_odds_difference",
                                .finite(e.validation?.gaps.equalizedOddsDifference ?? .nan)
                            ),
                        ])
                    })
            ),
            ("warnings", .array(result.warnings.map { .string($0) })),
        ])
    }

    /// The table for people.
    public var text: String {
        let validation = validationRows
        let showValidation = validation != nil && evalSource != "validation split"
        var headers = ["metric"]
        if showValidation { headers += ["validation before", "after"] }
        headers += ["\(evalSource == "validation split" ? "validation" : "eval") before", "after", "change"]
        var t = TextTable(headers: headers, rightAligned: Set(1..<headers.count))
        for (i, (name, b, a)) in rows.enumerated() {
            var cells = [name]
            if showValidation, let v = validation?[i] { cells += [Format.f(v.0, 4), Format.f(v.1, 4)] }
            cells += [Format.f(b, 4), Format.f(a, 4), (a - b >= 0 ? "+" : "") + Format.f(a - b, 4)]
            t.add(cells)
        }
        let share = Double(result.trainableParameters) / Double(max(result.fullFineTuneParameters, 1))
        var out =
            output.map { "wrote \($0) (\(options.method.rawValue))\n\n" }
            ?? "nothing written (\(options.method.rawValue))\n\n"
        out +=
            showValidation
            ? "validation split \(result.validationRows) rows; \(evalSource) \(before.overall.count) rows; "
                + "threshold \(Format.g(before.threshold))\n"
            : "on \(evalSource), \(before.overall.count) rows, threshold \(Format.g(before.threshold))\n"
        out += t.rendered() + "\n\n"
        if !result.targets.isEmpty {
            let v = result.epochs.first { $0.epoch == result.chosenEpoch }?.validation
            out += "targets on validation: \(Fixer.describeTargets(result.targets, in: v))\n"
        }
        if !result.ranks.isEmpty {
            out +=
                "ranks: "
                + result.ranks.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "\n"
        }
        out +=
            "trainable parameters: \(result.trainableParameters) of \(result.fullFineTuneParameters) for full "
            + "fine-tuning (\(Format.f(share * 100, 1))%)\n"
        out +=
            "epochs: \(result.epochs.count), chosen epoch \(result.chosenEpoch) (\(choice)), "
            + "\(Format.f(secondsPerEpoch, 3)) s per epoch\n"
        for w in result.warnings { out += "note: \(w)\n" }
        return out
    }
}
