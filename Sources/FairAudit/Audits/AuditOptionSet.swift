import Foundation

/// One option an audit understands: its key in the audit's policy table
/// (`[audits.<name>]`) and in `--audit-option <name>.<key>=<value>`.
public struct AuditOptionKey: Sendable, Equatable {
    /// The key (`permutations`).
    public var name: String
    /// One line for people: what it sets and its default.
    public var help: String
    /// The `fairaudit audit` flag, without `--`, that the command forwards
    /// to this option (`save-fisher`); nil when only `--audit-option` sets it.
    public var flag: String?
    /// Also read from the top level of a policy, where it used to be, with a
    /// note on stderr naming its table.
    public var formerTopLevel: Bool

    /// Creates a key.
    public init(_ name: String, help: String, flag: String? = nil, formerTopLevel: Bool = false) {
        self.name = name
        self.help = help
        self.flag = flag
        self.formerTopLevel = formerTopLevel
    }
}

/// An audit's own settings: a value type with defaults that reads each
/// setting given to its audit, from a policy table or a forwarded flag.
public protocol AuditOptionSet: Sendable {
    /// The defaults.
    init()
    /// Every key the options read.
    static var keys: [AuditOptionKey] { get }
    /// Reads one setting (its key is one of ``keys``); throws
    /// `setting.invalid(…)` for a value it cannot take.
    mutating func apply(_ setting: AuditSetting) throws
}

/// The options of an audit that has none.
public struct NoAuditOptions: AuditOptionSet {
    /// Nothing to set.
    public init() {}
    /// No keys.
    public static var keys: [AuditOptionKey] { [] }
    /// Never called: ``AuditSettings`` refuses keys an audit does not list.
    public mutating func apply(_ setting: AuditSetting) throws {
        throw setting.invalid("is not an option of this audit (it has none)")
    }
}

/// Every audit's settings: raw settings from a policy and from flags, in
/// the order given (a later one wins), over typed options set in code.
/// Each audit reads its own (``Audit/options(_:)``); the core never looks
/// inside them, except for the key `enabled` every audit has.
public struct AuditSettings: Sendable {
    /// The key that turns an audit off (`[audits.fisher] enabled = false`, `--no-fisher`).
    public static let enabledKey = "enabled"
    /// Raw settings in the order given.
    public private(set) var settings: [AuditSetting] = []
    /// Options set in code, by audit name.
    private var typed: [String: any AuditOptionSet] = [:]

    /// No settings: every audit's defaults.
    public init() {}

    /// The options set in code for audit `A` (its defaults when none were);
    /// the raw settings apply on top of them when the audit reads its options.
    public subscript<A: Audit>(_: A.Type) -> A.Options {
        get { typed[A.name] as? A.Options ?? A.Options() }
        set { typed[A.name] = newValue }
    }

    /// Adds a raw setting after the others (it wins over earlier ones).
    public mutating func add(_ setting: AuditSetting) { settings.append(setting) }

    /// Audit `A`'s options: those set in code, then every raw setting for it in order.
    public func options<A: Audit>(for _: A.Type) throws -> A.Options {
        var o = self[A.self]
        let keys = A.Options.keys
        for s in settings where s.audit == A.name && s.key != Self.enabledKey {
            guard keys.contains(where: { $0.name == s.key }) else {
                let known = (keys.map(\.name) + [Self.enabledKey]).joined(separator: ", ")
                throw s.invalid("is not an option of the \(A.name) audit (known: \(known))")
            }
            try o.apply(s)
        }
        return o
    }

    /// Whether audit `name` runs: the last `enabled` setting for it, true without one.
    public func isEnabled(_ name: String) throws -> Bool {
        try settings.last { $0.audit == name && $0.key == Self.enabledKey }?.boolean() ?? true
    }

    /// The audits of `audits` that are not turned off, in order.
    public func enabled(_ audits: [any Audit.Type]) throws -> [any Audit.Type] {
        try audits.filter { try isEnabled($0.name) }
    }

    /// Checks that each of `audits` reads its options without error (settings
    /// for other audits are left alone).
    public func check(_ audits: [any Audit.Type]) throws {
        for audit in audits { try check(audit) }
    }

    /// Checks that every setting names one of `audits` and one of its keys,
    /// and that each audit's options read without error.
    public func validate(_ audits: [any Audit.Type]) throws {
        let names = Set(audits.map { $0.name })
        if let stray = settings.first(where: { !names.contains($0.audit) }) {
            let known = audits.map { $0.name }.joined(separator: ", ")
            throw stray.invalid("is set for an audit that does not exist (audits: \(known))")
        }
        for audit in audits { try check(audit) }
    }

    /// Reads audit `A`'s options and whether it runs, for the errors only.
    private func check<A: Audit>(_: A.Type) throws {
        _ = try isEnabled(A.name)
        _ = try options(for: A.self)
    }

    /// Adds the value of a command-line flag that a command forwards
    /// without knowing which audit owns it: the audit one of whose keys
    /// declares `flag` gets it, and `no-<audit>` turns that audit off.
    /// Returns false when no audit of `audits` claims the flag.
    @discardableResult
    public mutating func forward(flag: String, value: String, audits: [any Audit.Type]) -> Bool {
        for audit in audits {
            if flag == "no-" + audit.name {
                if value == "true" {
                    add(
                        AuditSetting(
                            audit: audit.name, key: Self.enabledKey, value: .boolean(false), origin: .flag("--" + flag))
                    )
                }
                return true
            }
            if let key = audit.optionKeys.first(where: { $0.flag == flag }) {
                add(AuditSetting(audit: audit.name, key: key.name, value: .string(value), origin: .flag("--" + flag)))
                return true
            }
        }
        return false
    }

    /// Adds `<audit>.<key>=<value>` as given to `flag` (`--audit-option`).
    public mutating func add(spec: String, flag: String) throws {
        let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
        let path = parts.first?.split(separator: ".", maxSplits: 1).map(String.init) ?? []
        guard parts.count == 2, path.count == 2, !path[0].isEmpty, !path[1].isEmpty else {
            throw FairAuditError.invalidInput(path: flag, reason: "'\(spec)' is not <audit>.<key>=<value>")
        }
        add(AuditSetting(audit: path[0], key: path[1], value: .string(parts[1]), origin: .flag(flag)))
    }
}
