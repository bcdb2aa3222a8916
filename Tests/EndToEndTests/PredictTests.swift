import FairAudit
import FairAuditPlugins
import Foundation
import Testing

/// `fairaudit predict`: the scores Keras' own `predict` gives, one per row in
/// row order, as .npy or CSV, with kept columns.
@Suite struct PredictTests {
    @Test(arguments: [Fixtures.adultH5, Fixtures.adultKeras, Fixtures.adultTorch])
    func scoresEqualKerasPredictOnAdultTest(model: String) throws {
        let out = try CLI.temporaryDirectory().appendingPathComponent("scores.npy")
        let r = try CLI.run(
            ["predict", model, "--data", Fixtures.cli("adult_test.csv.gz")] + Fixtures.adultColumns + ["-o", out.path])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        let got = try Fixtures.npy(out.path)
        let want = try Fixtures.npy(Fixtures.cli("adult_mlp_test_scores.npy"))
        #expect(got.count == 15060 && want.count == 15060)
        #expect(Fixtures.maxDifference(got, want) <= 1e-5)
        let graph = try Plugins.formats.read(out)
        #expect(graph.tensors.first?.dtype == .float32 && graph.tensors.first?.shape == [15060])
    }

    @Test func csvOnStdoutKeepsColumnsInRowOrder() throws {
        let r = try CLI.run(
            ["predict", Fixtures.adultH5, "--data", Fixtures.cli("sample.csv")] + Fixtures.adultColumns
                + ["--keep", "sex", "--keep", "income"])
        #expect(r.code == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.first == "sex,income,score")
        #expect(lines.count == 301)
        // The kept cells, read from the data file independently.
        let rows = try String(contentsOfFile: Fixtures.cli("sample.csv"), encoding: .utf8).split(separator: "\n")
            .dropFirst()
        let keras = try Fixtures.f32(Fixtures.adultSampleScores)
        for (i, (line, row)) in zip(lines.dropFirst(), rows).enumerated() {
            let cells = line.split(separator: ",").map(String.init)
            let fields = row.split(separator: ",").map(String.init)
            #expect(cells.count == 3)
            #expect(cells[0] == fields[fields.count - 2] && cells[1] == fields[fields.count - 3], "row \(i)")
            let score = try #require(Float(cells[2]))
            #expect(abs(score - keras[i]) <= 1e-5, "row \(i): \(score) vs Keras \(keras[i])")
        }
    }

    @Test func csvFileEqualsStdout() throws {
        let out = try CLI.temporaryDirectory().appendingPathComponent("scores.csv")
        let args =
            ["predict", Fixtures.adultTorch, "--data", Fixtures.cli("sample.csv")] + Fixtures.adultColumns + [
                "--keep", "race",
            ]
        let a = try CLI.run(args)
        let b = try CLI.run(args + ["-o", out.path])
        #expect(a.code == 0 && b.code == 0, "\(b.stderr)")
        #expect(b.stdout.isEmpty)
        #expect(try String(contentsOf: out, encoding: .utf8) == a.stdout)
    }

    @Test(arguments: [
        (["-o", "scores.npy", "--keep", "sex"], "a .npy output holds only the scores; --keep sex needs a .csv output"),
        (["-o", "scores.txt"], "cannot tell the output format from its extension (use .csv or .npy)"),
    ])
    func badOutputsExitTwoAndWriteNothing(extra: [String], message: String) throws {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(
            ["predict", Fixtures.adultH5, "--data", Fixtures.cli("sample.csv")] + Fixtures.adultColumns + extra, in: dir
        )
        #expect(r.code == 2)
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test func existingOutputNeedsForce() throws {
        let out = try CLI.temporaryDirectory().appendingPathComponent("scores.npy")
        try Data("keep me".utf8).write(to: out)
        let args =
            ["predict", Fixtures.adultH5, "--data", Fixtures.cli("sample.csv")] + Fixtures.adultColumns + [
                "-o", out.path,
            ]
        let r = try CLI.run(args)
        #expect(r.code == 2)
        #expect(r.stderr.contains("already exists (pass --force"))
        #expect(try Data(contentsOf: out) == Data("keep me".utf8))
        #expect(try CLI.run(args + ["--force"]).code == 0)
        #expect(try Fixtures.npy(out.path).count == 300)
    }

    @Test func needsNeitherLabelNorGroup() throws {
        // Every non-feature column ignored instead: the same scores.
        let r = try CLI.run([
            "predict", Fixtures.adultH5, "--data", Fixtures.cli("sample.csv"),
            "--ignore", "income", "--ignore", "sex", "--ignore", "race",
        ])
        #expect(r.code == 0, "\(r.stderr)")
        let scores = r.stdout.split(separator: "\n").dropFirst().compactMap { Float($0) }
        let keras = try Fixtures.f32(Fixtures.adultSampleScores)
        #expect(scores.count == 300)
        #expect(Fixtures.maxDifference(scores, Array(keras.prefix(300))) <= 1e-5)
    }

    @Test func helpTeachesTheOutputs() throws {
        let r = try CLI.run(["predict", "--help"])
        #expect(r.code == 0)
        for flag in ["--keep", "-o", "--data", "--architecture", "--activation", "--head", ".npy"] {
            #expect(r.stdout.contains(flag), "\(flag) missing from predict --help")
        }
    }
}
