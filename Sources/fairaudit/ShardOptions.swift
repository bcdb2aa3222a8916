import ArgumentParser
import FairAudit
import FairAuditPlugins
import Foundation

/// Auditing one shard of the rows into a partial result for `fairaudit merge`.
struct ShardOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Write the audit's sufficient statistics (a partial result for `fairaudit merge`) instead of the report; - for one JSON line on stdout.",
            valueName: "file|-"))
    var partial: String?

    @Option(
        name: .customLong("row-id"),
        help: ArgumentHelp(
            "The column with each row's global id (integers, or text, hashed), keying its bootstrap weights; default: the row's position plus --row-offset.",
            valueName: "column"))
    var rowID: String?

    @Option(
        name: .customLong("row-offset"),
        help: ArgumentHelp(
            "The global position of this shard's first row, when rows are keyed by position (default 0).",
            valueName: "N"))
    var rowOffset: UInt64?

    @Option(
        name: .customLong("null-counts"),
        help: ArgumentHelp(
            "Every group's row count over all shards, as a JSON object {\"group\": rows, …} (a file, or the text itself): the proportions the Fisher's permutation null draws each row's group with. A --partial with permutation rounds needs it (every shard the same); merge checks it against the merged rows.",
            valueName: "file|json"))
    var nullCounts: String?

    /// `--null-counts` read: a JSON object of non-negative integers.
    func loadNullCounts() throws -> [String: Int]? {
        guard let spec = nullCounts else { return nil }
        let inline = spec.trimmingCharacters(in: .whitespaces).hasPrefix("{")
        let place = inline ? "--null-counts" : spec
        let bytes: Data
        if inline {
            bytes = Data(spec.utf8)
        } else {
            guard let b = FileManager.default.contents(atPath: spec) else {
                throw FairAuditError.unreadableFile(path: spec, reason: "no such file or not readable (--null-counts)")
            }
            bytes = b
        }
        guard let object = (try? JSONSerialization.jsonObject(with: bytes)) as? [String: Any] else {
            throw FairAuditError.invalidInput(path: place, reason: "is not a JSON object of group → row count")
        }
        var out: [String: Int] = [:]
        for (name, value) in object {
            guard let n = value as? NSNumber, let i = Int(exactly: n.doubleValue), i >= 0 else {
                throw FairAuditError.invalidInput(
                    path: place, reason: "gives group '\(name)' the count \(value), not a non-negative integer")
            }
            out[name] = i
        }
        guard out.values.contains(where: { $0 > 0 }) else {
            throw FairAuditError.invalidInput(path: place, reason: "gives no group a positive row count")
        }
        return out
    }

    func validate() throws {
        if rowID != nil && rowOffset != nil {
            throw ValidationError(
                "--row-id and --row-offset exclude each other: rows are keyed by a column or by position.")
        }
    }

    /// Writes `partial` to `--partial` (atomically), or as one line on stdout for `-`.
    func write(_ partial: AuditPartial, to path: String) throws {
        let line = partial.json.serialized()
        if path == "-" {
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        } else {
            try ReportOptions.write(line + "\n", to: path)
        }
    }
}
