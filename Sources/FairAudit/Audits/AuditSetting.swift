import Foundation

/// One value of an audit's option as written: a TOML value of an
/// `[audits.<name>]` table, or the text of a command-line flag.
public enum AuditOptionValue: Sendable, Equatable, CustomStringConvertible {
    /// A string, or any flag's text (read as the type the option wants).
    case string(String)
    /// An integer.
    case integer(Int)
    /// A floating-point number.
    case number(Double)
    /// `true` or `false`.
    case boolean(Bool)

    /// The value as written.
    public var description: String {
        switch self {
        case .string(let s): s
        case .integer(let i): String(i)
        case .number(let x): String(x)
        case .boolean(let b): String(b)
        }
    }
}

/// One option given to one audit, with the place that gave it, so that a
/// bad value is blamed on the right line or flag.
public struct AuditSetting: Sendable, Equatable {
    /// Where a setting comes from.
    public enum Origin: Sendable, Equatable {
        /// A policy file, at a line (0 when unknown).
        case policy(file: String, line: Int)
        /// A command-line flag (`--top`, `--audit-option`).
        case flag(String)
    }

    /// The audit's name (`fisher`).
    public var audit: String
    /// The option's key (`permutations`).
    public var key: String
    /// The value as written.
    public var value: AuditOptionValue
    /// Where it was set.
    public var origin: Origin

    /// Creates a setting.
    public init(audit: String, key: String, value: AuditOptionValue, origin: Origin) {
        self.audit = audit
        self.key = key
        self.value = value
        self.origin = origin
    }

    /// An error naming the setting's place: `fairaudit.toml:7: [audits.fisher] top must be ≥ 0`.
    public func invalid(_ reason: String) -> FairAuditError {
        switch origin {
        case .policy(let file, let line):
            .policy(file: file, line: line, reason: "[audits.\(audit)] \(key) \(reason)")
        case .flag(let flag):
            .invalidInput(path: flag, reason: "the \(audit) audit's option \(key) \(reason)")
        }
    }

    /// The value as an integer in `range`.
    public func integer(in range: ClosedRange<Int> = Int.min...Int.max) throws -> Int {
        let i: Int?
        switch value {
        case .integer(let v): i = v
        case .string(let s): i = Int(s.trimmingCharacters(in: .whitespaces))
        default: i = nil
        }
        guard let i else { throw invalid("must be an integer, not '\(value)'") }
        guard range.contains(i) else {
            if range.upperBound == Int.max { throw invalid("must be ≥ \(range.lowerBound), not \(i)") }
            throw invalid("must be between \(range.lowerBound) and \(range.upperBound), not \(i)")
        }
        return i
    }

    /// The value as a finite number.
    public func number() throws -> Double {
        let x: Double?
        switch value {
        case .number(let v): x = v
        case .integer(let v): x = Double(v)
        case .string(let s): x = Double(s.trimmingCharacters(in: .whitespaces))
        case .boolean: x = nil
        }
        guard let x, x.isFinite else { throw invalid("must be a number, not '\(value)'") }
        return x
    }

    /// The value as a string (a TOML string, or a flag's text).
    public func string() throws -> String {
        guard case .string(let s) = value else { throw invalid("must be a string, not \(value)") }
        return s
    }

    /// The value as `true` or `false`.
    public func boolean() throws -> Bool {
        switch value {
        case .boolean(let b): return b
        case .string("true"): return true
        case .string("false"): return false
        default: throw invalid("must be true or false, not '\(value)'")
        }
    }

    /// The value as one of an enum's cases, by raw value.
    public func choice<E: RawRepresentable & CaseIterable>(_: E.Type) throws -> E where E.RawValue == String {
        let s = try string()
        guard let e = E(rawValue: s) else {
            throw invalid("is '\(s)', expected one of \(E.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", "))")
        }
        return e
    }
}
