import FairAudit

extension FisherAudit {
    /// Runs the audit on the model in `context.graph`: each group's diagonal
    /// Fisher from the core executor (`options.fisher` `"empirical"` or
    /// `"model"`) over the trainable tensors, for the data's groups and every
    /// permutation round in one pass over the rows
    /// (`Network.groupFisher(features:labels:assignments:…)`).
    public func run(_ context: AuditContext) throws -> AuditResult {
        let kind = try FisherKind(rawValue: context.options.fisher).orThrow(
            FisherError.invalidOption(name: "fisher", reason: "is '\(context.options.fisher)', expected 'empirical' or 'model'"))
        let network = try Network(graph: context.graph)
        let names = network.trainableNames
        let shapeOf = Dictionary(zip(network.parameterNames, network.parameterShapes), uniquingKeysWith: { a, _ in a })
        let shapes = names.map { shapeOf[$0] ?? [] }
        let data = context.data, o = context.options
        let rounds = max(o.permutations, 0)
        let assignments = [data.rowGroups] + (0..<rounds).map {
            FisherAnalysis.permutedRowGroups(data.rowGroups, round: $0, seed: o.seed)
        }
        if rounds > 0 { context.progress("fisher: the data's groups and \(rounds) permutation rounds in one pass") }
        let all = try network.groupFisher(features: data.features, labels: data.labels, assignments: assignments,
                                          groupNames: data.groupNames, kind: kind)
        var next = 0
        return try run(context, tensorNames: names, shapes: shapes) { rowGroups in
            // The analysis asks for the assignments in the order they were computed.
            if next < assignments.count, assignments[next] == rowGroups {
                next += 1
                return (all[next - 1].counts, all[next - 1].values)
            }
            let f = try network.groupFisher(features: data.features, labels: data.labels, rowGroups: rowGroups,
                                            groupNames: data.groupNames, kind: kind)
            return (f.counts, f.values)
        }
    }
}

extension Optional {
    /// The value, or `error` thrown.
    fileprivate func orThrow(_ error: @autoclosure () -> Error) throws -> Wrapped {
        guard let self else { throw error() }
        return self
    }
}
