import FairAudit
import FairAuditPlugins
import Foundation
import Testing

/// `fairaudit bench --data … --model M.keras --keras-python PY`: the Keras/JAX
/// reference in a child process, run here with stand-ins for Python (shell
/// scripts), so the tests need no Python: a missing one, one that fails, one
/// that lacks keras, and one that answers with timings (and keeps a copy of
/// the rows it was handed).
@Suite struct BenchKerasReferenceTests {
    static let zoo = CLI.packageRoot.appendingPathComponent("Tests/FairAuditTests/Resources/zoo")
    static let note = "note: Keras predict and JAX Fisher not timed"

    /// `bench --only` on the zoo's wide-and-deep model and its rows tiled to `rows`, with `python` as Keras' Python.
    static func bench(python: String, rows: Int = 200, extra: [String] = []) throws -> CLI.Result {
        try CLI.run(
            [
                "bench", "--only", "--json", "--data", zoo.appendingPathComponent("wide_deep_k3_data.npz").path,
                "--model", zoo.appendingPathComponent("wide_deep_k3.keras").path, "--label", "label", "--group",
                "group", "--data-rows", String(rows), "--keras-python", python,
            ] + extra)
    }

    /// The JSON array of measurements on stdout.
    static func measurements(_ r: CLI.Result) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]], "\(r.stdout)")
    }

    /// An executable shell script in a fresh folder.
    static func script(_ body: String) throws -> (dir: URL, path: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fake-python-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("python").path
        try Data("#!/bin/sh\n\(body)\n".utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return (dir, path)
    }

    @Test("a missing Python is one note on stderr; exit 0 with fairaudit's own numbers")
    func missingPython() throws {
        let r = try Self.bench(python: "/nonexistent/python")
        #expect(r.code == 0, "\(r.stderr)")
        let notes = r.stderr.split(separator: "\n").filter { $0.contains(Self.note) }
        #expect(notes.count == 1, "\(r.stderr)")
        #expect(notes.first?.contains("/nonexistent/python") == true)
        let rows = try Self.measurements(r)
        let names = rows.compactMap { $0["name"] as? String }
        #expect(names.contains("forward") && names.contains("per-group Fisher"), "\(names)")
        #expect(!rows.contains { $0["reference_for"] != nil })
        let forward = try #require(rows.first { $0["name"] as? String == "forward" })
        #expect(forward["amount"] as? Double == 200)
    }

    @Test("a failing Python is a note naming it and the model, not a crash")
    func failingPython() throws {
        let fake = try Self.script("echo 'Traceback: something broke' >&2; exit 3")
        defer { try? FileManager.default.removeItem(at: fake.dir) }
        let r = try Self.bench(python: fake.path, extra: ["--forward-only"])
        #expect(r.code == 0, "\(r.stderr)")
        let note = try #require(r.stderr.split(separator: "\n").first { $0.contains(Self.note) }, "\(r.stderr)")
        #expect(note.contains(fake.path) && note.contains("wide_deep_k3.keras") && note.contains("something broke"))
    }

    @Test("a Python without keras or jax is a note naming the module")
    func pythonWithoutKeras() throws {
        let fake = try Self.script("echo missing jax")
        defer { try? FileManager.default.removeItem(at: fake.dir) }
        let r = try Self.bench(python: fake.path, extra: ["--forward-only"])
        #expect(r.code == 0, "\(r.stderr)")
        let note = try #require(r.stderr.split(separator: "\n").first { $0.contains(Self.note) }, "\(r.stderr)")
        #expect(note.contains("lacks jax"), "\(note)")
    }

    @Test("the reference's timings are recorded beside fairaudit's with ratios, on the rows fairaudit timed")
    func referenceRecorded() throws {
        // Arguments: -c SCRIPT MODEL ROWS SAMPLES MIN_CPU CHUNK FISHER GROUPS NAMES…
        let fake = try Self.script(
            """
            dir=$(dirname "$0")
            cp "$4" "$dir/rows.npz"
            echo "$4" > "$dir/rowspath"
            shift 4
            echo "$@" > "$dir/args"
            echo "KERAS_BACKEND=$KERAS_BACKEND" >> "$dir/args"
            echo predict 0.5 1.0
            echo fisher 2.0 4.0
            echo versions 3.0.0 0.4.0
            """)
        defer { try? FileManager.default.removeItem(at: fake.dir) }
        let r = try Self.bench(python: fake.path, rows: 100, extra: ["--keras-fisher-chunk", "64"])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(!r.stderr.contains(Self.note), "\(r.stderr)")
        let rows = try Self.measurements(r)
        let byName = Dictionary(rows.map { ($0["name"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        let keras = try #require(byName[Benchmark.kerasPredictName], "\(byName.keys)")
        let jax = try #require(byName[Benchmark.jaxFisherName], "\(byName.keys)")
        let forward = try #require(byName["forward"])
        let fisher = try #require(byName["per-group Fisher"])
        #expect(keras["reference_for"] as? String == "forward")
        #expect(jax["reference_for"] as? String == "per-group Fisher")
        #expect(keras["cpu_seconds"] as? Double == 1 && keras["seconds"] as? Double == 0.5)
        #expect(keras["input"] as? String == forward["input"] as? String)
        // The ratio is fairaudit's rows per CPU second over the reference's (100 rows in 1 s and 4 s of CPU).
        let fCPU = try #require(forward["cpu_seconds"] as? Double)
        let kRatio = try #require(keras["ratio_cpu"] as? Double)
        #expect(abs(kRatio - (100 / fCPU) / 100) <= 1e-12 * kRatio)
        let fiCPU = try #require(fisher["cpu_seconds"] as? Double)
        let jRatio = try #require(jax["ratio_cpu"] as? Double)
        #expect(abs(jRatio - (100 / fiCPU) / 25) <= 1e-12 * jRatio)
        #expect(jax["ratio_wall"] is Double)

        // What the child was told: 5 samples of ≥ 0.2 s CPU, chunks of 64, the Fisher, 3 groups, the input names.
        let args = try String(contentsOf: fake.dir.appendingPathComponent("args"), encoding: .utf8)
        #expect(args.hasPrefix("5 0.2 64 1 3 num cat"), "\(args)")
        #expect(args.contains("KERAS_BACKEND=jax"))
        // The rows it was handed: the file's 48 rows tiled to 100, every input, label and group.
        let back = try Plugins.formats.read(fake.dir.appendingPathComponent("rows.npz"))
        let original = try Plugins.formats.read(Self.zoo.appendingPathComponent("wide_deep_k3_data.npz"))
        for (k, name) in ["num", "cat"].enumerated() {
            let want = try original.tensor(named: name)
            let w = want.shape.dropFirst().reduce(1, *)
            let values = try want.floatValues()
            #expect(try back.tensor(named: "input_\(k)").shape == [100] + Array(want.shape.dropFirst()))
            #expect(
                try back.tensor(named: "input_\(k)").floatValues()
                    == (0..<100).flatMap { r in values[((r % 48) * w)..<((r % 48) * w + w)] })
        }
        let labels = try original.tensor(named: "label").floatValues()
        #expect(try back.tensor(named: "label").floatValues() == (0..<100).map { labels[$0 % 48] })
        let groups = try original.tensor(named: "group").floatValues()
        let index = try back.tensor(named: "group").floatValues()
        // Groups are numbered in the order they first appear: the same partition of the rows.
        for i in 0..<100 {
            for j in 0..<100 where (groups[i % 48] == groups[j % 48]) != (index[i] == index[j]) {
                Issue.record(
                    "rows \(i) and \(j): groups \(groups[i % 48]), \(groups[j % 48]) vs \(index[i]), \(index[j])")
            }
        }
        // The temporary rows are gone.
        let handed = try String(contentsOf: fake.dir.appendingPathComponent("rowspath"), encoding: .utf8)
        #expect(!FileManager.default.fileExists(atPath: handed.trimmingCharacters(in: .whitespacesAndNewlines)))
    }
}
