import Foundation
import Testing

@testable import AuditFisher

/// The most group-influential parameters (docs/method.md §2).
@Suite struct InfluentialTests {
    /// Two groups over a used tensor `w` and a tensor `b` whose Fisher is at
    /// float round-off (`noise` × 1e-19): b's normalized shares differ far more
    /// between the groups than w's, yet they are noise.
    static func table(noise: Double) throws -> FisherByGroup {
        try FisherByGroup(
            tensorNames: ["w", "b"], shapes: [[4], [2]], groupNames: ["a", "b"], counts: [10, 10],
            means: [
                [[1.0, 2.0, 3.0, 4.0], [noise * 1e-19, 0]],
                [[1.3, 2.0, 2.8, 3.9], [0, noise * 1e-19]],
            ])
    }

    @Test("spreads are ranked largest first from each tensor's normalized Fisher")
    func ranking() throws {
        let found = FisherAnalysis.influentialParameters(try Self.table(noise: 0), groups: [0, 1], top: 3)
        // w: P_a = [.1, .2, .3, .4], P_b = [.13, .2, .28, .39] → spreads .03, 0, .02, .01.
        #expect(found.map(\.tensor) == ["w", "w", "w"])
        #expect(found.map(\.index) == [0, 2, 3])
        #expect(abs(found[0].difference - 0.03) < 1e-12)
        #expect(found[0].groups == ["b", "a"])
    }

    @Test("a tensor at round-off level is not listed", arguments: [1.0, 1e3])
    func roundOffSkipped(noise: Double) throws {
        let found = FisherAnalysis.influentialParameters(try Self.table(noise: noise), groups: [0, 1], top: 6)
        #expect(!found.isEmpty)
        #expect(found.allSatisfy { $0.tensor == "w" })
    }

    @Test("a small tensor above the floor is still listed")
    func smallButUsed() throws {
        // 1e-9 of the largest mean is far above round-off: b is a real, if weak, tensor.
        let found = FisherAnalysis.influentialParameters(try Self.table(noise: 1e10), groups: [0, 1], top: 2)
        #expect(found.first?.tensor == "b")
        #expect(abs((found.first?.difference ?? 0) - 1) < 1e-12)
    }
}
