import Foundation

extension HDF5Probe {
    /// How waiting for a probe process ended.
    enum WaitResult: Equatable {
        /// It exited; the `waitpid` status.
        case status(Int32)
        /// It ran past the timeout and was killed.
        case timedOut
        /// Its status could not be collected (another waiter reaped it).
        case lost
    }

    /// Waits for child `pid` at most `timeout` seconds, polling (from 0.1 ms
    /// up to every 2 ms, so a quick probe costs little); kills it after.
    static func wait(for pid: pid_t, timeout: Double) -> WaitResult {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(max(0, timeout))
        var status: Int32 = 0
        var pause: UInt32 = 100
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { return .status(status) }
            if r < 0 && errno != EINTR { return .lost }
            if clock.now >= deadline {
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                return .timedOut
            }
            usleep(pause)
            pause = min(pause * 2, 2_000)
        }
    }

    /// The outcome a probe's `waitpid` status tells: `exitParsed` parsed,
    /// `exitFailed` failed cleanly; a signal, or any other exit status (a
    /// sanitizer's report, a runtime trap), is a crash.
    static func outcome(ofStatus status: Int32) -> Outcome {
        let signal = status & 0x7F
        if signal != 0 { return .crashed(how: "signal \(signal)") }
        let code = (status >> 8) & 0xFF
        switch code {
        case exitParsed: return .parsed
        case exitFailed: return .failedCleanly
        default: return .crashed(how: "exit status \(code)")
        }
    }

    /// The outcome of a wait.
    static func outcome(of result: WaitResult) -> Outcome {
        switch result {
        case .status(let s): outcome(ofStatus: s)
        case .timedOut: .timedOut
        case .lost: .unavailable
        }
    }
}
