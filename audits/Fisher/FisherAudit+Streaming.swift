import FairAudit
import Foundation

extension FisherAudit: StreamingAudit {
    /// Fresh Fisher sums (``FisherStream``) that fold each scored run of rows
    /// as it is read. With permutation rounds the null draws each row's group
    /// with every group's row count over all rows, so `options.nullCounts`
    /// must be given (the runner counts the groups first when it is not:
    /// ``needsGroupCounts(_:)``).
    public static func accumulator(graph: ModelGraph, options: AuditOptions) throws -> any AuditAccumulator {
        if try Self.options(options).permutations > 0 && options.nullCounts == nil {
            throw FisherError.invalidOption(
                name: "null-counts",
                reason:
                    "is needed before the rows are folded: the permutation null draws each row's group with every group's row count over all rows"
            )
        }
        let (sums, partial) = try accumulator(graph: graph, options: options) { [:] }
        return FisherStream(sums: sums, partial: partial)
    }

    /// The permutation null draws with every group's row count over all
    /// rows: they must be known before the first row is folded.
    public static func needsGroupCounts(_ options: AuditOptions) -> Bool {
        // Options that do not read are refused when the sums are made.
        ((try? Self.options(options))?.permutations ?? 0) > 0 && options.nullCounts == nil
    }
}

/// The Fisher audit's sums folded run by run while the rows are read and
/// dropped: each run's rows go through the model forward and backward once
/// (``FisherAccumulator``, 128-row blocks at fixed slots) and their squared
/// per-sample gradients into every group's and permutation round's double
/// sums. Memory holds the sums (groups and rounds × parameters), never the
/// rows; the result is ``FisherAudit/run(_:)``'s on all rows at once, to the
/// rounding of double sums added in another order.
public final class FisherStream: AuditAccumulator {
    /// The sums, groups keyed by their stream id (`"0"`, `"1"`, … in order of first appearance).
    public let sums: FisherAccumulator
    private let makePartial: (FisherAccumulator) -> FisherPartial
    private var keys: [String] = []

    /// Folds into `sums`; `partial` turns them into a ``FisherPartial``.
    public init(sums: FisherAccumulator, partial: @escaping (FisherAccumulator) -> FisherPartial) {
        self.sums = sums
        makePartial = partial
    }

    /// Adds a run of rows (features, labels, stream groups and row ids).
    public func fold(_ rows: AuditRows) throws {
        let n = rows.count
        guard n > 0 else { return }
        var top = keys.count
        for g in rows.groups {
            guard g >= 0 else {
                throw FisherError.invalidOption(name: "groups", reason: "a row's group id \(g) is negative")
            }
            top = max(top, g + 1)
        }
        while keys.count < top { keys.append(String(keys.count)) }
        try sums.add(
            features: Array(rows.features), labels: Array(rows.labels), rowGroups: Array(rows.groups),
            groupNames: keys, rowIDs: Array(rows.rowIDs))
    }

    /// The sums as a ``FisherPartial`` whose groups are named as the data
    /// names them: stream group `s` is `groupNames[order[s]]`.
    public func partial(groupNames: [String], order: [Int]) throws -> FisherPartial {
        var p = makePartial(sums)
        let index = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, $0) })
        p.groupNames = try p.groupNames.map { key in
            guard let s = index[key], s < order.count, order[s] >= 0, order[s] < groupNames.count else {
                throw FisherError.inconsistentFisher(
                    reason: "stream group \(key) has no name among the data's \(groupNames.count) groups")
            }
            return groupNames[order[s]]
        }
        return p
    }

    /// The Fisher audit's result over every row folded.
    public func finish(_ end: AuditStreamEnd) throws -> AuditResult {
        let data = end.data
        let o = end.options
        let f = try FisherAudit.options(o)
        end.progress(
            "fisher: \(f.kind.rawValue) Fisher of \(data.groupNames.count) groups over \(data.rowCount) rows"
                + (f.permutations > 0 ? ", the data's groups and \(f.permutations) permutation rounds in one pass" : "")
        )
        let merged = try FisherPartial.merged(
            [try partial(groupNames: data.groupNames, order: end.groupOrder)], order: data.groupNames)
        return try FisherAudit.result(merged, options: o, progress: end.progress)
    }
}
