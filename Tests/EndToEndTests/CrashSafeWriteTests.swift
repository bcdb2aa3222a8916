import FairAudit
import FairAuditPlugins
import Foundation
import Testing

/// `fairaudit convert` killed with SIGKILL in the middle of writing a large
/// output: nothing appears at the output path, the input keeps every byte,
/// and the leftover temporary file (if the kill left one) is the hidden
/// `.<name>.tmp-<pid>-<random>` that `AtomicFile` writes beside the output;
/// a later run into the same folder ignores it and succeeds.
///
/// The input is a 240 MB npz (3 stored float32 members of 80 MB) written
/// into a temp dir by the library's own NPZ writer, once for both outputs
/// (.h5 and .npz); disk use stays under 600 MB and everything is removed at
/// the end.
@Suite(.serialized) struct CrashSafeWriteTests {
    static let memberBytes = 80 << 20

    /// Writes the large npz; each member a different constant byte so the
    /// values are not all zero.
    static func makeLargeInput(in dir: URL) throws -> URL {
        let tensors = (0..<3).map { i in
            Tensor(
                name: "layer\(i).weight", dtype: .float32, shape: [memberBytes / 4 / 1024, 1024],
                storage: .bytes(Data(repeating: UInt8(0x3C + i), count: memberBytes)))
        }
        let url = dir.appendingPathComponent("large.npz")
        let graph = ModelGraph(format: "npz", layout: .torchStateDict, tensors: tensors)
        let format = try #require(Plugins.formats.format(forOutput: url))
        try format.write(graph, to: url, basedOn: nil)
        return url
    }

    /// SHA-256 of a file, by `sha256sum` (fast on 400 MB, unlike a Swift loop in a debug build).
    static func sha256(_ url: URL) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        p.arguments = [url.path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
    }

    @Test func killedMidWriteLeavesNoOutputAndTheInputIntact() throws {
        let work = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let input = try Self.makeLargeInput(in: work)
        let before = try Self.sha256(input)
        for output in ["out.h5", "out.npz"] {
            try Self.killMidWrite(input: input, output: output, in: work.appendingPathComponent("out-" + output))
        }
        #expect(try Self.sha256(input) == before, "the input changed")
    }

    /// Runs `convert input output` in `outDir`, kills it once the temporary file appears, and checks the folder.
    static func killMidWrite(input: URL, output: String, in outDir: URL) throws {
        try FileManager.default.createDirectory(at: outDir, withIntermediateDirectories: true)
        let out = outDir.appendingPathComponent(output)

        let p = Process()
        p.executableURL = CLI.productsDirectory.appendingPathComponent("fairaudit")
        // To h5: a new file written dataset by dataset; to npz: every member record copied.
        p.arguments = ["convert", input.path, out.path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        let start = Date()
        try p.run()
        // Poll until the temporary file appears, then kill at once.
        var temp: String?
        while p.isRunning, Date().timeIntervalSince(start) < 30 {
            temp = try FileManager.default.contentsOfDirectory(atPath: outDir.path).first {
                $0.hasPrefix(".\(output).tmp-")
            }
            if temp != nil { break }
            usleep(2_000)
        }
        let tempName = try #require(temp, "no temporary file appeared before the process ended")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(
            p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGKILL,
            "the process finished before the kill")

        #expect(!FileManager.default.fileExists(atPath: out.path), "a partial output exists at the output path")
        let left = try FileManager.default.contentsOfDirectory(atPath: outDir.path)
        #expect(left.allSatisfy { $0 == tempName }, "unexpected files: \(left)")
        let pattern = try Regex(
            "^\\.\(NSRegularExpression.escapedPattern(for: output))\\.tmp-\(p.processIdentifier)-[0-9]+\\.\((output as NSString).pathExtension)$"
        )
        #expect(tempName.wholeMatch(of: pattern) != nil, "temporary file named \(tempName)")

        // A later run into the same folder ignores the leftover and succeeds.
        let small = CLI.packageRoot.appendingPathComponent("Tests/FormatNPZTests/Resources/adult_mlp_torch.npz")
        let again = try CLI.run(["convert", small.path, out.path])
        #expect(again.code == 0, "\(again.stderr)")
        let written = try Plugins.formats.read(out)
        #expect(written.tensors.count == 6)
        #expect(Date().timeIntervalSince(start) < 60, "hang detector")
    }
}
