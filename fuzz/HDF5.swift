// libFuzzer target: opening a mutated HDF5 file (or `.keras` bundle) through
// the plugin (`HDF5Format.read`, formats/HDF5) from a temporary file, then
// reading every tensor's bytes.
// Any input must give a graph or an error, never a trap.
import FairAudit
import FormatHDF5
import Foundation

let h5Path = (FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm/" : NSTemporaryDirectory()) + "fuzz-hdf5-\(getpid()).h5"
let h5URL = URL(fileURLWithPath: h5Path)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard (try? Data(bytes: data, count: size).write(to: h5URL)) != nil else { fatalError("cannot write \(h5Path)") }
    guard let graph = try? HDF5Format.read(h5URL) else { return 0 }
    // Tensors up to 16 MB are read: larger ones take the same path, and their
    // bound (declared bytes at most 1000× the file size) is the product's own
    // check; under ASan each large buffer leaves its freed shadow resident, so
    // reading them made the process RSS creep past -rss_limit_mb (an OOM
    // report with a 35 MB live heap).
    for t in graph.tensors where t.byteCount <= 16 << 20 {
        if let raw = try? t.rawBytes() { precondition(raw.count == t.byteCount, "tensor \(t.name): \(raw.count) bytes") }
    }
    return 0
}
