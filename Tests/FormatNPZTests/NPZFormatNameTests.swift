import FairAudit
import FairAuditPlugins
import FormatNPZ
import Testing

@Test func npzFormatIsRegisteredByName() {
    #expect(Plugins.formats.format(named: "npz") == nil ? false : true)
    #expect(NPZFormat.name == "npz")
}
