import ArgumentParser
import FairAudit
import FairAuditPlugins
import Foundation

/// Auditing one shard of the rows into a partial result for `fairaudit merge`.
struct ShardOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Write the audit's sufficient statistics (a partial result for `fairaudit merge`) instead of the report; - for one JSON line on stdout.",
                               valueName: "file|-"))
    var partial: String?

    @Option(name: .customLong("row-id"),
            help: ArgumentHelp("The column with each row's global id (integers, or text, hashed), keying its bootstrap weights; default: the row's position plus --row-offset.",
                               valueName: "column"))
    var rowID: String?

    @Option(name: .customLong("row-offset"),
            help: ArgumentHelp("The global position of this shard's first row, when rows are keyed by position (default 0).", valueName: "N"))
    var rowOffset: UInt64?

    func validate() throws {
        if rowID != nil && rowOffset != nil {
            throw ValidationError("--row-id and --row-offset exclude each other: rows are keyed by a column or by position.")
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
