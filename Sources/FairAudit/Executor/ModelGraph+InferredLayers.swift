import Foundation

extension ModelGraph {
    /// A layer chain inferred from tensor names and shapes, for state dicts
    /// that hold no architecture (`net.0.weight`, `net.0.bias`, `net.1.running_mean`, …).
    ///
    /// Tensors are grouped by the prefix before their last `.` (or `/`) and
    /// the prefixes ordered by their numeric parts (`net.2` before `net.10`).
    /// Metadata members (``Tensor/isMetadata``) and the names in `excluded`
    /// are left out. A 2-D `weight` is a dense kernel stored `out × in`
    /// (PyTorch), a 2-D `kernel` one stored `in × out` (Keras);
    /// `running_mean`/`running_var` (or `moving_*`) mark batch normalization,
    /// a lone 1-D `weight` layer normalization. `activations` go between dense
    /// blocks (after any normalization that follows a dense layer): one
    /// activation for every hidden layer, or one per hidden layer in order;
    /// `head` goes on the output.
    public func inferredLayers(
        activations: [Activation], head: HeadKind, excluding excluded: Set<String> = [],
        negativeSlope: Double = 0.2
    ) throws -> [Layer] {
        let (chain, hidden, hiddenDense) = try inferredChain(
            head: head, excluded: excluded, negativeSlope: negativeSlope)
        var layers = chain
        guard activations.count == 1 || activations.count == hidden.count else {
            let names = hiddenDense.map { "'\($0)'" }
            throw FairAuditError.unsupportedModel(
                reason:
                    "\(activations.count) activations were given for \(hidden.count) hidden dense layers (\(names.joined(separator: ", "))); give one for all or one per hidden layer"
            )
        }
        for (k, i) in hidden.enumerated() {
            layers[i].activation = activations.count == 1 ? activations[0] : activations[k]
        }
        return layers
    }

    /// ``inferredLayers(activations:head:excluding:negativeSlope:)`` with one
    /// activation for every hidden layer.
    public func inferredLayers(activation: Activation, head: HeadKind, negativeSlope: Double = 0.2) throws -> [Layer] {
        try inferredLayers(activations: [activation], head: head, negativeSlope: negativeSlope)
    }

    /// The chain with `.relu` placeholders between dense blocks, the indices
    /// of those placeholders, and the names of the hidden dense layers they follow.
    private func inferredChain(
        head: HeadKind, excluded: Set<String>,
        negativeSlope: Double
    ) throws -> ([Layer], [Int], [String]) {
        let activation = Activation.relu
        var groups: [String: [String: Tensor]] = [:]
        for t in weightTensors(excluding: excluded) {
            let (prefix, role) = ModelGraph.splitName(t.name)
            if role == "num_batches_tracked" { continue }
            groups[prefix, default: [:]][role] = t
        }
        let prefixes = groups.keys.sorted { ModelGraph.numericOrder($0, $1) }
        var layers = [Layer]()
        var width: Int?
        var lastName = ""
        var denseCount = 0
        var hidden: [Int] = []
        var hiddenDense: [String] = []
        var lastDense = ""
        func fail(_ reason: String) -> FairAuditError { .unsupportedModel(reason: reason) }
        for prefix in prefixes {
            let g = groups[prefix] ?? [:]
            func role(_ r: ParameterRole) -> Tensor? { g[r.torchName] ?? g[r.rawValue] }
            let mean = role(.movingMean)
            let variance = role(.movingVariance)
            let weight = role(.kernel) ?? g[ParameterRole.gamma.rawValue]
            let bias = role(.bias) ?? g[ParameterRole.beta.rawValue]
            if let mean, let variance {
                var w: [ParameterRole: String] = [.movingMean: mean.name, .movingVariance: variance.name]
                if let weight { w[.gamma] = weight.name }
                if let bias { w[.beta] = bias.name }
                let n = mean.elementCount
                if let width, width != n {
                    throw fail(
                        "tensors do not chain: '\(mean.name)' normalizes \(n) values but '\(lastName)' gives \(width)")
                }
                layers.append(
                    Layer(
                        name: prefix, kind: .batchNormalization, weights: w,
                        epsilon: g[ParameterRole.movingMean.torchName] != nil ? 1e-5 : 1e-3,
                        className: "BatchNormalization"))
                width = n
                lastName = mean.name
            } else if let weight, weight.shape.count == 2 {
                let layout: KernelLayout = g[ParameterRole.kernel.rawValue] != nil ? .inOut : .outIn
                let (nIn, nOut) =
                    layout == .inOut ? (weight.shape[0], weight.shape[1]) : (weight.shape[1], weight.shape[0])
                if let width, width != nIn {
                    throw fail(
                        "tensors do not chain: '\(weight.name)' (shape \(weight.shape)) takes \(nIn) inputs but '\(lastName)' gives \(width)"
                    )
                }
                if let bias, bias.elementCount != nOut {
                    throw fail(
                        "tensors do not chain: bias '\(bias.name)' has \(bias.elementCount) values for \(nOut) outputs")
                }
                if denseCount > 0 {
                    hidden.append(layers.count)
                    hiddenDense.append(lastDense)
                    layers.append(
                        Layer(
                            name: "\(prefix).activation", kind: .activation, activation: activation,
                            negativeSlope: negativeSlope, className: "Activation"))
                }
                var w: [ParameterRole: String] = [.kernel: weight.name]
                if let bias { w[.bias] = bias.name }
                layers.append(
                    Layer(name: prefix, kind: .dense, units: nOut, weights: w, kernelLayout: layout, className: "Dense")
                )
                denseCount += 1
                lastDense = prefix
                width = nOut
                lastName = weight.name
            } else if let weight, weight.shape.count == 1 {
                var w: [ParameterRole: String] = [.gamma: weight.name]
                if let bias { w[.beta] = bias.name }
                if let width, width != weight.elementCount {
                    throw fail(
                        "tensors do not chain: '\(weight.name)' normalizes \(weight.elementCount) values but '\(lastName)' gives \(width)"
                    )
                }
                layers.append(
                    Layer(
                        name: prefix, kind: .layerNormalization, weights: w, epsilon: 1e-5,
                        className: "LayerNormalization"))
                width = weight.elementCount
                lastName = weight.name
            } else {
                let names = g.values.map(\.name).sorted().joined(separator: ", ")
                throw fail(
                    "cannot tell which layer the tensors \(names) belong to (expected weight/bias or running statistics; leave a member that is not a weight out with --exclude)"
                )
            }
        }
        guard denseCount > 0 else { throw fail("no 2-D weight tensor found to build a dense chain from") }
        let headActivation: Activation = head == .sigmoid ? .sigmoid : head == .softmax ? .softmax : .linear
        if let last = layers.indices.last, layers[last].kind == .dense {
            layers[last].activation = headActivation
        } else {
            layers.append(Layer(name: "head", kind: .activation, activation: headActivation, className: "Activation"))
        }
        return (layers, hidden, hiddenDense)
    }

    /// `("net.0", "weight")` from `net.0.weight`; splits at the last `.`, else the last `/`.
    static func splitName(_ name: String) -> (String, String) {
        if let i = name.lastIndex(of: ".") ?? name.lastIndex(of: "/") {
            return (String(name[..<i]), String(name[name.index(after: i)...]))
        }
        return ("", name)
    }

    /// True when `a` sorts before `b` comparing digit runs as numbers.
    static func numericOrder(_ a: String, _ b: String) -> Bool {
        func parts(_ s: String) -> [(isNumber: Bool, text: String)] {
            var out = [(Bool, String)]()
            for c in s {
                let digit = c.isASCII && c.isNumber
                if let last = out.last, last.0 == digit {
                    out[out.count - 1].1.append(c)
                } else {
                    out.append((digit, String(c)))
                }
            }
            return out
        }
        let pa = parts(a)
        let pb = parts(b)
        for (x, y) in zip(pa, pb) where x.text != y.text {
            if x.isNumber && y.isNumber, let u = Int(x.text), let v = Int(y.text), u != v { return u < v }
            return x.text < y.text
        }
        return pa.count < pb.count
    }
}
