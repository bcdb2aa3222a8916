import Foundation

extension Network {
    /// Writes every tensor whose values differ from `graph`'s back into it,
    /// in its original name, shape, dtype and orientation
    /// (`ModelGraph.replaceValues`); unchanged tensors keep their bytes.
    /// A factorized kernel is written as the product `A·B` (transposed back
    /// for an out×in kernel); the factors themselves are not graph tensors.
    public func write(into graph: inout ModelGraph) throws {
        let products = factorizedKernels()
        for (i, name) in parameterNames.enumerated() where !parameterRoles[i].isFactor {
            let v = products[i] ?? values[i]
            let current = try graph.tensor(named: name).floatValues()
            if current != v { try graph.replaceValues(of: name, with: v) }
        }
    }

    /// The product `A·B` of each factorized node, in its weight's stored
    /// layout, keyed by the weight's parameter index.
    func factorizedKernels() -> [Int: [Float]] {
        var out: [Int: [Float]] = [:]
        for node in nodes {
            if let f = node.op as? FactorizedOp {
                let p = params(of: node)
                for factor in f.factors { if let w = node.params[factor.role] { out[w] = f.weight(factor, p) } }
                continue
            }
            guard let f = node.op as? FactorizedDenseOp, let k = node.params[.kernel], let a = node.params[.factorA],
                let b = node.params[.factorB]
            else { continue }
            let nIn = values[a].count / f.rank
            let nOut = values[b].count / f.rank
            let w = LowRankFactors(rows: nIn, cols: nOut, rank: f.rank, a: values[a], b: values[b], singularValues: [])
                .product()
            out[k] = f.base.stored(w, shape: parameterShapes[k])
        }
        return out
    }

    /// Replaces node `i`'s weight of `role` (its ``MatrixWeightedOp`` matrix
    /// view, `rows × cols`; default the op's `matrixRole`) by trainable
    /// factors `A` (`rows × rank`) and `B` (`rank × cols`), wrapping the
    /// node's op: a dense layer in a ``FactorizedDenseOp``, any other in a
    /// ``FactorizedOp`` (a second projection of an attention layer joins the
    /// ``FactorizedOp`` already there). The factors are appended as tensors
    /// `<weight>#A`, `<weight>#B`; the weight stays, frozen, for
    /// ``write(into:)``. Does nothing unless the weight is a whole matrix of
    /// a matrix-weighted layer; the factors must have the sizes above.
    mutating func factorize(node i: Int, role: ParameterRole? = nil, a: [Float], b: [Float], rank: Int) {
        guard nodes.indices.contains(i), rank > 0 else { return }
        let wrapped = nodes[i].op as? FactorizedOp
        guard let op = wrapped?.base ?? nodes[i].op as? any MatrixWeightedOp, op.isFactorizable else { return }
        let role = role ?? op.matrixRole
        guard op.matrixRoles.contains(role), let k = nodes[i].params[role],
            !(wrapped?.factors.contains { $0.role == role } ?? false)
        else { return }
        let shape = parameterShapes[k]
        let (rows, cols) = op.matrixShape(shape, role: role)
        precondition(
            a.count == rows * rank && b.count == rank * cols,
            "factors of \(a.count) and \(b.count) values for a \(rows)×\(cols) weight at rank \(rank)")
        let name = parameterNames[k]
        func append(_ v: [Float], _ suffix: String, _ shape: [Int], _ role: ParameterRole) -> Int {
            parameterNames.append(name + suffix)
            parameterShapes.append(shape)
            values.append(v)
            parameterRoles.append(role)
            trainable.append(values.count - 1)
            return values.count - 1
        }
        let factor = FactorizedOp.Factor(role: role, rank: rank, shape: shape)
        nodes[i].params[factor.a] = append(a, "#A", [rows, rank], factor.a)
        nodes[i].params[factor.b] = append(b, "#B", [rank, cols], factor.b)
        trainable.removeAll { $0 == k }
        if let dense = op as? DenseOp {
            nodes[i].op = FactorizedDenseOp(base: dense, rank: rank)
        } else {
            nodes[i].op = FactorizedOp(base: op, factors: (wrapped?.factors ?? []) + [factor])
        }
    }
}
