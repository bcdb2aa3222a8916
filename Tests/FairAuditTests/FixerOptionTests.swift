import Foundation
import Testing

@testable import FairAudit

@Suite("Fixer options reach the result")
struct FixerOptionTests {
    static func kernel(_ options: FixOptions) throws -> [Float] {
        let r = try Fixer.fix(graph: FixerFixtures.adultModel(), data: FixerFixtures.adultSample(), options: options)
        return try r.graph.tensor(named: "dense/kernel").floatValues()
    }

    @Test("energy 0.8 picks the ranks numpy's SVD gives (25 and 16 of Σσ²)")
    func energyRanks() throws {
        var o = FixOptions()
        o.method = .lowrank
        o.energy = 0.8
        o.epochs = 1
        let r = try Fixer.fix(graph: FixerFixtures.adultModel(), data: FixerFixtures.adultSample(), options: o)
        // numpy.linalg.svd of the float64 kernels: cumulative shares cross 0.8 at 25 (dense) and 16 (dense_1).
        #expect(r.ranks == ["dense/kernel": 25, "dense_1/kernel": 16])
        #expect(r.trainableParameters == (80 + 64) * 25 + (64 + 32) * 16 + 64 + 32 + 32 + 1)
    }

    @Test("each variant trains different weights from the default")
    func variantsDiffer() throws {
        var base = FixOptions()
        base.epochs = 1
        let reference = try Self.kernel(base)
        var variants: [FixOptions] = []
        for change in 0..<6 {
            var o = base
            switch change {
            case 0: o.neutralize = .min
            case 1: o.neutralize = .none
            case 2: o.fisherKind = .model
            case 3: o.balance = true
            case 4: o.penalty = .eo
            default: o.method = .lowrank
            }
            variants.append(o)
        }
        for o in variants { #expect(try Self.kernel(o) != reference) }
    }

    @Test(
        "bad numbers are refused before any work",
        arguments: [
            { (o: inout FixOptions) in o.rank = 0 }, { $0.energy = 1.5 }, { $0.epochs = 0 }, { $0.batchSize = 0 },
            { $0.validationFraction = 1 }, { $0.lambda = -1 }, { $0.learningRate = .nan },
        ] as [@Sendable (inout FixOptions) -> Void])
    func refused(change: @Sendable (inout FixOptions) -> Void) throws {
        var o = FixOptions()
        change(&o)
        #expect(throws: FairAuditError.self) { try o.validate() }
    }
}

@Suite("Balanced loss weights")
struct FixerBalanceTests {
    @Test("each group carries N/G of the weight")
    func equalTotals() {
        // Groups 0,0,0,1 over rows 0…3 plus a row 4 outside the split.
        let w = Fixer.balanceWeights(rows: [0, 1, 2, 3], groups: [0, 0, 0, 1, 1])
        #expect(abs(w[0] + w[1] + w[2] - 2) < 1e-6)
        #expect(abs(w[3] - 2) < 1e-6)
        #expect(w[4] == 0)
    }
}
