import FairAudit
import FairAuditPlugins
import AuditFairness
import Testing

@Test func fairnessAuditIsRegisteredByName() {
    #expect(Plugins.audits.contains { $0.name == "fairness" })
    #expect(FairnessAudit.name == "fairness")
}
