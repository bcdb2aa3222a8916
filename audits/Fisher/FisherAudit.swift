import FairAudit
import Foundation

/// Per-group Fisher information divergence (docs/method.md §1–2): how
/// differently the model's parameters matter to each group, per tensor and
/// per layer, against a permutation null, with the most group-influential
/// parameters.
public struct FisherAudit: Audit {
    /// The audit's name and its key in `--json`.
    public static let name = "fisher"
    /// Permutation rounds, top list, kind and where to save (``FisherOptions``).
    public typealias Options = FisherOptions
    /// Creates the audit.
    public init() {}

    /// The audit over any source of per-group Fisher: `fisher(rowGroups)`
    /// returns each group's `[tensor][element]` Fisher (and the group row
    /// counts) for an assignment of rows to `context.data.groupNames`. It is
    /// called once with the data's groups, then ``FisherOptions/permutations``
    /// times with the rows' groups shuffled (seeded by `options.seed`). With
    /// ``FisherOptions/save`` each group's raw Fisher is written as arrays
    /// `<group>/<tensor name>` (float32, the tensor's shape).
    public func run(
        _ context: AuditContext, tensorNames: [String], shapes: [[Int]],
        fisher: ([Int]) throws -> (counts: [Int], values: [[[Float]]])
    ) throws -> AuditResult {
        let data = context.data
        let o = context.options
        let f = try Self.options(o)
        context.progress(
            "fisher: \(f.kind.rawValue) Fisher of \(data.groupNames.count) groups over \(data.rowCount) rows")
        let first = try fisher(data.rowGroups)
        let observed = try FisherByGroup(
            tensorNames: tensorNames, shapes: shapes, groupNames: data.groupNames,
            counts: first.counts, values: first.values)
        var saved: String?
        if let url = f.save {
            context.progress("fisher: saving the raw per-group Fisher to \(url.path)")
            try Self.save(observed, to: url, formats: o.formats)
            saved = url.path
        }
        let layers = FisherUnit.layers(tensorNames, layers: context.graph.layers)
        var report = try FisherAnalysis.run(
            observed: observed, layers: layers, rowGroups: data.rowGroups,
            minGroupSize: o.minGroupSize, permutations: f.permutations,
            seed: o.seed, top: f.top, kind: f.kind,
            progress: context.progress
        ) { try fisher($0).values }
        report.savedTo = saved
        return AuditResult(
            name: Self.name, json: report.json, text: report.text, markdown: report.markdown,
            metrics: report.auditMetrics)
    }

    /// Writes each group's raw Fisher as float32 arrays `<group>/<tensor name>`
    /// in the format of `formats` that `url`'s extension names.
    public static func save(_ f: FisherByGroup, to url: URL, formats: FormatRegistry) throws {
        var tensors: [Tensor] = []
        for (g, group) in f.groupNames.enumerated() {
            for (t, name) in f.tensorNames.enumerated() {
                let bytes = Tensor.encode(f.values[g][t], dtype: .float32, byteOrder: .little)
                tensors.append(
                    Tensor(
                        name: "\(group)/\(name)", dtype: .float32, shape: f.shapes[t],
                        storage: .bytes(bytes)))
            }
        }
        try formats.writeArrays(tensors, to: url)
    }
}
