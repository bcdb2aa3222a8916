import Foundation

extension HDF5Probe {
    /// Attempts of the forked probe: a child of a multi-threaded process can
    /// deadlock on a lock another thread held at the fork, which says nothing
    /// about the file, so a timeout is retried once before the file is refused.
    static let forkAttempts = 2

    /// The fallback when the probe executable is missing (a binary copied
    /// alone, the fuzz target): the walk in a forked child.
    static func forkProbe(_ input: Input, timeout: Double) -> Outcome {
        var outcome = Outcome.unavailable
        for _ in 0..<forkAttempts {
            outcome = forkOnce(input, timeout: timeout)
            if outcome != .timedOut { break }
        }
        return outcome
    }

    /// One forked child running the walk.
    private static func forkOnce(_ input: Input, timeout: Double) -> Outcome {
        // No other thread is inside libhdf5 while forking, so the child's copy is consistent.
        let pid: pid_t = HDF5Library.locked { fork() }
        if pid == 0 {
            HDF5Library.isProbeChild = true
            // Die at once on a fault, without the Swift runtime's backtracer.
            for sig in [SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE, SIGTRAP] { signal(sig, SIG_DFL) }
            _exit(runParse(input))
        }
        guard pid > 0 else { return .unavailable }
        return outcome(of: wait(for: pid, timeout: timeout))
    }
}
