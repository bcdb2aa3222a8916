import Foundation

/// What a layer's forward pass keeps for its backward pass; buffers are
/// reused batch after batch. Each layer documents what it stores where.
struct LayerCache {
    /// Dense: the pre-activation `z`; normalization: the normalized `x̂`.
    var pre: [Float] = []
    /// Layer normalization: `1/√(var + ε)` per normalized vector.
    var stats: [Float] = []
    /// Factorized dense: the inner product `H = X A`; layer normalization:
    /// per-vector sums of a row; batch normalization: its per-element scale
    /// and shift.
    var hidden: [Float] = []
    /// Buffers a layer reuses within one call, batch after batch (one per
    /// node of a trace; a trace serves one thread).
    let scratch = LayerScratch()
    /// Normalization layers: where each element falls, worked out on the
    /// first batch (a value's per-sample shape never changes).
    var axisMap: AxisMap?

    /// The cached axis map for samples of `shape`, made by `make` the first time.
    mutating func axisMap(_ shape: [Int], _ make: ([Int]) -> AxisMap) -> AxisMap {
        if let m = axisMap, m.param.count == shape.reduce(1, *) { return m }
        let m = make(shape)
        axisMap = m
        return m
    }
}

/// Work buffers of one node, reused batch after batch so the Fisher and
/// forward passes allocate nothing once their sizes are reached. A class,
/// so a layer can use them from a cache it only reads.
final class LayerScratch {
    /// Dense: `δ = g ⊙ f′(z)`.
    var delta: [Float] = []
    /// Dense Fisher: `X∘X`, `Δ∘Δ` and the weighted rows gathered from them.
    var xSquared: [Float] = []
    var dSquared: [Float] = []
    var xRows: [Float] = []
    var dRows: [Float] = []
    /// Embedding Fisher: each table row's slot among a sample's distinct ids (−1: none), and back.
    var slotOf: [Int] = []
    var rowOf: [Int] = []
    /// Convolution: one chunk of patch rows (``Im2Col``); fed by an
    /// embedding, its table of row-by-tap products (``ConvOp/forward(ids:embedding:table:_:reluMax:output:cache:)``).
    /// Attention over embeddings: its tables of projected rows
    /// (``MultiHeadAttentionOp/forward(ids:embeddings:tables:_:output:cache:)``).
    var patches: [Float] = []
    /// Convolution: the batch with its padding written around each sample (``Im2Col/pad``).
    var padded: [Float] = []
    /// Convolution fed by an embedding: where each id's rows of the table start;
    /// attention over embeddings: each position's table row.
    var idOffsets: [Int] = []
    /// Batch normalization Fisher: the batch's normalized values `x̂`.
    var normalized: [Float] = []
    /// Gradients inside a layer (attention: at its projections' outputs), kept from `backwardInputs`.
    var inner: [[Float]] = []
    /// The output gradient of the last `backwardInputs`, whose `delta`/`inner` the Fisher
    /// accumulation that follows on the same gradient reuses (``reuses(_:)``).
    var freshGradient: [Float] = []
    var isFresh = false

    /// Keeps `gradient` as the one `delta`/`inner` now belong to.
    func markFresh(_ gradient: [Float]) {
        Buffers.copy(gradient, into: &freshGradient)
        isFresh = true
    }

    /// True when `delta`/`inner` were made from `gradient` by the last `backwardInputs`
    /// (which no accumulation has used yet); clears the mark.
    func reuses(_ gradient: [Float]) -> Bool {
        defer { isFresh = false }
        guard isFresh, freshGradient.count == gradient.count else { return false }
        return freshGradient.withUnsafeBytes { a in
            gradient.withUnsafeBytes { b in
                guard let pa = a.baseAddress, let pb = b.baseAddress else { return a.count == b.count }
                return memcmp(pa, pb, a.count) == 0
            }
        }
    }
}

/// One kind of layer of the graph executor.
///
/// Samples are float32 batches (``Batch``); parameters arrive by role in
/// their stored layout. The Fisher needs each parameter's *per-sample*
/// gradient `g_n = ∂ℓ_n/∂θ`: ``accumulateSquaredSampleGrads`` adds
/// `Σ_n w[n, c] g_n²` for every weight column `c` at once.
protocol LayerOp: Sendable {
    /// The Keras class name, for messages.
    var className: String { get }
    /// The parameter roles the layer reads; those it requires throw when missing.
    var roles: [ParameterRole] { get }

    /// The per-sample output shape from the per-sample input shapes and the
    /// parameters' stored shapes; throws naming what does not fit.
    func outputShape(_ inputs: [[Int]], params: [ParameterRole: [Int]]) throws -> [Int]

    /// Runs the layer on a batch, writing into `output` (reused) and `cache`.
    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache)

    /// The gradient with respect to each input (nil where `needInputs` is
    /// false or the input is integer ids) and, when `wantParams`, the
    /// gradient of each trainable role summed over the batch's rows.
    func backward(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        needInputs: Bool, wantParams: Bool
    ) -> (inputs: [Batch?], params: [ParameterRole: [Float]])

    /// The gradient with respect to each input written into `gradInputs[k]`
    /// (its storage reused; `gradInputs` holds one batch per input),
    /// `hasGradient[k]` false where there is none (integer ids): the
    /// allocation-free form of ``backward`` that the Fisher pass runs.
    func backwardInputs(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        into gradInputs: inout [Batch], hasGradient: inout [Bool])

    /// The per-sample gradients of `role`, `rows × count(role)`, each the
    /// sum over every position where the parameter is used.
    func sampleGradients(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        role: ParameterRole
    ) -> [Float]

    /// `out[k][c, i] += Σ_n w[n, c] (∂ℓ_n/∂θ_i)²` for each parameter
    /// `roles[k]` (`count` values) and every column `c` of `weights`;
    /// `out[k]` is `columns × count`.
    func accumulateSquaredSampleGrads(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        roles: [ParameterRole], weights: Membership, into out: [UnsafeMutablePointer<Double>])
}

extension LayerOp {
    /// Through ``backward``, copied into the reused batches.
    func backwardInputs(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        into gradInputs: inout [Batch], hasGradient: inout [Bool]
    ) {
        let (d, _) = backward(gradOut, inputs, p, cache: cache, needInputs: true, wantParams: false)
        for k in inputs.indices {
            if k < d.count, let g = d[k] {
                gradInputs[k].copy(from: g)
                hasGradient[k] = true
            } else {
                hasGradient[k] = false
            }
        }
    }

    /// The general path: per-sample gradients `S` (`rows × P`), squared, then
    /// one GEMM with the weights, `out += Wᵀ (S ∘ S)`; exact for any
    /// sharing of the parameter across positions.
    func accumulateSquaredSampleGrads(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        roles: [ParameterRole], weights: Membership, into out: [UnsafeMutablePointer<Double>]
    ) {
        for (k, role) in roles.enumerated() {
            let s = sampleGradients(gradOut, inputs, p, cache: cache, role: role)
            Self.addWeightedSquares(s, rows: gradOut.rows, weights: weights, into: out[k])
        }
    }

    /// `out += Wᵀ (S ∘ S)` for per-sample gradients `S` (`rows × P`): each
    /// square rounded to float32 once, then weighted and summed in double.
    static func addWeightedSquares(_ s: [Float], rows: Int, weights: Membership, into out: UnsafeMutablePointer<Double>)
    {
        guard rows > 0, !s.isEmpty else { return }
        let count = s.count / rows
        let sq = s.map { Double($0 * $0) }
        let w = weights.weights.map(Double.init)
        dgemm(
            transA: true, transB: false, m: weights.columns, n: count, k: rows, a: w, lda: weights.columns,
            b: sq, ldb: count, c: out, ldc: count)
    }

    /// The layer has no parameters: no per-sample gradients.
    func sampleGradients(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        role: ParameterRole
    ) -> [Float] { [] }
}

/// Why a layer cannot take the shapes it is given; the network adds the
/// layer's name and class.
struct ShapeError: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }

    /// Requires exactly `n` inputs.
    static func inputs(_ shapes: [[Int]], _ n: Int) throws {
        guard shapes.count == n else { throw ShapeError("takes \(n) input\(n == 1 ? "" : "s"), got \(shapes.count)") }
    }
}
