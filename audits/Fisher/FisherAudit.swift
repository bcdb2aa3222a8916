import FairAudit
import FormatNPZ
import Foundation

/// Per-group Fisher information divergence (METHOD.md sections 1–2).
public struct FisherAudit: Audit {
    public static let name = "fisher"
    public init() {}
    public func run(_ context: AuditContext) throws -> AuditResult {
        throw FairAuditError.unsupportedModel(reason: "fisher audit not implemented")
    }
}
