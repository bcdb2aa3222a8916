import Foundation

extension Network {
    /// Writes every tensor whose values differ from `graph`'s back into it,
    /// in its original name, shape, dtype and orientation
    /// (`ModelGraph.replaceValues`); unchanged tensors keep their bytes.
    /// A factorized kernel is written as the product `A·B` (transposed back
    /// for an out×in kernel); the factors themselves are not graph tensors.
    public func write(into graph: inout ModelGraph) throws {
        let products = factorizedKernels()
        for (i, name) in parameterNames.enumerated() where parameterRoles[i] != .factorA && parameterRoles[i] != .factorB {
            let v = products[i] ?? values[i]
            let current = try graph.tensor(named: name).floatValues()
            if current != v { try graph.replaceValues(of: name, with: v) }
        }
    }

    /// The product `A·B` of each factorized node, in its kernel's stored
    /// orientation, keyed by the kernel's parameter index.
    func factorizedKernels() -> [Int: [Float]] {
        var out: [Int: [Float]] = [:]
        for node in nodes {
            guard let f = node.op as? FactorizedDenseOp, let k = node.params[.kernel], let a = node.params[.factorA],
                  let b = node.params[.factorB] else { continue }
            let nIn = values[a].count / f.rank, nOut = values[b].count / f.rank
            let w = LowRankFactors(rows: nIn, cols: nOut, rank: f.rank, a: values[a], b: values[b], singularValues: []).product()
            out[k] = f.base.layout == .outIn ? Buffers.transpose(w, rows: nIn, cols: nOut) : w
        }
        return out
    }

    /// Replaces dense node `i`'s kernel by trainable factors `A` (`in × rank`)
    /// and `B` (`rank × out`), both in×out, wrapping the node's op in a
    /// ``FactorizedDenseOp``. The factors are appended as tensors
    /// `<kernel>#A`, `<kernel>#B`; the kernel stays, frozen, for ``write(into:)``.
    /// Does nothing unless node `i` is a whole dense layer and the sizes fit.
    mutating func factorize(node i: Int, a: [Float], b: [Float], rank: Int) {
        guard nodes.indices.contains(i), rank > 0, let dense = nodes[i].op as? DenseOp, let k = nodes[i].params[.kernel] else { return }
        let (nIn, nOut) = dense.dims(parameterShapes[k])
        guard a.count == nIn * rank, b.count == rank * nOut else { return }
        let name = parameterNames[k]
        func append(_ v: [Float], _ suffix: String, _ shape: [Int], _ role: ParameterRole) -> Int {
            parameterNames.append(name + suffix); parameterShapes.append(shape); values.append(v); parameterRoles.append(role)
            trainable.append(values.count - 1)
            return values.count - 1
        }
        nodes[i].params[.factorA] = append(a, "#A", [nIn, rank], .factorA)
        nodes[i].params[.factorB] = append(b, "#B", [rank, nOut], .factorB)
        trainable.removeAll { $0 == k }
        nodes[i].op = FactorizedDenseOp(base: dense, rank: rank)
    }
}
