import ArgumentParser
import FairAudit
import FairAuditPlugins
import Foundation

/// Which file holds the labeled rows and which columns mean what.
struct DataOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp("Labeled rows: CSV or CSV.gz with a header row; - reads CSV from stdin.", valueName: "csv|-")
    )
    var data: String?

    @Option(
        help: ArgumentHelp("The column names, when the rows have no header line (a piped shard).", valueName: "a,b,c"))
    var columns: String?

    @Option(
        help: ArgumentHelp("Take the column names from this CSV's first line; the rows have none.", valueName: "file"))
    var headerFrom: String?

    @Option(help: "The binary label column (0/1, true/false, or two values with --positive).")
    var label: String?

    @Option(name: .customLong("group"), help: "A group column; repeat for intersections (--group sex --group race).")
    var groups: [String] = []

    @Option(name: .customLong("ignore"), help: "A column that is neither a feature nor a group; repeatable.")
    var ignore: [String] = []

    @Option(
        help: ArgumentHelp(
            "Feature columns in model-input order, comma-separated (default: every other column, in file order).",
            valueName: "a,b,c"))
    var features: String?

    @Option(
        name: .customLong("input"),
        help: ArgumentHelp(
            """
            The CSV columns of a model input, in the input's value order: --input cat=c1,c2,c3 \
            (repeatable, one per input). A model of several inputs otherwise reads an input of k \
            values named cat from the columns cat, cat_1, …, cat_{k-1} (one value: the column cat). \
            An .npz names its arrays after the inputs instead.
            """, valueName: "name=a,b,c"))
    var inputs: [String] = []

    @Option(help: "The label value that counts as positive, when labels are not 0/1.")
    var positive: String?

    /// The settings with the policy's filling what the flags leave out.
    func resolved(with policy: Policy?) throws -> (data: String, options: CSVDataOptions) {
        guard let data = data ?? policy?.data.map({ policy?.resolve($0) ?? $0 }) else {
            throw ValidationError("Missing --data (or `data =` in fairaudit.toml).")
        }
        guard let label = label ?? policy?.label else {
            throw ValidationError("Missing --label (or `label =` in fairaudit.toml).")
        }
        let groups = self.groups.isEmpty ? (policy?.groups ?? []) : self.groups
        guard !groups.isEmpty else {
            throw ValidationError("Missing --group (or `groups = [...]` in fairaudit.toml).")
        }
        let feats =
            features.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            ?? policy?.features
        var options = CSVDataOptions(
            label: label, groups: groups, ignore: ignore.isEmpty ? (policy?.ignore ?? []) : ignore,
            features: feats, positive: positive ?? policy?.positive)
        options.inputColumns = try inputColumns(features: feats)
        try applyStream(to: &options, data: data)
        return (data, options)
    }

    /// `--data -` reads stdin; `--columns` / `--header-from` name the columns of headerless rows.
    func applyStream(to options: inout CSVDataOptions, data: String) throws {
        options.standardInput = data == "-"
        if columns != nil && headerFrom != nil {
            throw ValidationError("--columns and --header-from exclude each other.")
        }
        if let columns {
            options.header = columns.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
        } else if let headerFrom {
            guard let handle = FileHandle(forReadingAtPath: headerFrom) else {
                throw FairAuditError.unreadableFile(path: headerFrom, reason: "no such file or not readable")
            }
            defer { try? handle.close() }
            let head = (try? handle.read(upToCount: 1 << 20)) ?? Data()
            guard let end = head.firstIndex(of: UInt8(ascii: "\n")) ?? (head.isEmpty ? nil : head.endIndex),
                var line = String(data: head[head.startIndex..<end], encoding: .utf8)
            else {
                throw FairAuditError.invalidInput(
                    path: headerFrom, reason: "has no header line to take the column names from")
            }
            if line.hasSuffix("\r") { line.removeLast() }
            if line.hasPrefix("\u{FEFF}") { line.removeFirst() }
            options.header = line.split(separator: ",", omittingEmptySubsequences: false).map { String($0) }
        }
    }
}

extension DataOptions {
    /// The `--input name=a,b,c` mappings by input name; each input once,
    /// at least one column each, not together with `--features`.
    func inputColumns(features: [String]?) throws -> [String: [String]] {
        guard !inputs.isEmpty else { return [:] }
        if features != nil {
            throw ValidationError(
                "--input and --features exclude each other: --features lists every feature column, --input the columns of one model input."
            )
        }
        var out: [String: [String]] = [:]
        for spec in inputs {
            let parts = spec.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            let columns =
                parts.count == 2
                ? parts[1].split(separator: ",", omittingEmptySubsequences: false).map {
                    $0.trimmingCharacters(in: .whitespaces)
                } : []
            guard !name.isEmpty, !columns.isEmpty, !columns.contains(where: \.isEmpty) else {
                throw ValidationError("--input \(spec): expected NAME=COLUMN[,COLUMN…], such as --input cat=c1,c2,c3.")
            }
            guard out[name] == nil else { throw ValidationError("--input \(name) is given twice.") }
            out[name] = columns
        }
        return out
    }

    /// The settings for scoring rows only (`predict`): the label and group
    /// columns are left out of the features but not required, and every row
    /// is kept in file order.
    func scoring(with policy: Policy?, keep: [String]) throws -> (data: String, options: CSVDataOptions) {
        guard let data = data ?? policy?.data.map({ policy?.resolve($0) ?? $0 }) else {
            throw ValidationError("Missing --data (or `data =` in fairaudit.toml).")
        }
        let label = self.label ?? policy?.label
        let groups = self.groups.isEmpty ? (policy?.groups ?? []) : self.groups
        let ignored = (ignore.isEmpty ? (policy?.ignore ?? []) : ignore) + [label].compactMap { $0 } + groups
        let feats =
            features.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            ?? policy?.features
        var options = CSVDataOptions(label: nil, groups: [], ignore: ignored, features: feats)
        options.inputColumns = try inputColumns(features: feats)
        options.keep = keep
        return (data, options)
    }
}

/// The release policy: `--config FILE`, or a `fairaudit.toml` in the
/// working directory.
struct PolicyOptions: ParsableArguments {
    @Option(
        name: .customLong("config"),
        help: ArgumentHelp(
            "The fairaudit.toml policy to read (default: ./fairaudit.toml when present). A Keras architecture goes to --architecture.",
            valueName: "file"))
    var config: String?

    /// The policy, if any, with its notes printed on stderr.
    func load() throws -> Policy? {
        let policy = try read()
        for text in policy?.notes ?? [] { note(text) }
        return policy
    }

    /// The policy file read with the registry's audits (which claim their former top-level keys).
    private func read() throws -> Policy? {
        if let config {
            if try PolicyLookup.isJSON(config) {
                throw FairAuditError.invalidInput(
                    path: config,
                    reason:
                        "is JSON, but --config names a fairaudit.toml policy; pass a Keras model config with --architecture \(config)"
                )
            }
            return try Policy.load(URL(fileURLWithPath: config), audits: Plugins.audits)
        }
        let local = "fairaudit.toml"
        if FileManager.default.fileExists(atPath: local) {
            return try Policy.load(URL(fileURLWithPath: local), audits: Plugins.audits)
        }
        return nil
    }
}

/// How a policy file is told from a JSON document.
enum PolicyLookup {
    /// True when the file's first non-blank character is `{`.
    static func isJSON(_ path: String) throws -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw FairAuditError.unreadableFile(path: path, reason: "no such file or not readable")
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 256)) ?? Data()
        return head.first { !Set<UInt8>([32, 9, 10, 13, 0xEF, 0xBB, 0xBF]).contains($0) } == UInt8(ascii: "{")
    }
}
