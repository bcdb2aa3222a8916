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

/// A runnable model: a DAG of layer nodes over the tensors of a
/// ``ModelGraph``, with the final probability activation split off as the head.
///
/// Values are numbered: the model inputs first, then one per node in
/// topological order. Every parameter tensor is held as `[Float]` in its
/// stored orientation and C order, keyed by role in each node, so
/// ``write(into:)`` writes back values the original file's readers expect.
public struct Network: Sendable {
    /// One layer of the graph: its op, the values it reads and its parameters by role.
    struct Node: Sendable {
        var name: String
        var op: any LayerOp
        /// Value ids of the inputs (model inputs are `0..<inputCount`).
        var inputs: [Int]
        /// Parameter index (into `values`) of each role the layer has.
        var params: [ParameterRole: Int]
    }

    /// The nodes in topological order; node `i` produces value `inputCount + i`.
    var nodes: [Node]
    /// Per-sample shape of each value (model inputs, then node outputs).
    var valueShapes: [[Int]]
    /// Names of the model inputs (Keras input layer names).
    public internal(set) var inputNames: [String]
    /// The value holding the logits.
    var outputValue: Int

    /// Names of every tensor the network uses, in first-use order.
    public internal(set) var parameterNames: [String]
    /// The values of each tensor in `parameterNames`, stored orientation.
    var values: [[Float]]
    /// Shapes of each tensor as stored.
    public internal(set) var parameterShapes: [[Int]]
    /// What each tensor is to its layer.
    public internal(set) var parameterRoles: [ParameterRole]
    /// Indices into `parameterNames` of the trainable tensors (kernels,
    /// biases, γ, β, embeddings; not running statistics). The fixer
    /// freezes some and trains factors instead.
    var trainable: [Int]
    /// Width of each input row: the sum of the model inputs' per-sample sizes.
    public internal(set) var inputWidth: Int
    /// Number of logits the body produces (1, or the softmax width).
    public internal(set) var outputWidth: Int
    /// The probability head applied to the logits.
    public internal(set) var head: HeadKind

    /// Number of model inputs.
    var inputCount: Int { inputNames.count }

    /// Per-sample shapes of the model inputs.
    public var inputShapes: [[Int]] { Array(valueShapes.prefix(inputCount)) }

    /// Names of the trainable tensors, in order; gradients and Fisher use this order.
    public var trainableNames: [String] { trainable.map { parameterNames[$0] } }

    /// Stored shapes of the trainable tensors, in `trainableNames` order.
    public var trainableShapes: [[Int]] { trainable.map { parameterShapes[$0] } }

    /// Builds the network from `graph.layers`.
    public init(graph: ModelGraph) throws {
        guard let layers = graph.layers else {
            throw FairAuditError.unsupportedModel(
                reason: graph.architectureNote
                    ?? "the file holds no architecture; infer a chain from the tensor names (activation and head) or give a config"
            )
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
        try builder.add(layers)
        self = try builder.finish(multiclass: multiclass)
    }

    /// A network from its parts (``NetworkBuilder/finish(multiclass:)``).
    init(
        nodes: [Node], valueShapes: [[Int]], inputNames: [String], outputValue: Int, parameterNames: [String],
        values: [[Float]], parameterShapes: [[Int]], parameterRoles: [ParameterRole], trainable: [Int],
        inputWidth: Int, outputWidth: Int, head: HeadKind
    ) {
        self.nodes = nodes
        self.valueShapes = valueShapes
        self.inputNames = inputNames
        self.outputValue = outputValue
        self.parameterNames = parameterNames
        self.values = values
        self.parameterShapes = parameterShapes
        self.parameterRoles = parameterRoles
        self.trainable = trainable
        self.inputWidth = inputWidth
        self.outputWidth = outputWidth
        self.head = head
    }

    /// The parameters node `i` reads, by role.
    func params(of node: Node) -> LayerParams {
        var p = LayerParams()
        for (role, index) in node.params { p.values[role] = values[index] }
        return p
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
}
