import Foundation
import Testing

/// Runs the built `fairaudit` binary and captures what it prints.
enum CLI {
    struct Result {
        var stdout: String
        var stderr: String
        var code: Int32
    }

    /// The folder holding the built products (beside the test bundle).
    static var productsDirectory: URL {
        Bundle.main.bundleURL.hasDirectoryPath && Bundle.main.bundleURL.pathExtension == "xctest"
            ? Bundle.main.bundleURL.deletingLastPathComponent()
            : Bundle.main.bundleURL
    }

    /// The package root (for `examples/`).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Runs `fairaudit args…` in `directory` with `environment` added and,
    /// when given, `stdin` written to its standard input.
    static func run(
        _ args: [String], in directory: URL? = nil, environment: [String: String] = [:], stdin: Data? = nil
    ) throws -> Result {
        let binary = productsDirectory.appendingPathComponent("fairaudit")
        try #require(
            FileManager.default.isExecutableFile(atPath: binary.path),
            "the fairaudit binary is not built at \(binary.path)")
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        if let directory { p.currentDirectoryURL = directory }
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "GITHUB_STEP_SUMMARY")
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let input = Pipe()
        if stdin != nil { p.standardInput = input }
        try p.run()
        if let stdin {
            // Written from its own thread, so a child that prints before reading cannot block on a full pipe.
            let writer = Thread {
                input.fileHandleForWriting.write(stdin)
                try? input.fileHandleForWriting.close()
            }
            writer.start()
        }
        // Read both pipes concurrently so a large output cannot block the child.
        let errData = LockedData()
        let reader = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        while !errData.isSet { usleep(1000) }
        return Result(
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData.value, as: UTF8.self), code: p.terminationStatus)
    }

    /// A fresh temporary folder.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fairaudit-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

}

/// A Data box one thread sets and another reads.
final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    func set(_ d: Data) {
        lock.lock()
        data = d
        lock.unlock()
    }
    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return data != nil
    }
    var value: Data {
        lock.lock()
        defer { lock.unlock() }
        return data ?? Data()
    }
}
