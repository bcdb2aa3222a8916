import AuditFairness
import AuditFisher
import FairAudit
import FormatHDF5
import FormatNPZ
import FormatONNX
import FormatPyTorch
import FormatSafeTensors

/// The one place that lists every plugin. A folder under `formats/` or
/// `audits/` that is missing here fails `RegistryTests`.
public enum Plugins {
    /// Every format, asked in this order for a file's magic bytes (PyTorch
    /// before NPZ: both are zips, and only PyTorch claims a `data.pkl`).
    public static let formats = FormatRegistry([
        HDF5Format.self, PyTorchFormat.self, NPZFormat.self,
        SafeTensorsFormat.self, ONNXFormat.self,
    ])
    /// Every audit, run in this order.
    public static let audits: [any Audit.Type] = [FairnessAudit.self, FisherAudit.self]
}
