import Foundation
import Testing

@testable import FairAudit

/// How the target constraints step their multipliers and move their aim
/// (docs/method.md §5, "Targets"): by the whole epoch's thresholded rates,
/// and by half the validation split's offset beyond a dead zone.
@Suite("Fix target aims")
struct FixTargetAimTests {
    /// One epoch of two batches on a demographic-parity target: group 0 has
    /// 10 of its 40 rows selected (rate 0.25), group 1 none of its 20.
    static func epoch(_ c: inout FixerConstraints) {
        for (n0, selected0, n1) in [(10, true, 10), (30, false, 10)] {
            let margins = [Double](repeating: selected0 ? 1 : -1, count: n0) + [Double](repeating: -1, count: n1)
            var d = [Double](repeating: 0, count: n0 + n1)
            _ = c.apply(
                margins: margins, labels: [Float](repeating: 0, count: n0 + n1),
                groups: [Int](repeating: 0, count: n0) + [Int](repeating: 1, count: n1), into: &d)
        }
        c.endEpoch()
    }

    static let target = FixTarget(kind: .max, metric: .demographicParityDifference, limit: 0.1)

    @Test("the multipliers step by the constraint on the whole epoch's thresholded rates, not the last batches'")
    func multiplierStepUsesEpochRates() {
        var c = FixerConstraints(targets: [Self.target], groups: [0, 1], threshold: 0.5, margin: 0.5)
        Self.epoch(&c)
        // Epoch rates 10/40 and 0/20 (the last batch alone: 0/30 and 0/10); μ = 3, ε' = 0.05.
        #expect(c.multipliers.count == 2)
        #expect(abs(c.multipliers[0] - 3 * (10.0 / 40 - 0.05)) < 1e-12, "\(c.multipliers)")
        #expect(c.multipliers[1] == 0)
        #expect(c.trainValues.map { $0 ?? .nan } == [0.25, -0.25])
    }

    @Test("the validation offset moves the aim by half of it beyond the dead zone, from the second epoch")
    func validationOffsetMovesTheAim() {
        var c = FixerConstraints(targets: [Self.target], groups: [0, 1], threshold: 0.5, margin: 0.5)
        // Validation: group 0 selects 2 of 4 rows (0.5), group 1 none of 4.
        let validation = FairnessSnapshot(
            scores: [0.9, 0.9, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], labels: [Float](repeating: 0, count: 8),
            rowGroups: [0, 0, 0, 0, 1, 1, 1, 1], groupCount: 2, threshold: 0.5, minGroupSize: 1)
        Self.epoch(&c)
        c.observeValidation(validation, epoch: 1)
        #expect(c.offsets == [0, 0], "the first epoch is not observed")
        #expect(c.epsilon(0) == 0.05 && c.epsilon(1) == 0.05)
        Self.epoch(&c)
        c.observeValidation(validation, epoch: 2)
        // o = (0.5 − 0) − (0.25 − 0) = 0.25 for (0, 1), −0.25 for (1, 0); dead zone m·ε/2 = 0.025.
        #expect(abs(c.offsets[0] - 0.25) < 1e-12 && abs(c.offsets[1] + 0.25) < 1e-12, "\(c.offsets)")
        #expect(abs(c.epsilon(0) - (0.05 - (0.125 - 0.025))) < 1e-12)
        #expect(abs(c.epsilon(1) - (0.05 + (0.125 - 0.025))) < 1e-12)
        // The next step is taken at the moved aim.
        let before = c.multipliers
        Self.epoch(&c)
        #expect(abs(c.multipliers[0] - (before[0] + 3 * (0.25 - c.epsilon(0)))) < 1e-12)
        #expect(c.multipliers[1] == max(0, before[1] + 3 * (-0.25 - c.epsilon(1))))
        // Offsets within twice the dead zone leave the aim where the margin put it.
        c.offsets = [0.04, -0.04]
        #expect(c.epsilon(0) == 0.05 && c.epsilon(1) == 0.05)
    }
}
