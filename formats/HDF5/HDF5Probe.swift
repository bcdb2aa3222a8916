import FairAudit
import Foundation

/// Runs libhdf5's parse of an untrusted file first in another process.
///
/// libhdf5 1.10 trusts many sizes and addresses in a file; fuzzed files make
/// it copy past its buffers (seen in the global heap, object headers and
/// free lists). The probe process walks the file exactly as the real read
/// will (groups, attributes, dataset headers, chunk indexes, small
/// datasets). The real read goes ahead only when a probe concluded: libhdf5
/// parsed the file, or failed on it with an error (which the real read then
/// reports itself). A probe that dies (a signal, or any exit status but the
/// two it uses) or does not finish within `timeoutSeconds` gets the file
/// refused with an `HDF5Error`: libhdf5 never parses an unchecked file in
/// the caller's process.
///
/// The probe is a freshly started `fairaudit-hdf5-probe`, found next to the
/// running executable (`HDF5Probe+Spawn.swift`). A forked copy of a
/// multi-threaded process can deadlock on a lock another thread held at the
/// fork (seen under ThreadSanitizer: the Swift runtime's metadata cache), so
/// a forked child (`HDF5Probe+Fork.swift`) is only the fallback when that
/// executable is missing. `FAIRAUDIT_HDF5_PROBE=0` turns the probe off.
enum HDF5Probe {
    /// Most seconds a probe may take. A plain build takes milliseconds; a
    /// ThreadSanitizer build takes 8–11 s on the corrupt fixtures that make
    /// libhdf5 `calloc` gigabytes (the sanitizer zero-fills them) before it faults.
    static let timeoutSeconds = 30.0

    /// Tests only: the timeout used by probes run from the current task.
    @TaskLocal static var timeoutOverride: Double?
    /// Tests only: use the forked child even when the probe executable exists.
    @TaskLocal static var forceFork = false

    /// What a probe opens.
    enum Input {
        /// A file on disk, and the name used in errors when it is not the
        /// path (`bundle.keras/model.weights.h5` for a `.keras` member
        /// extracted to a private temporary file).
        case file(URL, displayName: String? = nil)

        /// The name used in errors.
        var displayName: String {
            switch self {
            case .file(let url, let name): name ?? url.path
            }
        }
    }

    /// How a probe ended.
    enum Outcome: Equatable {
        /// libhdf5 parsed the whole file, global-heap check included: the real
        /// read may go ahead and need not scan the heaps again.
        case parsed
        /// libhdf5 (or a check of ours) failed on the file with an error, not a
        /// crash: the real read may go ahead and will report that error itself.
        case failedCleanly
        /// The probe died; `how` is "signal 11" or "exit status 66".
        case crashed(how: String)
        /// The probe was killed at the timeout.
        case timedOut
        /// No probe process could run or report.
        case unavailable
    }

    /// Exit status of a probe whose parse succeeded.
    static let exitParsed: Int32 = 0
    /// Exit status of a probe whose parse ended in an error (not a crash).
    static let exitFailed: Int32 = 3
    /// Exit status of a probe executable given arguments it does not know.
    static let exitUsage: Int32 = 64

    /// Throws an `HDF5Error` naming the file unless a probe process concluded
    /// that libhdf5 parses `input` without crashing. Returns true when the
    /// probe parsed the whole file cleanly, global heaps included (see
    /// `HDF5File.heapsCheckedElsewhere()`); false when it failed with an
    /// error the real read will report, or the probe is off.
    @discardableResult
    static func check(_ input: Input) throws -> Bool {
        guard ProcessInfo.processInfo.environment["FAIRAUDIT_HDF5_PROBE"] != "0" else { return false }
        let timeout = timeoutOverride ?? timeoutSeconds
        var outcome = Outcome.unavailable
        if !forceFork, let executable = executableURL { outcome = spawnProbe(executable, input, timeout: timeout) }
        if outcome == .unavailable { outcome = forkProbe(input, timeout: timeout) }
        let name = input.displayName
        switch outcome {
        case .parsed:
            return true
        case .failedCleanly:
            return false
        case .crashed(let how):
            throw HDF5Error.cannotOpen(
                file: name, reason: "the file is corrupt: libhdf5 crashed parsing it (\(how)), so it was refused")
        case .timedOut:
            throw HDF5Error.cannotOpen(
                file: name,
                reason: "libhdf5 did not finish checking the file in \(String(format: "%g", timeout)) s; refused")
        case .unavailable:
            throw HDF5Error.cannotOpen(
                file: name, reason: "no process could be started to check the file with libhdf5; refused")
        }
    }

    /// The parse a probe performs: every libhdf5 call `read` makes (walk,
    /// attributes, dataset headers, Keras attributes), plus the libhdf5 side
    /// of reading every dataset; no JSON or other Foundation work.
    static func parse(_ open: () throws -> HDF5File) throws {
        let file = try open()
        let c = try HDF5Format.contents(of: file)
        _ = try HDF5Format.kerasWeights(c)
        for t in c.tensors { _ = try file.readRaw(String(t.origin.dropFirst()), byteCount: t.byteCount, probe: true) }
    }

    /// Parses `input` in this (probe) process; returns the exit status to report.
    static func runParse(_ input: Input) -> Int32 {
        switch input {
        case .file(let url, _): (try? parse { try HDF5File.open(url) }) != nil ? exitParsed : exitFailed
        }
    }
}
