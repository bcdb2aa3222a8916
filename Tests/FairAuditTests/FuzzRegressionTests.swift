import Foundation
import Testing

@testable import FairAudit

/// Inputs found by `scripts/fuzz.sh KerasConfig` (fuzz/) that crashed the
/// Keras config parser; each must now give an architecture or a
/// `FairAuditError`, never a trap.
///
/// 1. `fuzz_keras_overflow.json`: an InputLayer whose `batch_shape` is
///    `[null, 2^32, 2^32]`: the declared width 2^64 overflowed `Int` (trap).
///    An absurd declared width is now no width at all, so the width comes
///    from the first kernel (4 rows here).
@Test func absurdDeclaredInputShapeIsIgnored() throws {
    let json = try String(contentsOf: Fixtures.url("fuzz_keras_overflow", "json"), encoding: .utf8)
    let arch = try KerasConfig.architecture(
        fromJSON: json, weights: ["dense": ["dense/kernel:0", "dense/bias:0"]],
        shapes: ["dense/kernel:0": [4, 2], "dense/bias:0": [2]])
    #expect(arch.inputWidth == 4)
    let layers = try #require(arch.layers)
    let dense = try #require(layers.first { $0.kind == .dense })
    #expect(dense.units == 2)
    #expect(dense.weights == [.kernel: "dense/kernel:0", .bias: "dense/bias:0"])
}
