import FairAudit
import Foundation

/// An ONNX graph mapped onto fairaudit's layers: the nodes on the path from
/// the graph inputs to the chosen output, in topological order, each one
/// layer (or folded into the layer before it: a bias `Add` into its
/// `MatMul`, an activation into its dense layer).
///
/// Only the nodes the output depends on are looked at, so a classifier's
/// label branch (`ArgMax`, `ZipMap`, `ArrayFeatureExtractor`) does not stand
/// in the way. Anything on the path outside the ops of ``map(_:)`` is
/// refused naming the op, the node and the opset.
struct ONNXMapper {
    /// A computed value: the layer that produces it, its rank (batch axis
    /// included) and whether it holds integers (ids).
    struct Value {
        var layer: String
        var rank: Int
        var integer: Bool
    }

    let file: String
    let opset: Int
    /// Initializers and `Constant` node outputs by value name.
    var constants: [String: Tensor] = [:]
    /// Names of the initializers (graph tensors a layer may hold as parameters).
    var initializers = Set<String>()
    var values: [String: Value] = [:]
    /// The layers in topological order; model inputs first.
    var layers: [Layer] = []
    var layerIndex: [String: Int] = [:]
    /// How many consumers on the path read each value name (a graph output counts one).
    var uses: [String: Int] = [:]
    /// How many consumers read each layer's output, through every alias.
    var layerUses: [String: Int] = [:]
    var usedNames = Set<String>()

    /// Maps the path to `output` (default: the graph's first output).
    init(model: Onnx_ModelProto, file: String, initializers: [Tensor], output: String?) throws {
        self.file = file
        let g = model.graph
        opset = Int(model.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }?.version ?? 0)
        for t in initializers where constants[t.name] == nil {
            constants[t.name] = t
            self.initializers.insert(t.name)
        }
        for n in g.node where n.opType == "Constant" && n.domain.isEmpty {
            if let out = n.output.first, let t = try Self.constantValue(n, file: file) { constants[out] = t }
        }
        guard let first = output ?? g.output.first?.name else {
            throw ONNXError.badGraph(file: file, reason: "it has no output")
        }
        guard g.output.contains(where: { $0.name == first }) else {
            throw ONNXError.badGraph(
                file: file,
                reason: "it has no output '\(first)' (outputs: \(g.output.map(\.name).joined(separator: ", ")))")
        }
        let walk = try ONNXGraphWalk(graph: g, target: first, constants: constants, file: file)
        uses = walk.uses
        for input in walk.inputs { try addInput(g.input[input]) }
        for i in walk.order {
            let node = ONNXNode(proto: g.node[i], name: unique(Self.name(g.node[i], i)), file: file, opset: opset)
            try check(node)
            try map(node)
        }
        guard let out = values[walk.target], let at = layerIndex[out.layer], layers[at].kind != .input else {
            throw ONNXError.badGraph(file: file, reason: "no layer lies between the inputs and the output '\(first)'")
        }
        if at != layers.count - 1 { layers.append(layers.remove(at: at)) }
    }

    /// The layers as the builder takes them: a chain (no inbound names, the
    /// input layer only when its shape is not a plain feature vector) when
    /// each layer reads the one before, else the functional graph.
    var result: (layers: [Layer], inputWidth: Int?) {
        let inputs = layers.filter { $0.kind == .input }
        let inputWidth = inputs.count == 1 ? inputs[0].shape?.reduce(1, *) : nil
        var chain = inputs.count == 1 && layers.first?.kind == .input
        for k in layers.indices.dropFirst() where layers[k].inbound != [layers[k - 1].name] { chain = false }
        guard chain else { return (layers, nil) }
        var out = layers.map { l -> Layer in
            var l = l
            l.inbound = nil
            return l
        }
        if let input = out.first, input.shape?.count == 1, !input.integerInput { out.removeFirst() }
        return (out, inputWidth)
    }

    /// Refuses a node outside the default domain, before opset 13, or whose
    /// second and later outputs (a `Dropout` mask, `BatchNormalization`'s
    /// running statistics) are read.
    func check(_ node: ONNXNode) throws {
        guard node.proto.domain.isEmpty || node.proto.domain == "ai.onnx" else {
            throw node.refuse("the domain '\(node.proto.domain)' is not the default ONNX domain")
        }
        guard opset >= 13 else { throw node.refuse("opsets before 13 are not read (re-export with opset 13 or later)") }
        for o in node.proto.output.dropFirst() where (uses[o] ?? 0) > 0 {
            throw node.refuse("its output '\(o)' is read, and only a node's first output is run")
        }
    }

    /// A model input on the path: one input layer with its per-sample shape.
    mutating func addInput(_ v: Onnx_ValueInfoProto) throws {
        guard case .tensorType(let type)? = v.type.value, type.hasShape else {
            throw ONNXError.badGraph(file: file, reason: "input '\(v.name)' has no tensor shape")
        }
        let dims = type.shape.dim
        guard dims.count >= 1 else {
            throw ONNXError.badGraph(file: file, reason: "input '\(v.name)' has no batch axis")
        }
        var shape: [Int] = []
        for (k, d) in dims.enumerated().dropFirst() {
            guard case .dimValue(let n)? = d.value, n > 0, n <= Int64(Int32.max) else {
                throw ONNXError.badGraph(
                    file: file,
                    reason: "input '\(v.name)' has no fixed size on axis \(k) (only the batch axis may vary)")
            }
            shape.append(Int(n))
        }
        let integer = [2, 3, 4, 5, 6, 7, 9, 12, 13].contains(type.elemType)
        guard integer || [1, 10, 11, 16].contains(type.elemType) else {
            throw ONNXError.badGraph(
                file: file,
                reason: "input '\(v.name)' has element type \(type.elemType), neither a float nor an integer")
        }
        var layer = Layer(name: unique(v.name), kind: .input, className: "Input")
        layer.shape = shape
        layer.integerInput = integer
        append(layer, output: v.name, rank: dims.count, integer: integer)
    }

    /// A name not yet taken by a layer.
    mutating func unique(_ base: String) -> String {
        var name = base
        var k = 1
        while usedNames.contains(name) {
            name = "\(base)_\(k)"
            k += 1
        }
        usedNames.insert(name)
        return name
    }

    /// Appends `layer`, producing value `output`.
    mutating func append(_ layer: Layer, output: String, rank: Int, integer: Bool = false) {
        layerIndex[layer.name] = layers.count
        layers.append(layer)
        values[output] = Value(layer: layer.name, rank: rank, integer: integer)
        layerUses[layer.name] = uses[output] ?? 0
    }

    /// `output` is `v` again (Identity, Dropout, a Cast that changes no value, a folded node).
    mutating func alias(_ output: String, to v: Value, integer: Bool? = nil) {
        var v = v
        if let integer { v.integer = integer }
        values[output] = v
        layerUses[v.layer, default: 0] += (uses[output] ?? 0) - 1
    }

    /// A node's name, or `op_index` when it has none.
    static func name(_ node: Onnx_NodeProto, _ i: Int) -> String {
        node.name.isEmpty ? "\(node.opType)_\(i)" : node.name
    }

    /// The tensor a `Constant` node holds (`value`, `value_float(s)`, `value_int(s)`), nil for other kinds.
    static func constantValue(_ n: Onnx_NodeProto, file: String) throws -> Tensor? {
        guard let a = n.attribute.first, let out = n.output.first else { return nil }
        func make(_ dtype: DType, _ shape: [Int], _ v: [Double]) -> Tensor {
            Tensor(
                name: out, dtype: dtype, shape: shape, byteOrder: .little,
                storage: .bytes(Tensor.encode(v, dtype: dtype, byteOrder: .little)), origin: out)
        }
        switch a.name {
        case "value":
            var t = try ONNXTensor.tensor(from: a.t, file: file)
            t.name = out
            t.origin = out
            return t
        case "value_float": return make(.float32, [], [Double(a.f)])
        case "value_floats": return make(.float32, [a.floats.count], a.floats.map(Double.init))
        case "value_int": return make(.int64, [], [Double(a.i)])
        case "value_ints": return make(.int64, [a.ints.count], a.ints.map(Double.init))
        default: return nil
        }
    }
}
