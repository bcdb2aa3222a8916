import FairAudit
import Foundation

/// Runs libhdf5's parse of an untrusted file first in a child process.
///
/// libhdf5 1.10 trusts many sizes and addresses in a file; fuzzed files make
/// it copy past its buffers (seen in the global heap, object headers and
/// free lists). The child walks the file exactly as the real read will
/// (groups, attributes, dataset headers, chunk indexes, small datasets);
/// when it dies of a signal the file is refused with an `HDF5Error` and the
/// caller's process never runs the crashing code. A child that exits
/// normally (with or without an error) lets the real read go ahead, which
/// then reports any error itself. A child that hangs is killed after
/// `timeoutSeconds` and the read goes ahead without the probe.
/// `FAIRAUDIT_HDF5_PROBE=0` turns the probe off.
enum HDF5Probe {
    /// Most seconds the child may take; after that it is killed and the
    /// file read without the probe.
    static let timeoutSeconds = 10.0

    /// Runs `body` in a forked child; throws when the child crashes.
    static func check(_ displayName: String, _ body: () throws -> Void) throws {
        guard ProcessInfo.processInfo.environment["FAIRAUDIT_HDF5_PROBE"] != "0" else { return }
        // No other thread is inside libhdf5 while forking, so the child's copy is consistent.
        let pid: pid_t = HDF5Library.locked { fork() }
        if pid == 0 {
            HDF5Library.isProbeChild = true
            // Die at once on a fault, without the Swift runtime's backtracer.
            for sig in [SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE, SIGTRAP] { signal(sig, SIG_DFL) }
            let ok = (try? body()) != nil
            _exit(ok ? 0 : 1)
        }
        guard pid > 0 else { return }  // cannot fork: read without the safety net
        let start = Date()
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { return }
            if Date().timeIntervalSince(start) > timeoutSeconds {
                // A child of a multi-threaded process can deadlock on a lock another thread held
                // at the fork; that says nothing about the file, so read it without the net.
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                return
            }
            usleep(r == 0 ? 2_000 : 0)
        }
        let signal = status & 0x7F
        if signal != 0 {
            throw HDF5Error.cannotOpen(file: displayName, reason: "the file is corrupt: libhdf5 crashed parsing it (signal \(signal)), so it was refused")
        }
    }

    /// The parse the child performs: every libhdf5 call `read` makes (walk,
    /// attributes, dataset headers, Keras attributes), plus the libhdf5 side
    /// of reading every dataset; no JSON or other Foundation work.
    static func parse(_ open: () throws -> HDF5File) throws {
        let file = try open()
        let c = try HDF5Format.contents(of: file)
        _ = try HDF5Format.kerasWeights(c)
        for t in c.tensors { _ = try file.readRaw(String(t.origin.dropFirst()), byteCount: t.byteCount, probe: true) }
    }
}
