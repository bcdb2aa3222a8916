extension FixerConstraints {
    /// Folds the validation split's thresholded rates after epoch `epoch` (the
    /// averaged model's, as the epoch is judged) into each pair's offset
    /// `o_c = mean over epochs ≥ 2 of (c on validation − c on the epoch's
    /// training rates)`, which moves the pair's aim (`epsilon(_:)`). The first
    /// epoch is left out: the model moves most within it, so its epoch rates
    /// and its end-of-epoch validation rates describe different models.
    mutating func observeValidation(_ snapshot: FairnessSnapshot, epoch: Int) {
        guard epoch >= 2, !pairs.isEmpty else { return }
        offsetEpochs += 1
        for (i, c) in pairs.enumerated() {
            guard let train = trainValues[i], let rx = Self.rate(snapshot, group: c.x, stratum: c.stratum),
                let ry = Self.rate(snapshot, group: c.y, stratum: c.stratum)
            else { continue }
            offsetSums[i] += (c.p * rx - c.q * ry) - train
            offsets[i] = offsetSums[i] / Double(offsetEpochs)
        }
    }

    /// Group `group`'s thresholded rate in `stratum` (nil: selection rate over
    /// all rows; 1: TPR; 0: FPR); nil when the group has no such row.
    static func rate(_ s: FairnessSnapshot, group: Int, stratum: Int?) -> Double? {
        guard group < s.groups.count else { return nil }
        let c = s.groups[group]
        switch stratum {
        case 1: return c.positives > 0 ? Double(c.truePositives) / Double(c.positives) : nil
        case 0: return c.negatives > 0 ? Double(c.falsePositives) / Double(c.negatives) : nil
        default: return c.count > 0 ? Double(c.truePositives + c.falsePositives) / Double(c.count) : nil
        }
    }
}
