import Foundation

/// How a model turns its last layer's output into class probabilities.
public enum HeadKind: String, Sendable, CaseIterable, Codable {
    /// One unit through a sigmoid: `p = σ(z)`.
    case sigmoid
    /// Units through a softmax: `p = softmax(z)`.
    case softmax
    /// Raw logits: one unit is read as `σ(z)`, two or more as `softmax(z)`.
    case linear
}

/// One step of the compiled network (identity layers are dropped).
enum NetworkOp: Sendable {
    /// `a = f(x W + b)`; `kernel`/`bias` index `Network.values`.
    case dense(kernel: Int, bias: Int?, inputs: Int, outputs: Int, layout: KernelLayout,
               activation: Activation, slope: Float)
    /// `a = f(x)` element-wise (softmax per row).
    case activation(Activation, slope: Float, width: Int)
    /// Inference batch norm `γ (x − μ) / √(σ² + ε) + β`.
    case batchNorm(gamma: Int?, beta: Int?, mean: Int, variance: Int, epsilon: Float, width: Int)
    /// Layer norm over each row: `γ (x − mean) / √(var + ε) + β`.
    case layerNorm(gamma: Int?, beta: Int?, epsilon: Float, width: Int)
    /// A dense layer trained through factors: `a = f((x A) B + b)`, `A`
    /// (`inputs × rank`) and `B` (`rank × outputs`) row-major in in×out
    /// orientation whatever `layout` the frozen original `kernel` has.
    case factorized(kernel: Int, a: Int, b: Int, rank: Int, bias: Int?, inputs: Int, outputs: Int,
                    layout: KernelLayout, activation: Activation, slope: Float)

    /// Width of the op's output.
    var outputWidth: Int {
        switch self {
        case .dense(_, _, _, let o, _, _, _), .factorized(_, _, _, _, _, _, let o, _, _, _): o
        case .activation(_, _, let w), .batchNorm(_, _, _, _, _, let w), .layerNorm(_, _, _, let w): w
        }
    }
}

/// A runnable model: the layers of a ``ModelGraph`` compiled to float32 ops
/// over its tensors, with the final probability activation split off as the head.
///
/// Every tensor is held as `[Float]` in its stored orientation and C order,
/// so ``write(into:)`` writes back values the original file's readers expect.
public struct Network: Sendable {
    /// Names of every tensor the network uses, in first-use order.
    public internal(set) var parameterNames: [String]
    /// The values of each tensor in `parameterNames`, stored orientation.
    var values: [[Float]]
    /// Shapes of each tensor as stored.
    public internal(set) var parameterShapes: [[Int]]
    /// Indices into `parameterNames` of the trainable tensors (kernels,
    /// biases, normalization γ and β; not moving statistics). The fixer
    /// freezes some and trains factors instead (``factorize(op:a:b:rank:)``).
    var trainable: [Int]
    /// The ops in execution order, head activation removed.
    var ops: [NetworkOp]
    /// Width of each input row.
    public let inputWidth: Int
    /// Number of logits the body produces (1, or the softmax width).
    public let outputWidth: Int
    /// The probability head applied to the logits.
    public let head: HeadKind

    /// Names of the trainable tensors, in order; gradients and Fisher use this order.
    public var trainableNames: [String] { trainable.map { parameterNames[$0] } }

    /// Stored shapes of the trainable tensors, in `trainableNames` order.
    public var trainableShapes: [[Int]] { trainable.map { parameterShapes[$0] } }

    /// Builds the network from `graph.layers`.
    public init(graph: ModelGraph) throws {
        guard let layers = graph.layers else {
            throw FairAuditError.unsupportedModel(reason: graph.architectureNote
                ?? "the file holds no architecture; infer a chain from the tensor names (activation and head) or give a config")
        }
        try self.init(graph: graph, layers: layers)
    }

    /// Builds the network from `layers` over the tensors of `graph`.
    public init(graph: ModelGraph, layers: [Layer]) throws {
        try self.init(graph: graph, layers: layers, multiclass: false)
    }

    /// Builds the network from `layers`; `multiclass` also accepts a softmax
    /// (or linear) output of more than two units, which the binary scores
    /// and the audit Fisher do not handle but the fixer's objective does.
    init(graph: ModelGraph, layers: [Layer], multiclass: Bool) throws {
        BLASThreads.single
        var builder = NetworkBuilder(graph: graph)
        for layer in layers { try builder.add(layer) }
        let (ops, head, width) = try builder.finish(inputWidthHint: graph.inputWidth, multiclass: multiclass)
        parameterNames = builder.names
        values = builder.values
        parameterShapes = builder.shapes
        trainable = builder.trainable
        self.ops = ops
        self.head = head
        inputWidth = width
        outputWidth = ops.last?.outputWidth ?? width
    }

    /// The values of tensor `name` (stored orientation, C order).
    public func parameter(_ name: String) throws -> [Float] {
        guard let i = parameterNames.firstIndex(of: name) else { throw FairAuditError.missingTensor(name: name) }
        return values[i]
    }

    /// Replaces the values of tensor `name`; the count must not change.
    public mutating func setParameter(_ name: String, _ newValues: [Float]) throws {
        guard let i = parameterNames.firstIndex(of: name) else { throw FairAuditError.missingTensor(name: name) }
        guard newValues.count == values[i].count else {
            throw FairAuditError.shapeMismatch(name: name, expected: parameterShapes[i], found: [newValues.count])
        }
        values[i] = newValues
    }

    /// The trainable tensors' values, in `trainableNames` order.
    public var trainableValues: [[Float]] {
        get { trainable.map { values[$0] } }
        set {
            for (k, i) in trainable.enumerated() where k < newValue.count && newValue[k].count == values[i].count {
                values[i] = newValue[k]
            }
        }
    }

    /// Writes every tensor whose values differ from `graph`'s back into it,
    /// in its original name, shape, dtype and orientation
    /// (`ModelGraph.replaceValues`); unchanged tensors keep their bytes.
    /// A factorized kernel is written as the product `A·B` (transposed back
    /// for an out×in kernel); the factors themselves are not graph tensors.
    public func write(into graph: inout ModelGraph) throws {
        let products = factorizedKernels()
        let factors = factorIndices
        for (i, name) in parameterNames.enumerated() where !factors.contains(i) {
            let v = products[i] ?? values[i]
            let current = try graph.tensor(named: name).floatValues()
            if current != v { try graph.replaceValues(of: name, with: v) }
        }
    }
}
