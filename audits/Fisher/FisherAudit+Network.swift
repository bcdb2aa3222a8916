import FairAudit

extension FisherAudit {
    /// Runs the audit on the model in `context.graph`: each group's diagonal
    /// Fisher from the core executor (`Network.groupFisher`, `options.fisher`
    /// `"empirical"` or `"model"`) over the trainable tensors, recomputed for
    /// every permutation round.
    public func run(_ context: AuditContext) throws -> AuditResult {
        let kind = try FisherKind(rawValue: context.options.fisher).orThrow(
            FisherError.invalidOption(name: "fisher", reason: "is '\(context.options.fisher)', expected 'empirical' or 'model'"))
        let network = try Network(graph: context.graph)
        let names = network.trainableNames
        let shapeOf = Dictionary(zip(network.parameterNames, network.parameterShapes), uniquingKeysWith: { a, _ in a })
        let shapes = names.map { shapeOf[$0] ?? [] }
        let data = context.data
        return try run(context, tensorNames: names, shapes: shapes) { rowGroups in
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
