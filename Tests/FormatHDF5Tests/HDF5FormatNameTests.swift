import FairAudit
import FairAuditPlugins
import FormatHDF5
import Testing

@Test func hdf5FormatIsRegisteredByName() {
    #expect(Plugins.formats.format(named: "hdf5") == nil ? false : true)
    #expect(HDF5Format.name == "hdf5")
}
