import FairAudit

/// The divergence between two groups' Fisher over one tensor or layer.
public struct UnitDivergence: Sendable, Equatable {
    /// The tensor's or layer's name.
    public var name: String
    /// Parameters in it.
    public var size: Int
    /// The tensors it covers (one for a tensor).
    public var tensors: [String]
    /// Total variation `½ Σ|P_g − P_h|` (NaN when a group's Fisher has no mass here).
    public var tv: Double
    /// Jensen–Shannon divergence in bits.
    public var js: Double
    /// Jaccard index of the two top-1% sets.
    public var top1Jaccard: Double
    /// Mean TV over the permutation rounds (nil without rounds).
    public var nullTVMean: Double?
    /// Share of permutation rounds whose TV ≥ the observed TV (nil without rounds).
    public var pValue: Double?
    /// `pValue < 0.05`.
    public var significant: Bool { (pValue ?? 1) < 0.05 }
}

/// One comparison: two groups, or one group against all the others.
public struct GroupComparison: Sendable, Equatable {
    /// `[g, h]` for a pair, `[g, "rest"]` against the rest.
    public var groups: [String]
    /// True for a group against the rest (the Fisher of all rows outside it).
    public var againstRest: Bool
    /// Per-tensor divergences, in model order.
    public var tensors: [UnitDivergence]
    /// Per-layer divergences (each layer's tensors end to end).
    public var layers: [UnitDivergence]
}

/// One of the most group-influential parameters: the largest spread
/// `max_g P_g[i] − min_g P_g[i]` of the normalized Fisher across the compared
/// groups (for two groups, `|P_g[i] − P_h[i]|`).
public struct InfluentialParameter: Sendable, Equatable {
    /// The tensor.
    public var tensor: String
    /// Flat (C-order) index in it.
    public var index: Int
    /// The same as a multi-index over the tensor's shape.
    public var multiIndex: [Int]
    /// The groups with the largest and the smallest `P_g[i]`.
    public var groups: [String]
    /// The spread.
    public var difference: Double
    /// Each compared group's normalized Fisher `P_g[i]`, in group order.
    public var fisher: [Double]
}

/// Everything the Fisher audit found.
public struct FisherReport: Sendable {
    /// The observed labels' Fisher or the model's own.
    public var kind: FisherKind
    /// Permutation rounds run.
    public var permutations: Int
    /// Seed of the permutations.
    public var seed: UInt64
    /// Groups with fewer rows were not compared.
    public var minGroupSize: Int
    /// Every group with its row count and whether it was compared.
    public var groups: [(name: String, count: Int, compared: Bool)]
    /// Every pair of compared groups, then (with more than two) each against the rest.
    public var comparisons: [GroupComparison]
    /// The top parameters by spread, largest first.
    public var influential: [InfluentialParameter]
    /// Where the raw Fisher was saved, if anywhere.
    public var savedTo: String?

    /// The comparisons of two groups.
    public var pairs: [GroupComparison] { comparisons.filter { !$0.againstRest } }
    /// The comparisons of one group against the rest.
    public var againstRest: [GroupComparison] { comparisons.filter(\.againstRest) }
}
