import Foundation
import Testing

/// Runs the built `fairaudit` under an address-space limit (`ulimit -v`
/// through `/bin/sh`) and a wall-clock deadline, for the hardening tests: an
/// unbounded allocation fails instead of succeeding, a hang is killed.
enum LimitedRun {
    struct Result {
        var stdout: String
        var stderr: String
        var code: Int32
        /// Wall-clock seconds from launch to exit.
        var seconds: Double
        /// True when the deadline passed and the process was killed.
        var killed: Bool
    }

    /// Address-space limit in KiB: 1 GiB. A normal run of the debug build
    /// needs about 600 MB of address space (OpenBLAS reserves 128 MB buffers);
    /// every absurd size in the corpus declares 4 GB or more.
    static let addressSpaceKiB = 1 << 20

    /// False when the binary cannot start under the limit at all: a build
    /// with `--sanitize=thread` or `address` reserves terabytes of shadow
    /// address space and exits at once under `ulimit -v`. The memory bound
    /// is then not enforced (the other checks still are).
    static let limitUsable: Bool = {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        let binary = CLI.productsDirectory.appendingPathComponent("fairaudit").path
        p.arguments = ["-c", "ulimit -v \(addressSpaceKiB) && exec \"$0\" --help", binary]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }()

    /// Runs `fairaudit args…` with the limit; kills it after `deadline` seconds.
    static func run(_ args: [String], in directory: URL? = nil, deadline: Double = 60) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        let binary = CLI.productsDirectory.appendingPathComponent("fairaudit").path
        try #require(
            FileManager.default.isExecutableFile(atPath: binary), "the fairaudit binary is not built at \(binary)")
        let limit = limitUsable ? "ulimit -v \(addressSpaceKiB) && " : ""
        p.arguments = ["-c", limit + "exec \"$0\" \"$@\"", binary] + args
        if let directory { p.currentDirectoryURL = directory }
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "GITHUB_STEP_SUMMARY")
        p.environment = env
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let outData = LockedData()
        let errData = LockedData()
        let start = Date()
        try p.run()
        let readers = [(out, outData), (err, errData)].map { pipe, box in
            Thread { box.set(pipe.fileHandleForReading.readDataToEndOfFile()) }
        }
        readers.forEach { $0.start() }
        var killed = false
        while p.isRunning {
            if Date().timeIntervalSince(start) > deadline {
                kill(p.processIdentifier, SIGKILL)
                killed = true
                break
            }
            usleep(5_000)
        }
        p.waitUntilExit()
        let seconds = Date().timeIntervalSince(start)
        while !outData.isSet || !errData.isSet { usleep(1_000) }
        return Result(
            stdout: String(decoding: outData.value, as: UTF8.self),
            stderr: String(decoding: errData.value, as: UTF8.self),
            code: p.terminationStatus, seconds: seconds, killed: killed)
    }
}
