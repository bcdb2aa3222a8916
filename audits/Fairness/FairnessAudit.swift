import FairAudit
import Foundation

/// Group fairness metrics (METHOD.md section 7).
public struct FairnessAudit: Audit {
    public static let name = "fairness"
    public init() {}
    public func run(_ context: AuditContext) throws -> AuditResult {
        throw FairAuditError.unsupportedModel(reason: "fairness audit not implemented")
    }
}
