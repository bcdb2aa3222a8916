import FairAudit
import Foundation

/// The Fisher audit's own options: `[audits.fisher]` in a policy, the
/// `--permutations`, `--top`, `--fisher` and `--save-fisher` flags of
/// `fairaudit audit`, or `--audit-option fisher.<key>=<value>`.
public struct FisherOptions: AuditOptionSet, Equatable {
    /// Permutation rounds of the null (docs/method.md §2); 0 turns it off.
    public var permutations = 20
    /// How many most group-influential parameters to list.
    public var top = 10
    /// The Fisher from the observed labels, or from the model's own predictive distribution.
    public var kind: FisherKind = .empirical
    /// Where to save each group's raw Fisher (`<group>/<tensor>` arrays), in
    /// the format the extension names (`.npz`, `.safetensors`); nil: nowhere.
    public var save: URL?

    /// The defaults.
    public init() {}

    /// The keys, with the flags that set them.
    public static let keys: [AuditOptionKey] = [
        AuditOptionKey(
            "permutations", help: "permutation rounds of the null (default 20, 0 turns it off)", flag: "permutations",
            formerTopLevel: true),
        AuditOptionKey("top", help: "how many most group-influential parameters to list (default 10)", flag: "top"),
        AuditOptionKey("kind", help: "empirical (observed labels, the default) or model", flag: "fisher"),
        AuditOptionKey(
            "save", help: "save each group's raw Fisher to this .npz or .safetensors file", flag: "save-fisher"),
    ]

    /// Reads one setting.
    public mutating func apply(_ setting: AuditSetting) throws {
        switch setting.key {
        case "permutations": permutations = try setting.integer(in: 0...10_000)
        case "top": top = try setting.integer(in: 0...Int.max)
        case "kind": kind = try setting.choice(FisherKind.self)
        default:
            let path = try setting.string()
            // A policy's path is relative to the policy file's folder.
            if case .policy(let file, _) = setting.origin, !path.hasPrefix("/") {
                save = URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent(path)
            } else {
                save = URL(fileURLWithPath: path)
            }
        }
    }
}
