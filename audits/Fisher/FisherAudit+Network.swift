import FairAudit

extension FisherAudit {
    /// Runs the audit on the model in `context.graph` (waits for the core executor).
    public func run(_ context: AuditContext) throws -> AuditResult {
        throw FisherError.fisherUnavailable(reason: "the executor is not part of this build yet")
    }
}
