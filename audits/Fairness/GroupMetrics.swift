import FairAudit

/// One group's rates at the audit threshold (docs/method.md §7).
public struct GroupMetrics: Sendable, Equatable {
    /// The group's name (an intersection's values joined as the data names them).
    public var group: String
    /// The group's confusion counts.
    public var counts: ConfusionCounts
    /// Mean of the model's score over the group's rows.
    public var meanScore: Double
    /// True when `count < minGroupSize`: reported, but left out of the gaps.
    public var small: Bool
    /// Bootstrap intervals of selection rate, TPR, FPR and accuracy (in that
    /// order; empty without a bootstrap).
    public var intervals: [ClosedRange<Double>?] = []

    /// Creates a row.
    public init(group: String, counts: ConfusionCounts, meanScore: Double, small: Bool) {
        self.group = group
        self.counts = counts
        self.meanScore = meanScore
        self.small = small
    }

    /// Rows in the group.
    public var count: Int { counts.count }
    /// `P(ŷ=1)`.
    public var selectionRate: Double { counts.selectionRate }
    /// `P(ŷ=1 | y=1)`, 0 without positives (fairlearn).
    public var tpr: Double { counts.truePositiveRate }
    /// `P(ŷ=1 | y=0)`, 0 without negatives (fairlearn).
    public var fpr: Double { counts.falsePositiveRate }
    /// `P(ŷ=y)`.
    public var accuracy: Double { counts.accuracy }
}

/// Per-row cell codes `4·group + 2·y + ŷ` and the per-group sums one pass
/// over the rows gives; the bootstrap resamples the codes.
struct CellTable {
    /// The codes, one byte a row when they fit (≤ 64 groups), else nil.
    var smallCodes: [UInt8]?
    /// The codes as 32-bit integers when they do not fit a byte, else empty.
    var codes: [Int32]
    var cells: [Int]
    var scoreSums: [Double]
    let groupCount: Int

    /// A table of sums only (no per-row codes), as read from a partial.
    init(cells: [Int], scoreSums: [Double], groupCount: Int) {
        codes = []
        self.cells = cells
        self.scoreSums = scoreSums
        self.groupCount = groupCount
    }

    init(scores: [Float], labels: [Float], rowGroups: [Int], groupCount: Int, threshold: Double) throws {
        let n = scores.count
        guard labels.count == n, rowGroups.count == n else {
            throw FairnessError.lengthMismatch(scores: n, labels: labels.count, groups: rowGroups.count)
        }
        guard groupCount < Int(Int32.max / 4) else {
            throw FairnessError.invalidOption(name: "groups", reason: "has \(groupCount) groups, too many to tabulate")
        }
        self.groupCount = groupCount
        // One byte a row when the cells fit, so 10⁷ rows cost 10 MB, not 40.
        let small = 4 * groupCount <= 256
        var wide = [Int32](repeating: 0, count: small ? 0 : n)
        var narrow = [UInt8](repeating: 0, count: small ? n : 0)
        var cells = [Int](repeating: 0, count: 4 * groupCount)
        var sums = [Double](repeating: 0, count: groupCount)
        for i in 0..<n {
            let g = rowGroups[i]
            guard g >= 0, g < groupCount else {
                throw FairnessError.groupOutOfRange(row: i, index: g, groupCount: groupCount)
            }
            let yv = labels[i]
            guard yv == 0 || yv == 1 else { throw FairnessError.nonBinaryLabel(row: i, value: yv) }
            let s = Double(scores[i])
            let code = 4 * g + (yv == 1 ? 2 : 0) + (s >= threshold ? 1 : 0)
            if small { narrow[i] = UInt8(truncatingIfNeeded: code) } else { wide[i] = Int32(code) }
            cells[code] += 1
            sums[g] += s
        }
        self.codes = wide
        self.smallCodes = small ? narrow : nil
        self.cells = cells
        self.scoreSums = sums
    }

    /// The counts of group `g`.
    func counts(_ g: Int) -> ConfusionCounts {
        cells.withUnsafeBufferPointer { ConfusionCounts(cells: $0, offset: 4 * g) }
    }
}
