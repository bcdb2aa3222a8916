import Foundation

extension HDF5Probe {
    /// The probe executable (`Sources/fairaudit-hdf5-probe`), which SwiftPM
    /// builds into the same folder as `fairaudit` and the test runner.
    static let executableName = "fairaudit-hdf5-probe"

    /// The probe executable next to the running executable, or nil.
    static let executableURL: URL? = {
        guard let running = Bundle.main.executableURL?.resolvingSymlinksInPath() else { return nil }
        let url = running.deletingLastPathComponent().appendingPathComponent(executableName)
        return FileManager.default.isExecutableFile(atPath: url.path) ? url : nil
    }()

    /// Runs the probe executable on `input`; `.unavailable` when it cannot start or does
    /// not understand its arguments (a stale build), so the fork is used.
    static func spawnProbe(_ executable: URL, _ input: Input, timeout: Double) -> Outcome {
        var arguments = [executable.path]
        switch input {
        case .file(let url, _): arguments += ["file", url.path]
        }
        guard let pid = spawn(arguments) else { return .unavailable }
        let result = wait(for: pid, timeout: timeout)
        // 127: the dynamic loader could not start it.
        if case .status(let s) = result, s & 0x7F == 0, [exitUsage, 127].contains((s >> 8) & 0xFF) {
            return .unavailable
        }
        return outcome(of: result)
    }

    /// Starts `arguments` with posix_spawn (safe in a multi-threaded
    /// process): the environment inherited, stdio on /dev/null (a crash
    /// report must not reach the caller's stderr), default signal
    /// dispositions and none blocked. Returns the child's pid.
    private static func spawn(_ arguments: [String]) -> pid_t? {
        #if canImport(Darwin)
            var actions: posix_spawn_file_actions_t?
            var attributes: posix_spawnattr_t?
        #else
            var actions = posix_spawn_file_actions_t()
            var attributes = posix_spawnattr_t()
        #endif
        guard posix_spawn_file_actions_init(&actions) == 0 else { return nil }
        defer { posix_spawn_file_actions_destroy(&actions) }
        guard posix_spawnattr_init(&attributes) == 0 else { return nil }
        defer { posix_spawnattr_destroy(&attributes) }
        for fd: Int32 in 0...2 {
            guard posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) == 0
            else { return nil }
        }
        var all = sigset_t()
        var none = sigset_t()
        sigfillset(&all)
        sigemptyset(&none)
        guard posix_spawnattr_setsigdefault(&attributes, &all) == 0,
            posix_spawnattr_setsigmask(&attributes, &none) == 0,
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)) == 0
        else { return nil }
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        #if canImport(Darwin)
            let environment = _NSGetEnviron().pointee
        #else
            let environment = environ
        #endif
        var pid: pid_t = 0
        return posix_spawn(&pid, arguments[0], &actions, &attributes, argv, environment) == 0 ? pid : nil
    }
}

/// The body of the `fairaudit-hdf5-probe` executable (not API): parses one
/// untrusted HDF5 file the way `HDF5Format.read` will, so that a crash in
/// libhdf5 kills this process instead of the caller (see `HDF5Probe`).
@_spi(HDF5Probe) public enum HDF5ProbeProcess {
    /// Runs the probe on `arguments` (`[executable, "file", path]`) and returns the exit
    /// status: 0 parsed, 3 libhdf5 failed with an error, 64 bad arguments.
    public static func main(_ arguments: [String]) -> Int32 {
        // Die at once on a fault, without the Swift runtime's backtracer.
        for sig in [SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE, SIGTRAP] { signal(sig, SIG_DFL) }
        #if os(Linux)
            // Descriptors inherited from the caller (a test's pipe to another child) must not be held open.
            closefrom(3)
        #endif
        let a = Array(arguments.dropFirst())
        switch (a.first, a.count) {
        case ("file", 2):
            return HDF5Probe.runParse(.file(URL(fileURLWithPath: a[1])))
        default:
            return HDF5Probe.exitUsage
        }
    }
}
