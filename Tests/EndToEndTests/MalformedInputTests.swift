import Foundation
import Testing

/// The malformed-input corpus (`Resources/malformed/`, written by
/// `scripts/fixtures/make_malformed.py` from real numpy/h5py/Keras files and
/// the Adult data), each file run end to end through the built binary under
/// a 1 GiB address-space limit.
///
/// 90 cases: 81 corpus files + the 10 MB single-line CSV (written at test
/// time) + 2 controls (one test) + 6 convert/fix cases. Every corpus case checks:
/// exit code 2; exactly one line on stderr; that line names the file and the
/// member / dataset / link / line+column where there is one (`mentions`);
/// nothing on stdout; finished in under 5 s (a hang detector: killed at 60 s);
/// the memory limit was not hit (no crash, no signal). The cases:
///
/// - npz (21): truncated at 0, 3, 30, 200, half, EOCD−1 and last byte; a
///   deflated npz cut in half; broken local-header magic; a CRC error; a
///   corrupt deflate stream; a duplicate member; overlapping members; a zip
///   bomb (4 GB declared from 105 bytes); local and central sizes disagreeing;
///   an EOCD pointing past the end; a non-.npy member; a member without the
///   npy magic; a pickled object array; a header shape larger than the data;
///   compression method 12.
/// - npy (14): 10^12 elements declared; a shape overflowing Int; a negative
///   dimension; truncated at 4, 9, 40, 127 bytes; data shorter than the shape;
///   bad magic; version 9; a pickled object array; a header that is Python
///   code; a header length past the end; a v3 header that is not UTF-8.
/// - h5 (15): truncated at 0, 8, 100, 1024, 4096, half and end−100; bad
///   signature; zeroed superblock; an external link; external storage; a
///   virtual dataset; 100 nested groups; a 4 TB gzip and a 16 GB contiguous
///   dataset in 1.4 KB files.
/// - Keras .h5 (8): `weight_names` naming a missing dataset; a string dataset
///   as a weight; a shape that disagrees with `model_config`; a Conv2D and a
///   Lambda layer (run by `audit`); a weight replaced by a soft-link cycle; a
///   `model_config` that is not JSON; one nested 10,000 lists deep.
/// - .keras (6): truncated; no `model.weights.h5`; `config.json` not JSON;
///   a Conv2D layer (run by `audit`); the weights member truncated; a CRC
///   error in the weights member. (Member names are checked once the binary
///   reads `.keras` bundles; before that, exit 2 + one line naming the file.)
/// - CSV (17, `audit examples/adult/model.h5 --data FILE --label income
///   --group sex --ignore race`): NaN, -inf, empty and non-numeric feature
///   cells; non-UTF-8 in a group cell and in a feature cell; a ragged and a
///   short row; missing label and group columns; a feature count ≠ the
///   model's 80 inputs; a label with a third value; one group only; a header
///   with no rows; an empty file; an unclosed quote; a duplicate column name;
///   and the 10 MB single line (over the 1 MiB record limit).
/// - Controls (2): the valid CSV and the untouched Keras .h5 exit 0, so every
///   other case fails for its own defect.
@Suite(.serialized) struct MalformedInputTests {
    /// How a corpus file is run.
    enum Command: Sendable { case inspect, auditData, auditModel }

    /// One corpus file, its command, and what stderr must mention besides the path.
    struct Case: Sendable, CustomStringConvertible {
        var file: String
        var command: Command = .inspect
        var mentions: [String] = []
        /// A `.keras` case: mentions checked only once bundles are read.
        var bundle = false
        var description: String { file }
    }

    static let root = CLI.packageRoot
    static let model = root.appendingPathComponent("examples/adult/model.h5").path
    static let groups = root.appendingPathComponent("examples/adult/groups.csv").path

    static func args(_ c: Case, path: String) -> [String] {
        let columns = ["--label", "income", "--group", "sex", "--ignore", "race"]
        switch c.command {
        case .inspect: return ["inspect", path]
        case .auditData: return ["audit", model, "--data", path] + columns
        case .auditModel: return ["audit", path, "--data", groups] + columns
        }
    }

    /// A file of the corpus (`Resources/malformed/` copied beside the test bundle).
    static func corpus(_ name: String) -> URL {
        Bundle.module.bundleURL.appendingPathComponent("Resources/malformed").appendingPathComponent(name)
    }

    static var cases: [Case] { MalformedCorpus.cases }

    /// True when the binary reads `.keras` bundles (the valid Keras 3 fixture inspects).
    static let bundlesSupported: Bool = {
        let keras = root.appendingPathComponent("Tests/FormatHDF5Tests/Resources/functional_bn.keras").path
        return (try? CLI.run(["inspect", "--no-stats", keras]).code) == 0
    }()

    /// Runs `args` and checks every property of a refusal; returns stderr.
    @discardableResult
    static func expectRefusal(_ args: [String], names path: String, mentions: [String]) throws -> String {
        let r = try LimitedRun.run(args)
        #expect(!r.killed, "hung: killed after \(r.seconds) s")
        #expect(r.code == 2, "exit \(r.code); stderr: \(r.stderr)")
        #expect(r.seconds < 5, "took \(r.seconds) s")
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        #expect(lines.count == 1 && r.stderr.hasSuffix("\n"), "stderr is not one line: \(r.stderr)")
        #expect(r.stderr.contains(path), "stderr does not name the file: \(r.stderr)")
        for m in mentions { #expect(r.stderr.contains(m), "stderr does not mention \(m): \(r.stderr)") }
        #expect(r.stdout.isEmpty, "stdout: \(r.stdout)")
        return r.stderr
    }

    @Test(arguments: cases)
    func isRefusedWithOneLine(_ c: Case) throws {
        let url = Self.corpus(c.file)
        #expect(FileManager.default.fileExists(atPath: url.path))
        let strict = !c.bundle || Self.bundlesSupported
        try Self.expectRefusal(Self.args(c, path: url.path), names: url.path, mentions: strict ? c.mentions : [])
    }

    /// The 1 GiB limit is in force, unless this is a sanitizer build (which cannot start under it).
    @Test func memoryLimitIsInForce() throws {
        if LimitedRun.limitUsable { return }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = [
            "-c", "ulimit -v \(LimitedRun.addressSpaceKiB) && exec \"$0\" --help",
            CLI.productsDirectory.appendingPathComponent("fairaudit").path,
        ]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(text.contains("Sanitizer"), "fairaudit does not start under a 1 GiB address-space limit: \(text)")
    }

    @Test func tenMegabyteSingleLineIsRefusedByTheRecordLimit() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let header = try Data(contentsOf: Self.corpus("csv_valid_control.csv")).prefix { $0 != 10 }
        var bytes = header + Data("\n".utf8)
        bytes.append(Data(repeating: UInt8(ascii: "7"), count: 10 << 20))
        bytes.append(10)
        let url = dir.appendingPathComponent("long_line.csv")
        try bytes.write(to: url)
        let c = Case(file: url.lastPathComponent, command: .auditData)
        try Self.expectRefusal(
            Self.args(c, path: url.path), names: url.path,
            mentions: ["line 2", "longer than 1048576 bytes"])
    }

    @Test(arguments: [Case(file: "csv_valid_control.csv", command: .auditData)])
    func controlPasses(_ c: Case) throws {
        let r = try LimitedRun.run(Self.args(c, path: Self.corpus(c.file).path))
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.contains("demographic_parity_difference"))
        let keras = Self.root.appendingPathComponent("Tests/FormatHDF5Tests/Resources/adult_mlp_keras2.h5").path
        let k = try LimitedRun.run(["inspect", keras])
        #expect(k.code == 0 && k.stdout.contains("dense_1"), "\(k.stderr)")
    }

    /// convert/fix on bad input: refused, and nothing left in the output folder.
    @Test(arguments: MalformedCorpus.writes)
    func writeLeavesNothing(_ w: MalformedCorpus.Write) throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input =
            w.input.hasPrefix("examples/")
            ? Self.root.appendingPathComponent(w.input)
            : Self.corpus(w.input)
        let before = try Data(contentsOf: input)
        let out = dir.appendingPathComponent(w.output)
        let args =
            w.fixData.map { data -> [String] in
                [
                    "fix", input.path, "--data",
                    data.hasPrefix("examples/")
                        ? Self.root.appendingPathComponent(data).path
                        : Self.corpus(data).path,
                    "--label", "income", "--group", "sex", "--ignore", "race", "--epochs", "1", "-o", out.path,
                ]
            } ?? ["convert", input.path, out.path]
        let named = w.fixData.map { $0.hasPrefix("examples/") ? input.path : Self.corpus($0).path } ?? input.path
        try Self.expectRefusal(args, names: named, mentions: w.mentions)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "left files in the output folder")
        #expect(try Data(contentsOf: input) == before, "the input changed")
    }
}
