import FairAudit

extension FisherAudit {
    /// Runs the audit on the model in `context.graph`: the Fisher partial of
    /// the data's rows (``partial(_:)``), merged as one part — the same
    /// computation `fairaudit merge` runs over the partials of shards.
    public func run(_ context: AuditContext) throws -> AuditResult {
        let o = context.options
        let f = try Self.options(o)
        context.progress(
            "fisher: \(f.kind.rawValue) Fisher of \(context.data.groupNames.count) groups over \(context.data.rowCount) rows"
                + (f.permutations > 0 ? ", the data's groups and \(f.permutations) permutation rounds in one pass" : "")
        )
        let part = try Self.partial(context)
        let merged = try FisherPartial.merged([part], order: context.data.groupNames)
        return try Self.result(merged, options: o, progress: context.progress)
    }

    /// A Fisher accumulator for `graph` with the audit's options and a null
    /// drawing with `options.nullCounts`, or else `observedCounts`; with the
    /// trainable tensors' names and shapes and the layer units.
    public static func accumulator(
        graph: ModelGraph, options o: AuditOptions, observedCounts: () -> [String: Int]
    )
        throws -> (FisherAccumulator, (FisherAccumulator) -> FisherPartial)
    {
        let f = try options(o)
        let network = try Network(graph: graph)
        let names = network.trainableNames
        let shapeOf = Dictionary(zip(network.parameterNames, network.parameterShapes), uniquingKeysWith: { a, _ in a })
        let shapes = names.map { shapeOf[$0] ?? [] }
        let units = FisherUnit.layers(names, layers: graph.layers)
        var null: FisherNull?
        var nullNames: [String] = []
        if f.permutations > 0 {
            let counts = o.nullCounts ?? observedCounts()
            guard counts.values.allSatisfy({ $0 >= 0 }), counts.values.contains(where: { $0 > 0 }) else {
                throw FisherError.invalidOption(
                    name: "null-counts", reason: "needs a positive row count for some group")
            }
            (null, nullNames) = FisherPartial.null(rounds: f.permutations, seed: o.seed, counts: counts)
        }
        let accumulator = FisherAccumulator(network: network, kind: f.kind, null: null)
        return (
            accumulator, { FisherPartial($0, tensorNames: names, shapes: shapes, units: units, nullNames: nullNames) }
        )
    }

    /// The Fisher partial of `context`'s rows, keyed by their row ids.
    public static func partial(_ context: AuditContext) throws -> FisherPartial {
        let data = context.data
        let (accumulator, finish) = try accumulator(graph: context.graph, options: context.options) {
            var counts: [String: Int] = [:]
            for g in data.rowGroups where g >= 0 && g < data.groupNames.count {
                counts[data.groupNames[g], default: 0] += 1
            }
            return counts
        }
        try accumulator.add(
            features: data.features, labels: data.labels, rowGroups: data.rowGroups,
            groupNames: data.groupNames, rowIDs: context.resolvedRowIDs)
        return finish(accumulator)
    }
}
