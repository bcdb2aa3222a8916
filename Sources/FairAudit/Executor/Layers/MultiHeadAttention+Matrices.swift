import Foundation

/// The four projections of ``MultiHeadAttentionOp`` as matrices for the
/// fixer (docs/method.md §4): `query`, `key` and `value` kernels, stored
/// `(d, heads, dim)`, are `d × (heads·dim)`; the `attention_output` kernel,
/// stored `(heads, dim, out)`, is `(heads·dim) × out`. Keras' layout is that
/// matrix in C order, so each view is a reshape and write-back keeps the
/// stored layout as it is.
extension MultiHeadAttentionOp: MatrixWeightedOp {
    var matrixRole: ParameterRole { .queryKernel }
    var matrixRoles: [ParameterRole] { [.queryKernel, .keyKernel, .valueKernel, .outputKernel] }

    /// The input-side axes of a role's stored kernel: one for the input
    /// projections, two (heads, dim) for the output's.
    static func inputAxes(_ role: ParameterRole) -> Int { role == .outputKernel ? 2 : 1 }

    func matrixShape(_ shape: [Int]) -> (rows: Int, cols: Int) { matrixShape(shape, role: matrixRole) }
    func matrix(_ stored: [Float], shape: [Int]) -> [Float] { stored }
    func stored(_ matrix: [Float], shape: [Int]) -> [Float] { matrix }

    func matrixShape(_ shape: [Int], role: ParameterRole) -> (rows: Int, cols: Int) {
        reshapedMatrixShape(shape, inputAxes: Self.inputAxes(role))
    }
    func matrix(_ stored: [Float], shape: [Int], role: ParameterRole) -> [Float] { stored }
    func stored(_ matrix: [Float], shape: [Int], role: ParameterRole) -> [Float] { matrix }
}
