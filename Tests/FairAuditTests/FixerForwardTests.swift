import Foundation
import Testing

@testable import FairAudit

@Suite("Fixer forward pass")
struct FixerForwardTests {
    @Test("predictions equal Keras predict on adult_sample", arguments: [false, true])
    func matchesKeras(torch: Bool) throws {
        let data = try FixerFixtures.adultSample()
        let keras = try FixerFixtures.floats("adult_sample_scores")
        try #require(keras.count == data.rowCount)
        let ours = try Fixer.predictions(graph: FixerFixtures.adultModel(torch: torch), data: data)
        let worst = zip(ours, keras).map { abs($0 - $1) }.max() ?? 1
        #expect(worst < 2e-6)
    }

    @Test("verifyPredictions accepts the same model and names the row of a changed one")
    func verify() throws {
        let data = try FixerFixtures.adultSample()
        let model = try FixerFixtures.adultModel()
        try Fixer.verifyPredictions(expected: model, reread: FixerFixtures.adultModel(torch: true), data: data)
        var changed = model
        var bias = try changed.tensor(named: "head/bias").floatValues()
        bias[0] += 1e-3
        try changed.replaceValues(of: "head/bias", with: bias)
        #expect(throws: FairAuditError.self) {
            try Fixer.verifyPredictions(expected: model, reread: changed, data: data)
        }
    }
}
