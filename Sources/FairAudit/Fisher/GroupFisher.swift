import Foundation

/// Which distribution the Fisher information's labels come from.
public enum FisherKind: String, Sendable, CaseIterable {
    /// The observed labels: `F[i] = (1/N) Σ_n (∂ℓ_n/∂θ_i)²`.
    case empirical
    /// The model's own predictive distribution:
    /// `F[i] = (1/N) Σ_n Σ_y p(y|x_n) (∂(−log p(y|x_n))/∂θ_i)²`.
    case model
}

/// The diagonal Fisher information of each group for every trainable tensor.
public struct GroupFisher: Sendable {
    /// The trainable tensors, in ``Network/trainableNames`` order.
    public var tensorNames: [String]
    /// The groups, in the data's order.
    public var groupNames: [String]
    /// Rows in each group, `N_g`.
    public var counts: [Int]
    /// `[group][tensor][element]`: `F_g = (1/N_g) Σ_{n∈g} (∂ℓ_n/∂θ)²`, each
    /// tensor in its stored orientation and C order (zeros for an empty group).
    public var values: [[[Float]]]

    /// Creates a result.
    public init(tensorNames: [String], groupNames: [String], counts: [Int], values: [[[Float]]]) {
        self.tensorNames = tensorNames
        self.groupNames = groupNames
        self.counts = counts
        self.values = values
    }

    /// The Fisher of `group` for tensor `name`, if both exist.
    public func values(group: String, tensor name: String) -> [Float]? {
        guard let g = groupNames.firstIndex(of: group), let t = tensorNames.firstIndex(of: name) else { return nil }
        return values[g][t]
    }
}
