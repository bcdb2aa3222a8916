import AuditFairness
import FairAudit
import FairAuditPlugins
import Testing

@Test func fairnessAuditIsRegisteredByName() {
    #expect(Plugins.audits.contains { $0.name == "fairness" })
    #expect(FairnessAudit.name == "fairness")
}
