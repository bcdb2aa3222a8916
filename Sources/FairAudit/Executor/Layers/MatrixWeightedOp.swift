import Foundation

/// A layer whose weight is one matrix up to a reshape or transpose, so the
/// fixer can factorize it (docs/method.md §4): the matrix view is
/// `rows × cols`, row-major, rows the inputs the weight reads (a dense
/// layer's input units, a convolution's `kh·kw·cin` patch entries, an
/// embedding's vocabulary) and columns what it writes.
///
/// A layer with several weight matrices (attention's four projections)
/// lists them in `matrixRoles` and answers the `role:` forms for each.
protocol MatrixWeightedOp: LayerOp {
    /// The role of the weight the matrix view holds (the first, when there are several).
    var matrixRole: ParameterRole { get }
    /// Every role whose weight is one matrix (default: `[matrixRole]`).
    var matrixRoles: [ParameterRole] { get }
    /// `(rows, cols)` of the matrix view of a weight stored with `shape`.
    func matrixShape(_ shape: [Int]) -> (rows: Int, cols: Int)
    /// The stored values as the `rows × cols` matrix.
    func matrix(_ stored: [Float], shape: [Int]) -> [Float]
    /// The matrix back in the stored layout.
    func stored(_ matrix: [Float], shape: [Int]) -> [Float]
    /// `(rows, cols)` of the matrix view of the weight of `role`.
    func matrixShape(_ shape: [Int], role: ParameterRole) -> (rows: Int, cols: Int)
    /// The stored values of `role` as its matrix.
    func matrix(_ stored: [Float], shape: [Int], role: ParameterRole) -> [Float]
    /// The matrix of `role` back in its stored layout.
    func stored(_ matrix: [Float], shape: [Int], role: ParameterRole) -> [Float]
    /// Whether the weight is one matrix (a grouped or depthwise convolution's is block-diagonal: not).
    var isFactorizable: Bool { get }
}

extension MatrixWeightedOp {
    var isFactorizable: Bool { true }
    var matrixRoles: [ParameterRole] { [matrixRole] }
    func matrixShape(_ shape: [Int], role: ParameterRole) -> (rows: Int, cols: Int) { matrixShape(shape) }
    func matrix(_ stored: [Float], shape: [Int], role: ParameterRole) -> [Float] { matrix(stored, shape: shape) }
    func stored(_ matrix: [Float], shape: [Int], role: ParameterRole) -> [Float] { stored(matrix, shape: shape) }

    /// A stored layout that is already the matrix in C order (Keras in×out
    /// kernels, HWIO convolution kernels, `(d, heads, dh)` projections,
    /// embedding tables): the view is a reshape.
    func reshapedMatrixShape(_ shape: [Int], inputAxes: Int) -> (rows: Int, cols: Int) {
        (shape.prefix(inputAxes).reduce(1, *), shape.dropFirst(inputAxes).reduce(1, *))
    }
}

extension DenseOp: MatrixWeightedOp {
    var matrixRole: ParameterRole { .kernel }
    func matrixShape(_ shape: [Int]) -> (rows: Int, cols: Int) {
        let (i, o) = dims(shape)
        return (i, o)
    }
    func matrix(_ stored: [Float], shape: [Int]) -> [Float] {
        let (nIn, nOut) = dims(shape)
        return layout == .outIn ? Buffers.transpose(stored, rows: nOut, cols: nIn) : stored
    }
    func stored(_ matrix: [Float], shape: [Int]) -> [Float] {
        let (nIn, nOut) = dims(shape)
        return layout == .outIn ? Buffers.transpose(matrix, rows: nIn, cols: nOut) : matrix
    }
}

extension EmbeddingOp: MatrixWeightedOp {
    var matrixRole: ParameterRole { .embeddings }
    func matrixShape(_ shape: [Int]) -> (rows: Int, cols: Int) { reshapedMatrixShape(shape, inputAxes: 1) }
    func matrix(_ stored: [Float], shape: [Int]) -> [Float] { stored }
    func stored(_ matrix: [Float], shape: [Int]) -> [Float] { matrix }
}

/// A convolution kernel as `(kh·kw·cin) × cout`: Keras' `(kh, kw, cin, out)`
/// is that matrix already; ONNX/PyTorch's `(out, cin, kh, kw)` is its
/// transpose (rows in `(cin, kh, kw)` order). Grouped and depthwise kernels
/// are not one matrix and are trained whole.
extension ConvOp: MatrixWeightedOp {
    var matrixRole: ParameterRole { .kernel }
    var isFactorizable: Bool { !depthwise && options.groups == 1 }
    func matrixShape(_ shape: [Int]) -> (rows: Int, cols: Int) {
        layout == .inOut
            ? reshapedMatrixShape(shape, inputAxes: shape.count - 1)
            : (shape.dropFirst().reduce(1, *), shape.first ?? 0)
    }
    func matrix(_ stored: [Float], shape: [Int]) -> [Float] {
        let (rows, cols) = matrixShape(shape)
        return layout == .outIn ? Buffers.transpose(stored, rows: cols, cols: rows) : stored
    }
    func stored(_ matrix: [Float], shape: [Int]) -> [Float] {
        let (rows, cols) = matrixShape(shape)
        return layout == .outIn ? Buffers.transpose(matrix, rows: rows, cols: cols) : matrix
    }
}
