import Foundation

/// An `EinsumDense` equation of the form Keras writes for its projections:
/// the input's letters are free letters followed by the contracted ones,
/// the kernel's are the contracted letters followed by its own, and the
/// output is the input's free letters followed by the kernel's own
/// (`ab,bc->ac`, `abc,cd->abd`, `abc,cde->abde`, `abcd,cde->abe`,
/// `...b,bc->...c`). Such an equation is one matrix product
/// `(positions × K) · (K × N)`, `K` the contracted sizes' product and `N`
/// the kernel's own.
struct EinsumPlan: Sendable, Equatable {
    /// The input's free letters (the batch's included unless elided).
    var free: String
    /// The contracted letters, in order.
    var contracted: String
    /// The kernel's own letters, in output order.
    var kernelOwn: String
    /// The equation starts with `...` (leading axes left free).
    var elided: Bool

    /// Parses `equation`; nil when it is not of the supported form.
    init?(_ equation: String) {
        let text = equation.replacingOccurrences(of: " ", with: "")
        let sides = text.components(separatedBy: "->")
        guard sides.count == 2 else { return nil }
        let operands = sides[0].components(separatedBy: ",")
        guard operands.count == 2 else { return nil }
        var input = operands[0]
        var output = sides[1]
        let kernel = operands[1]
        elided = input.hasPrefix("...")
        guard elided == output.hasPrefix("...") else { return nil }
        if elided {
            input.removeFirst(3)
            output.removeFirst(3)
        }
        func letters(_ s: String) -> Bool { s.allSatisfy { $0.isASCII && $0.isLetter } && Set(s).count == s.count }
        guard letters(input), letters(kernel), letters(output) else { return nil }
        let shared = String(kernel.prefix { input.contains($0) })
        let own = String(kernel.dropFirst(shared.count))
        guard !shared.isEmpty, input.hasSuffix(shared), !own.contains(where: { input.contains($0) }) else { return nil }
        free = String(input.dropLast(shared.count))
        contracted = shared
        kernelOwn = own
        guard output == free + own, elided || !free.isEmpty else { return nil }
    }

    /// The per-sample input rank the equation takes (batch excluded), or nil when elided.
    var sampleRank: Int? { elided ? nil : free.count - 1 + contracted.count }
}
