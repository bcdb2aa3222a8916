import AuditFisher
import FairAudit
import FairAuditPlugins
import Testing

@Test func fisherAuditIsRegisteredByName() {
    #expect(Plugins.audits.contains { $0.name == "fisher" })
    #expect(FisherAudit.name == "fisher")
}
