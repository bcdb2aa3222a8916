import AuditFairness
import AuditFisher
import FairAudit
import FormatHDF5
import FormatNPZ
import FormatONNX

/// The one place that lists every plugin. A folder under `formats/` or
/// `audits/` that is missing here fails `RegistryTests`.
public enum Plugins {
    /// Every format, asked in this order for a file's magic bytes.
    public static let formats = FormatRegistry([HDF5Format.self, NPZFormat.self, ONNXFormat.self])
    /// Every audit, run in this order.
    public static let audits: [any Audit.Type] = [FairnessAudit.self, FisherAudit.self]
}
