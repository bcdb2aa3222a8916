import FairAudit
import FairAuditPlugins
import Foundation
import Testing

/// `FixRunner` fixes a model through the library alone — read, data, fit,
/// write back with verification, report — and the file it writes predicts
/// what its result reports: scores, accuracy and gaps recomputed here from
/// the file read back through the format registry and the rows parsed by the
/// test's own CSV reader.
@Suite struct FixRunnerTests {
    static func resource(_ name: String, _ ext: String) throws -> URL {
        try #require(
            Bundle.module.url(forResource: name, withExtension: ext)
                ?? Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Resources"))
    }

    static func request(to out: URL, options: FixOptions) throws -> FixRequest {
        FixRequest(
            model: try resource("adult_mlp", "h5"), data: try FixerFixtures.url("adult_sample", "csv"),
            dataOptions: CSVDataOptions(label: "income", groups: ["sex"], ignore: ["race"]), options: options,
            output: out)
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fixrunner-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Accuracy, demographic-parity and equalized-odds differences of `score ≥ 0.5`.
    static func metrics(_ scores: [Float], labels: [Float], groups: [Int]) -> (Double, Double, Double) {
        var cells = [[Double]](repeating: [0, 0, 0, 0], count: 2)  // tp, fp, positives, negatives
        var correct = 0.0
        for (i, s) in scores.enumerated() {
            let predicted = s >= 0.5
            let positive = labels[i] == 1
            if predicted == positive { correct += 1 }
            if predicted { cells[groups[i]][positive ? 0 : 1] += 1 }
            cells[groups[i]][positive ? 2 : 3] += 1
        }
        let selection = cells.map { ($0[0] + $0[1]) / ($0[2] + $0[3]) }
        let tpr = cells.map { $0[0] / $0[2] }
        let fpr = cells.map { $0[1] / $0[3] }
        let eo = max(abs(tpr[0] - tpr[1]), abs(fpr[0] - fpr[1]))
        return (correct / Double(scores.count), abs(selection[0] - selection[1]), eo)
    }

    @Test func fixesTheAdultMLPAndTheWrittenFilePredictsWhatTheResultReports() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("adult_mlp.fair.h5")
        var options = FixOptions()
        options.epochs = 3
        options.penalty = .eo
        var request = try Self.request(to: out, options: options)
        request.forceWrite = true
        let input = try Data(contentsOf: request.model)

        let outcome = try FixRunner.run(request)
        #expect(outcome.written == out)
        #expect(try Data(contentsOf: request.model) == input, "the input was modified")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == [out.lastPathComponent])

        // The written file, read back, on the validation rows the result reports on.
        let reread = try Plugins.formats.read(out)
        #expect(reread.format == outcome.graph.format && reread.layout == outcome.graph.layout)
        let sample = try FixerFixtures.adultSample()
        let rows = outcome.result.validationIndices
        #expect(rows.count == 400)
        let width = sample.featureCount
        let x = rows.flatMap { sample.features[($0 * width)..<(($0 + 1) * width)] }
        let labels = rows.map { sample.labels[$0] }
        let groups = rows.map { sample.rowGroups[$0] }
        let written = try Network(graph: reread).predictScores(features: x, rows: rows.count)
        let inMemory = try Network(graph: outcome.result.graph).predictScores(features: x, rows: rows.count)
        let original = try Network(graph: outcome.graph).predictScores(features: x, rows: rows.count)
        #expect(zip(written, inMemory).allSatisfy { abs($0 - $1) <= 1e-6 })
        #expect(zip(written, original).contains { abs($0 - $1) > 1e-4 }, "the fix changed nothing")

        // The comparison (held-out rows = the validation split) reports the written file's metrics.
        let (accuracy, dp, eo) = Self.metrics(written, labels: labels, groups: groups)
        let after = outcome.comparison.after
        #expect(abs(after.overall.accuracy - accuracy) < 1e-9)
        #expect(abs(after.gaps.demographicParityDifference - dp) < 1e-9)
        #expect(abs(after.gaps.equalizedOddsDifference - eo) < 1e-9)
        let (accuracyBefore, _, eoBefore) = Self.metrics(original, labels: labels, groups: groups)
        #expect(abs(outcome.comparison.before.overall.accuracy - accuracyBefore) < 1e-9)
        #expect(abs(outcome.comparison.before.gaps.equalizedOddsDifference - eoBefore) < 1e-9)
        // So does the chosen epoch's validation snapshot, computed while training (one row's worth of
        // tolerance: a score within float rounding of the threshold may fall either side).
        let chosen = try #require(outcome.result.epochs.first { $0.epoch == outcome.result.chosenEpoch })
        let snapshot = try #require(chosen.validation)
        #expect(abs(snapshot.accuracy - accuracy) <= 1.0 / Double(rows.count) + 1e-12)
    }

    @Test func writesNothingWhenATargetIsMissedAndWritesTheBestWhenAsked() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("missed.h5")
        var options = FixOptions()
        options.epochs = 1
        // Out of reach: Female and Male selection rates within 0.1 point on the 400 validation rows.
        options.targets = [try FixTarget.parse("max_demographic_parity_difference=0.001")]
        var request = try Self.request(to: out, options: options)

        let missed = try FixRunner.run(request)
        guard case .targetsMissed = missed.result.outcome else {
            Issue.record("expected the target to be missed, got \(missed.result.outcome)")
            return
        }
        #expect(missed.written == nil && missed.comparison.output == nil)
        #expect(!FileManager.default.fileExists(atPath: out.path))

        request.writeBest = true
        let best = try FixRunner.run(request)
        #expect(best.written == out && FileManager.default.fileExists(atPath: out.path))
        // Same seed, same rows: the same training, so the same chosen epoch.
        #expect(best.result.chosenEpoch == missed.result.chosenEpoch)
        // An existing output is refused without overwrite, before any work.
        #expect(throws: FairAuditError.self) { try FixRunner.run(request) }
    }
}
