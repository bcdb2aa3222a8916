import FairAudit
import Foundation

/// Scores rows as they stream in and hands each scored run, with its rows'
/// labels, groups and ids, to `fold`. Rows are scored in blocks of exactly
/// ``Network/scoreBlock`` rows aligned on the row's position among all rows
/// (the first block starts at row 0; the rows of a block cut by a chunk's
/// end wait for the next chunk), so every row's score is the float
/// ``Network/shardInvariantScores(features:rows:)`` gives over all rows at
/// once. Holds at most one block of rows.
final class StreamScorer {
    private let network: Network
    private let width: Int
    private let fold: (AuditRows) throws -> Void
    private var padded: [Float]
    private var pendingX: [Float] = [], pendingLabels: [Float] = [], pendingGroups: [Int] = [],
        pendingIDs: [UInt64] = []
    private var pendingFirst = 0
    /// Seconds spent scoring.
    private(set) var scoringSeconds = 0.0

    init(network: Network, fold: @escaping (AuditRows) throws -> Void) {
        self.network = network
        width = network.inputWidth
        self.fold = fold
        padded = [Float](repeating: 0, count: Network.scoreBlock * network.inputWidth)
    }

    /// Takes `rows` rows starting at position `firstRow` (right after the
    /// rows pushed before): scores and folds every block they complete.
    func push(
        features: UnsafeBufferPointer<Float>, rows: Int, labels: [Float], groups: [Int], ids: [UInt64],
        firstRow: Int
    ) throws {
        let block = Network.scoreBlock
        let w = width
        var i = 0
        if !pendingLabels.isEmpty {
            i = min(block - pendingLabels.count, rows)
            keep(features, labels, groups, ids, 0..<i, firstRow: firstRow)
            if pendingLabels.count == block { try flush() }
        }
        let full = (rows - i) / block * block
        if full > 0 {
            let t = Date()
            var scores = [Float]()
            scores.reserveCapacity(full)
            for b in stride(from: i, to: i + full, by: block) {
                scores += try network.scoreOneBlock(
                    UnsafeBufferPointer(rebasing: features[(b * w)..<((b + block) * w)]),
                    rows: block, padded: &padded)
            }
            scoringSeconds += Date().timeIntervalSince(t)
            try scores.withUnsafeBufferPointer { s in
                try labels.withUnsafeBufferPointer { l in
                    try groups.withUnsafeBufferPointer { g in
                        try ids.withUnsafeBufferPointer { d in
                            try fold(
                                AuditRows(
                                    firstRow: firstRow + i, count: full,
                                    features: UnsafeBufferPointer(rebasing: features[(i * w)..<((i + full) * w)]),
                                    scores: s, labels: UnsafeBufferPointer(rebasing: l[i..<(i + full)]),
                                    groups: UnsafeBufferPointer(rebasing: g[i..<(i + full)]),
                                    rowIDs: UnsafeBufferPointer(rebasing: d[i..<(i + full)])))
                        }
                    }
                }
            }
            i += full
        }
        if i < rows { keep(features, labels, groups, ids, i..<rows, firstRow: firstRow) }
    }

    /// Scores and folds the rows still waiting (the last, short block).
    func finish() throws { if !pendingLabels.isEmpty { try flush() } }

    private func keep(
        _ features: UnsafeBufferPointer<Float>, _ labels: [Float], _ groups: [Int], _ ids: [UInt64],
        _ range: Range<Int>, firstRow: Int
    ) {
        guard !range.isEmpty else { return }
        if pendingLabels.isEmpty { pendingFirst = firstRow + range.lowerBound }
        pendingX += features[(range.lowerBound * width)..<(range.upperBound * width)]
        pendingLabels += labels[range]
        pendingGroups += groups[range]
        pendingIDs += ids[range]
    }

    private func flush() throws {
        let t = Date()
        let n = pendingLabels.count
        let scores = try pendingX.withUnsafeBufferPointer { try network.scoreOneBlock($0, rows: n, padded: &padded) }
        scoringSeconds += Date().timeIntervalSince(t)
        try pendingX.withUnsafeBufferPointer { x in
            try scores.withUnsafeBufferPointer { s in
                try pendingLabels.withUnsafeBufferPointer { l in
                    try pendingGroups.withUnsafeBufferPointer { g in
                        try pendingIDs.withUnsafeBufferPointer { d in
                            try fold(
                                AuditRows(
                                    firstRow: pendingFirst, count: n, features: x, scores: s, labels: l,
                                    groups: g, rowIDs: d))
                        }
                    }
                }
            }
        }
        pendingX.removeAll(keepingCapacity: true)
        pendingLabels.removeAll(keepingCapacity: true)
        pendingGroups.removeAll(keepingCapacity: true)
        pendingIDs.removeAll(keepingCapacity: true)
    }
}
