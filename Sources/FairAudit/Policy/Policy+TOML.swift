import Foundation
import TOMLKit

extension Policy {
    /// Top-level keys a policy may set, with the TOML type each takes.
    static let topKeys: [String: String] = [
        "model": "string", "data": "string", "eval": "string", "label": "string", "positive": "string",
        "groups": "array", "ignore": "array", "features": "array", "threshold": "number",
        "min_group_size": "integer", "bootstrap": "integer", "seed": "integer",
        "architecture": "string", "head": "string", "activation": "strings", "exclude": "array",
    ]
    /// Keys of the `[fix]` table.
    static let fixKeys: Set<String> = [
        "rank", "energy", "method", "neutralize", "penalty", "lambda", "epochs", "balance", "seed",
        "batch_size", "learning_rate", "validation", "freeze_unfactorized", "fisher", "factorize_embeddings",
    ]

    /// Reads a `fairaudit.toml`. Unknown keys, wrong types and TOML syntax
    /// errors throw a `FairAuditError.policy` naming the key and its line.
    /// A top-level key that one of `audits` declares as moved into its table
    /// (``AuditOptionKey/formerTopLevel``) is read into that table, with a note.
    public static func load(_ url: URL, audits: [any Audit.Type] = []) throws -> Policy {
        let path = url.path
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw FairAuditError.policy(file: path, line: 0, reason: "cannot read the policy file")
        }
        guard let text = String(data: bytes, encoding: .utf8) else {
            throw FairAuditError.policy(file: path, line: 0, reason: "the policy file is not UTF-8 text")
        }
        return try parse(text, file: path, audits: audits)
    }

    /// Parses policy text; `file` names it in errors; `audits` as for ``load(_:audits:)``.
    public static func parse(_ text: String, file: String, audits: [any Audit.Type] = []) throws -> Policy {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let e as TOMLParseError {
            throw FairAuditError.policy(file: file, line: e.source.begin.line, reason: "invalid TOML: \(e.description)")
        }
        let lines = KeyLines(text)
        var p = Policy()
        p.source = file
        func fail(_ key: String, _ section: String?, _ reason: String) -> FairAuditError {
            FairAuditError.policy(file: file, line: lines.line(of: key, in: section), reason: reason)
        }
        for key in table.keys {
            guard let value = table[key] else { continue }
            if key == "gate" || key == "fix" {
                guard let sub = value.table else { throw fail(key, nil, "'\(key)' must be a table ([\(key)])") }
                if key == "gate" {
                    try p.readGate(sub, lines: lines, fail: fail)
                } else {
                    try p.readFix(sub, fail: fail)
                }
                continue
            }
            if key == "audits" {
                guard let sub = value.table else { throw fail(key, nil, "'audits' must be tables ([audits.<name>])") }
                try p.readAudits(sub, lines: lines, fail: fail)
                continue
            }
            if let audit = audits.first(where: { $0.optionKeys.contains { $0.formerTopLevel && $0.name == key } }) {
                let line = lines.line(of: key, in: nil)
                p.audits.append(
                    AuditSetting(
                        audit: audit.name, key: key, value: try auditValue(value) { fail(key, nil, $0) },
                        origin: .policy(file: file, line: line)))
                p.notes.append(
                    "\(file):\(line): '\(key)' at the top level is read as [audits.\(audit.name)] \(key); move it into that table"
                )
                continue
            }
            guard let type = topKeys[key] else {
                throw fail(
                    key, nil,
                    "unknown key '\(key)' (known: \(topKeys.keys.sorted().joined(separator: ", ")), [gate], [fix], [audits.<name>])"
                )
            }
            switch (key, type) {
            case (_, "string"):
                guard let s = value.string else { throw fail(key, nil, "'\(key)' must be a string") }
                switch key {
                case "model": p.model = s
                case "data": p.data = s
                case "eval": p.eval = s
                case "label": p.label = s
                case "architecture": p.architecture = s
                case "head": p.head = s
                default: p.positive = s
                }
            case (_, "strings"):
                // `activation = "tanh"`, `"tanh,relu"` or `["tanh", "relu"]`.
                if let s = value.string {
                    p.activation = s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                } else if let arr = value.array, arr.allSatisfy({ $0.string != nil }) {
                    p.activation = arr.compactMap { $0.string }
                } else {
                    throw fail(key, nil, "'\(key)' must be a string (\"tanh\" or \"tanh,relu\") or an array of strings")
                }
            case (_, "array"):
                guard let arr = value.array else { throw fail(key, nil, "'\(key)' must be an array of strings") }
                var items: [String] = []
                for item in arr {
                    guard let s = item.string else { throw fail(key, nil, "'\(key)' must be an array of strings") }
                    items.append(s)
                }
                switch key {
                case "groups": p.groups = items
                case "ignore": p.ignore = items
                case "exclude": p.exclude = items
                default: p.features = items
                }
            case (_, "number"):
                guard let x = value.double ?? value.int.map(Double.init) else {
                    throw fail(key, nil, "'\(key)' must be a number")
                }
                p.threshold = x
            default:
                guard let i = value.int, i >= 0 else { throw fail(key, nil, "'\(key)' must be a non-negative integer") }
                switch key {
                case "min_group_size": p.minGroupSize = i
                case "bootstrap": p.bootstrap = i
                default: p.seed = i
                }
            }
        }
        return p
    }

    mutating func readGate(
        _ gate: TOMLTable, lines: KeyLines,
        fail: (String, String?, String) -> FairAuditError
    ) throws {
        for key in gate.keys {
            guard let value = gate[key] else { continue }
            if key == "use_ci_bound" {
                guard let b = value.bool else { throw fail(key, "gate", "'use_ci_bound' must be true or false") }
                useCIBound = b
                continue
            }
            guard let x = value.double ?? value.int.map(Double.init) else {
                throw fail(key, "gate", "'\(key)' must be a number")
            }
            if key == "max_regression" {
                maxRegression = x
                maxRegressionLine = lines.line(of: key, in: "gate")
                continue
            }
            let kind: Limit.Kind
            if key.hasPrefix("max_") {
                kind = .max
            } else if key.hasPrefix("min_") {
                kind = .min
            } else {
                throw fail(
                    key, "gate",
                    "unknown key '\(key)' in [gate] (limits are max_<metric> or min_<metric>; also max_regression, use_ci_bound)"
                )
            }
            limits.append(
                Limit(metric: String(key.dropFirst(4)), kind: kind, bound: x, line: lines.line(of: key, in: "gate")))
        }
        limits.sort { $0.line < $1.line }
    }

    /// Reads `[audits.<name>]` tables as raw settings; each audit reads its own.
    mutating func readAudits(
        _ tables: TOMLTable, lines: KeyLines, fail: (String, String?, String) -> FairAuditError
    ) throws {
        for name in tables.keys {
            guard let table = tables[name]?.table else {
                throw fail(name, "audits", "'\(name)' in [audits] must be a table ([audits.\(name)])")
            }
            let section = "audits.\(name)"
            for key in table.keys {
                guard let value = table[key] else { continue }
                audits.append(
                    AuditSetting(
                        audit: name, key: key, value: try Self.auditValue(value) { fail(key, section, $0) },
                        origin: .policy(file: source, line: lines.line(of: key, in: section))))
            }
        }
        audits.sort { a, b in
            guard case .policy(_, let la) = a.origin, case .policy(_, let lb) = b.origin else { return false }
            return la < lb
        }
    }

    /// A TOML scalar as an audit option's value.
    static func auditValue(
        _ value: any TOMLValueConvertible, fail: (String) -> FairAuditError
    ) throws -> AuditOptionValue {
        if let s = value.string { return .string(s) }
        if let i = value.int { return .integer(i) }
        if let d = value.double { return .number(d) }
        if let b = value.bool { return .boolean(b) }
        throw fail("must be a string, number or boolean")
    }

    mutating func readFix(_ table: TOMLTable, fail: (String, String?, String) -> FairAuditError) throws {
        for key in table.keys {
            guard let value = table[key] else { continue }
            guard Policy.fixKeys.contains(key) else {
                throw fail(
                    key, "fix",
                    "unknown key '\(key)' in [fix] (known: \(Policy.fixKeys.sorted().joined(separator: ", ")))")
            }
            if let s = value.string {
                fix[key] = s
            } else if let i = value.int {
                fix[key] = String(i)
            } else if let d = value.double {
                fix[key] = String(d)
            } else if let b = value.bool {
                fix[key] = String(b)
            } else {
                throw fail(key, "fix", "'\(key)' must be a string, number or boolean")
            }
        }
    }
}

/// Finds the line that sets a key, for error messages (TOML parsers do not
/// keep key positions).
struct KeyLines {
    let lines: [Substring]

    init(_ text: String) { lines = text.split(separator: "\n", omittingEmptySubsequences: false) }

    /// The 1-based line of `key = …` within table `section` (nil: the top level).
    func line(of key: String, in section: String?) -> Int {
        var current: String? = nil
        for (i, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") {
                current = line.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
                continue
            }
            guard current == section else { continue }
            let name = line.split(separator: "=", maxSplits: 1).first?
                .trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            if name == key { return i + 1 }
        }
        // A table header `[key]` at the top level.
        if section == nil,
            let i = lines.firstIndex(where: {
                $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "[] ")) == key
            })
        {
            return i + 1
        }
        return 0
    }
}
