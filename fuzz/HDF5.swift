// libFuzzer target: opening a mutated HDF5 file (or `.keras` bundle) through
// the plugin (`HDF5Format.read`, formats/HDF5) from a temporary file, then
// reading every tensor's bytes.
// Any input must give a graph or an error, never a trap.
//
// The plugin first parses an untrusted file in a probe process (`HDF5Probe`;
// here a forked child, as no fairaudit-hdf5-probe executable sits beside this
// binary) and refuses the file when the probe dies, so libhdf5's own memory
// errors never reach the caller. Under ASan a memory error in the child is
// reported by the sanitizer, which then exits; so that the refusal reads as
// it would without ASan, a child process's ASan report ends it with SIGSEGV;
// errors in the fuzzing process itself are reported as usual.
import FairAudit
import FormatHDF5
import Foundation

@_silgen_name("__sanitizer_set_death_callback")
func sanitizerSetDeathCallback(_ callback: (@convention(c) () -> Void)?)

let fuzzerPID = getpid()
let installChildHandler: Void = {
    _ = pthread_atfork(nil, nil) {
        sanitizerSetDeathCallback {
            signal(SIGSEGV, SIG_DFL)
            raise(SIGSEGV)
        }
    }
}()

let h5Path =
    (FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm/" : NSTemporaryDirectory())
    + "fuzz-hdf5-\(getpid()).h5"
let h5URL = URL(fileURLWithPath: h5Path)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = installChildHandler
    guard (try? Data(bytes: data, count: size).write(to: h5URL)) != nil else { fatalError("cannot write \(h5Path)") }
    guard let graph = try? HDF5Format.read(h5URL) else { return 0 }
    // Tensors up to 16 MB are read: larger ones take the same path, and their
    // bound (declared bytes at most 1000× the file size) is the product's own
    // check; under ASan each large buffer leaves its freed shadow resident, so
    // reading them made the process RSS creep past -rss_limit_mb (an OOM
    // report with a 35 MB live heap).
    for t in graph.tensors where t.byteCount <= 16 << 20 {
        if let raw = try? t.rawBytes() {
            precondition(raw.count == t.byteCount, "tensor \(t.name): \(raw.count) bytes")
        }
    }
    return 0
}
