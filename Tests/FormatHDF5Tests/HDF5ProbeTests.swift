import Foundation
import Testing

@testable import FormatHDF5

/// The probe (`HDF5Probe`): libhdf5 parses an untrusted file in the caller's
/// process only after a probe process concluded that it does not crash.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["FAIRAUDIT_HDF5_PROBE"] != "0", "the probe is turned off"))
struct HDF5ProbeTests {
    /// SwiftPM builds `fairaudit-hdf5-probe` next to the test runner, so the
    /// tests exercise the spawned probe, not the fork fallback.
    @Test func probeExecutableIsFoundNextToTheRunningExecutable() throws {
        let url = try #require(HDF5Probe.executableURL)
        #expect(url.lastPathComponent == "fairaudit-hdf5-probe")
        #expect(
            url.deletingLastPathComponent()
                == Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent())
    }

    /// The spawned probe on its own: a file (under its path or another name) on which
    /// libhdf5 1.10.8 faults are reported as crashes, good ones as parsed,
    /// and a file libhdf5 rejects with an error as failed cleanly (the read reports it).
    /// (`fuzz_global_heap_bad_index.h5` faults at once; `crash_header.h5`
    /// first has libhdf5 `calloc` gigabytes, seconds under ThreadSanitizer.)
    @Test func spawnedProbeTellsCrashesFromParses() throws {
        let exe = try #require(HDF5Probe.executableURL)
        let t = HDF5Probe.timeoutSeconds
        let crash = try Fixtures.url("fuzz_global_heap_bad_index.h5")
        let good = try Fixtures.url("adult_mlp.h5")
        let notHDF5 = try Fixtures.url("not_hdf5.h5")
        #expect(HDF5Probe.spawnProbe(exe, .file(good), timeout: t) == .parsed)
        #expect(HDF5Probe.spawnProbe(exe, .file(notHDF5), timeout: t) == .failedCleanly)
        #expect(HDF5Probe.spawnProbe(exe, .file(good, displayName: "good"), timeout: t) == .parsed)
        for input in [HDF5Probe.Input.file(crash), .file(crash, displayName: "crash")] {
            let outcome = HDF5Probe.spawnProbe(exe, input, timeout: t)
            guard case .crashed = outcome else {
                Issue.record("\(input.displayName): \(outcome)")
                continue
            }
        }
    }

    /// A probe that does not finish in time (here: a timeout of 0 s) gets even
    /// a good file refused, with one line naming it; the read never goes
    /// ahead without a verdict. Both the spawned probe and the fork fallback.
    @Test(arguments: [false, true])
    func probeThatDoesNotFinishRefusesTheFile(fork: Bool) throws {
        for (file, name) in [("adult_mlp.h5", ""), ("adult_mlp.keras", "/model.weights.h5")] {
            let url = try Fixtures.url(file)
            do {
                let graph = try HDF5Probe.$forceFork.withValue(fork) {
                    try HDF5Probe.$timeoutOverride.withValue(0) { try HDF5Format.read(url) }
                }
                Issue.record("\(file) was read (\(graph.tensors.count) tensors) without a probe's verdict")
            } catch let e as HDF5Error {
                #expect(
                    e.description
                        == "\(url.path)\(name): cannot open as HDF5: libhdf5 did not finish checking the file in 0 s; refused"
                )
            }
        }
    }

    /// The fork fallback (a binary without the probe executable beside it)
    /// still reads a good file exactly as the spawned probe lets it be read.
    /// (Its refusals are covered by the timeout test above and the fuzz
    /// target; the quick crash fixture is no use here: its wild read faults or
    /// not depending on the forked process's memory layout.)
    @Test func forkFallbackReadsGoodFilesAsTheSpawnedProbeDoes() throws {
        let good = try Fixtures.url("adult_mlp.h5")
        let spawned = try HDF5Format.read(good)
        #expect(HDF5Probe.forkProbe(.file(good), timeout: HDF5Probe.timeoutSeconds) == .parsed)
        let forked = try HDF5Probe.$forceFork.withValue(true) { try HDF5Format.read(good) }
        #expect(forked.tensors.map(\.name) == spawned.tensors.map(\.name))
        #expect(forked.tensors.count == 20)  // h5py: 20 datasets in the file
    }

    /// `waitpid` statuses (Linux encoding: signal in the low 7 bits, exit
    /// status in bits 8–15): only exit 0 and 3 are verdicts that let the read go ahead.
    @Test func waitStatusesMapToOutcomes() {
        #expect(HDF5Probe.outcome(ofStatus: 0) == .parsed)
        #expect(HDF5Probe.outcome(ofStatus: 3 << 8) == .failedCleanly)
        #expect(HDF5Probe.outcome(ofStatus: 1 << 8) == .crashed(how: "exit status 1"))
        #expect(HDF5Probe.outcome(ofStatus: 66 << 8) == .crashed(how: "exit status 66"))  // a ThreadSanitizer report
        #expect(HDF5Probe.outcome(ofStatus: 11) == .crashed(how: "signal 11"))
        #expect(HDF5Probe.outcome(ofStatus: 0x80 | 6) == .crashed(how: "signal 6"))  // SIGABRT with a core dump
        #expect(HDF5Probe.outcome(of: .timedOut) == .timedOut)
        #expect(HDF5Probe.outcome(of: .lost) == .unavailable)
    }

    /// A probe that parsed the file to the end has run the global-heap check
    /// on it, so `check` says so and the read does not scan the file again;
    /// a file the probe failed on (not HDF5, or a damaged heap) is scanned
    /// and refused in this process, with this process's own error.
    @Test func clearedFilesAreNotScannedTwice() throws {
        let good = try Fixtures.url("adult_mlp.h5")
        let notHDF5 = try Fixtures.url("not_hdf5.h5")
        let badHeap = try Fixtures.url("fuzz_global_heap_object_size.h5")
        #expect(try HDF5Probe.check(.file(good)))
        #expect(try !HDF5Probe.check(.file(notHDF5)))
        #expect(try !HDF5Probe.check(.file(badHeap)))
        #expect(throws: HDF5Error.self) { try HDF5Format.read(badHeap) }

        let scanned = try HDF5File.open(good)
        try scanned.checkGlobalHeaps()
        try scanned.checkGlobalHeaps()
        #expect(scanned.heapCheck.scans == 1)
        let cleared = try HDF5File.open(good)
        cleared.heapsCheckedElsewhere()
        try cleared.checkGlobalHeaps()
        #expect(cleared.heapCheck.scans == 0)
    }
}
