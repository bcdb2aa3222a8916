import AuditFairness
import AuditFisher
import FairAudit
import Foundation

/// One shard's audit as sufficient statistics (`fairaudit audit --partial`):
/// what the rows summed to, and what must match for shards to be added up —
/// the model (a hash of its tensors), the data options, the audit options and
/// seed — plus the row ids the shard covered, so no row is counted twice.
/// `fairaudit merge` adds partials (``merged(_:sources:)``) and reports the
/// sum exactly as one run over all rows would.
public struct AuditPartial: Sendable {
    /// The file format's version; a reader refuses others.
    public static let version = 2
    /// The `"format"` value that marks a partial.
    public static let formatTag = "fairaudit-partial"

    /// FNV-1a 64 over every parameter tensor's name, shape and float32 values (``modelHash(_:)``).
    public var modelHash: String
    /// The model file as given (for the report).
    public var model: String
    /// The model's format and layout (for the report).
    public var modelFormat: String, modelLayout: ModelLayout
    /// Where the rows came from (each shard's `--data`).
    public var dataSources: [String]
    /// The label column, the label value that counts as positive, and the group columns.
    public var label: String, positive: String?, groupColumns: [String]
    /// The feature columns the model read, in input order.
    public var featureNames: [String]
    /// Threshold, bootstrap replicates, confidence, seed and minimum group size.
    public var options: AuditOptions
    /// The row ids covered, as sorted disjoint closed ranges.
    public var rowIDs: RowIDRanges
    /// The fairness audit's sums.
    public var fairness: FairnessPartial
    /// The Fisher audit's sums (nil with `--no-fisher`), and how many most
    /// group-influential parameters its report lists.
    public var fisher: FisherPartial?, fisherTop: Int = 10

    /// Rows counted.
    public var rows: Int { fairness.rows }

    /// Creates a partial.
    public init(
        modelHash: String, model: String, modelFormat: String, modelLayout: ModelLayout, dataSources: [String],
        label: String, positive: String?, groupColumns: [String], featureNames: [String], options: AuditOptions,
        rowIDs: RowIDRanges, fairness: FairnessPartial
    ) {
        self.modelHash = modelHash
        self.model = model
        self.modelFormat = modelFormat
        self.modelLayout = modelLayout
        self.dataSources = dataSources
        self.label = label
        self.positive = positive
        self.groupColumns = groupColumns
        self.featureNames = featureNames
        self.options = options
        self.rowIDs = rowIDs
        self.fairness = fairness
    }

    /// The model's identity: FNV-1a 64 (hex) over each non-metadata tensor's
    /// name, shape and values as little-endian float32, in name order — the
    /// same weights give the same hash in any file format.
    public static func modelHash(_ graph: ModelGraph) throws -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for t in graph.tensors.filter({ !$0.isMetadata }).sorted(by: { $0.name < $1.name }) {
            let head = Array((t.name + "|" + t.shape.map(String.init).joined(separator: ",") + "|").utf8)
            head.withUnsafeBytes { CounterRandom.fnv1a($0, into: &h) }
            let values = try t.floatValues().map { $0.bitPattern.littleEndian }
            values.withUnsafeBytes { CounterRandom.fnv1a($0, into: &h) }
        }
        return String(h, radix: 16)
    }

    /// The sum of `parts` read from `sources` (same order): refuses, naming the
    /// file, a part from another model, with other data or audit options or
    /// seed, or whose row ids overlap another part's.
    public static func merged(_ parts: [AuditPartial], sources: [String]) throws -> AuditPartial {
        guard let first = parts.first, parts.count == sources.count else {
            throw FairAuditError.invalidInput(path: "merge", reason: "no partial results given")
        }
        for (p, path) in zip(parts, sources).dropFirst() {
            func refuse(_ what: String) -> FairAuditError {
                .invalidInput(
                    path: path,
                    reason: "\(what), unlike \(sources[0]); partials merge only from one model, data options and seed")
            }
            if p.modelHash != first.modelHash {
                throw refuse("was made from another model (hash \(p.modelHash), not \(first.modelHash))")
            }
            if p.label != first.label || p.positive != first.positive || p.groupColumns != first.groupColumns
                || p.featureNames != first.featureNames
            {
                throw refuse("reads other label, group or feature columns")
            }
            let a = p.options
            let b = first.options
            if a.seed != b.seed { throw refuse("has another seed (\(a.seed), not \(b.seed))") }
            if a.threshold != b.threshold || a.bootstrap != b.bootstrap || a.confidence != b.confidence
                || a.minGroupSize != b.minGroupSize
            {
                throw refuse("has other audit options (threshold, bootstrap, confidence or min group size)")
            }
            switch (p.fisher, first.fisher) {
            case (nil, nil): break
            case (.some, nil): throw refuse("has a Fisher section (the first part was audited with --no-fisher)")
            case (nil, .some): throw refuse("has no Fisher section (audited with --no-fisher)")
            case (.some(let f), .some(let f0)):
                if let why = f0.disagreement(with: f) { throw refuse(why) }
            }
        }
        if let clash = RowIDRanges.firstOverlap(parts.map(\.rowIDs)) {
            throw FairAuditError.invalidInput(
                path: sources[clash.1],
                reason:
                    "row ids overlap those of \(sources[clash.0]) (row id \(clash.id) in both); a row must be in one shard only"
            )
        }
        var out = first
        out.dataSources = parts.flatMap(\.dataSources)
        out.rowIDs = RowIDRanges.union(parts.map(\.rowIDs))
        out.fairness = try FairnessPartial.merged(parts.map(\.fairness))
        if first.fisher != nil {
            out.fisher = try FisherPartial.merged(parts.compactMap(\.fisher), order: out.fairness.groupNames)
        }
        return out
    }
}
