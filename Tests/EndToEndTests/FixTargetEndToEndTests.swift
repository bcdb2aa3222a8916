import FairAudit
import FairAuditPlugins
import Foundation
import Testing

/// `fix --target` and the never-worse guard through the built binary: what is
/// written, the exit code and the line on stderr.
@Suite struct FixTargetEndToEndTests {
    static let root = CLI.packageRoot
    static let model = root.appendingPathComponent("examples/adult/model.h5").path
    static let sample = root.appendingPathComponent("examples/adult/groups.csv").path
    /// 600 Adult rows with 35% of the labels flipped (scripts/fixtures/make_noisy_fixture.py).
    static let noisy = root.appendingPathComponent("Tests/EndToEndTests/Resources/targets/noisy_600.csv").path
    static let columns = ["--label", "income", "--group", "sex", "--ignore", "race"]

    static func fix(_ data: String, _ extra: [String]) throws -> (CLI.Result, URL) {
        let out = try CLI.temporaryDirectory().appendingPathComponent("fixed.h5")
        let r = try CLI.run(["fix", model, "--data", data, "-o", out.path] + columns + extra)
        return (r, out)
    }

    static func json(_ r: CLI.Result) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    @Test("targets that can be met: written, exit 0, every target met on validation")
    func feasibleTargetsAreMet() throws {
        let (r, out) = try Self.fix(
            Self.sample,
            [
                "--target", "max_equalized_odds_difference=0.12",
                "--target", "min_accuracy=0.8", "--epochs", "6", "--json",
            ])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: out.path))
        let j = try Self.json(r)
        #expect(j["outcome"] as? String == "targets-met" && j["written"] as? Bool == true)
        let targets = try #require(j["targets"] as? [[String: Any]])
        #expect(targets.count == 2)
        for t in targets {
            let value = try #require(t["validation"] as? Double)
            let limit = try #require(t["limit"] as? Double)
            #expect(t["met"] as? Bool == true)
            #expect((t["key"] as? String ?? "").hasPrefix("max_") ? value <= limit : value >= limit)
        }
        // The epoch written is the most accurate of those meeting both targets.
        let epochs = try #require(j["epochs"] as? [[String: Any]])
        let chosen = try #require(j["chosen_epoch"] as? Int)
        let meeting = epochs.filter {
            ($0["validation_equalized_odds_difference"] as? Double ?? 1) <= 0.12
                && ($0["validation_accuracy"] as? Double ?? 0) >= 0.8
        }
        let best = meeting.map { $0["validation_accuracy"] as? Double ?? 0 }.max()
        #expect(epochs.first { $0["epoch"] as? Int == chosen }?["validation_accuracy"] as? Double == best)
    }

    @Test("targets no epoch meets: exit 1, nothing written, the best trade-off on stderr")
    func infeasibleTargetsWriteNothing() throws {
        let (r, out) = try Self.fix(
            Self.sample,
            [
                "--target", "max_equalized_odds_difference=0.0",
                "--target", "min_accuracy=0.95", "--epochs", "3",
            ])
        #expect(r.code == 1)
        #expect(!FileManager.default.fileExists(atPath: out.path), "a model was written")
        #expect(
            r.stderr.contains("no epoch met every target") && r.stderr.contains("min_accuracy")
                && r.stderr.contains("< 0.95") && r.stderr.contains("nothing written"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(r.stdout.contains("nothing written"))
        let (again, written) = try Self.fix(
            Self.sample,
            [
                "--target", "max_equalized_odds_difference=0.0",
                "--target", "min_accuracy=0.95", "--epochs", "3", "--write-best",
            ])
        #expect(again.code == 1 && again.stderr.contains("wrote it anyway"))
        #expect(FileManager.default.fileExists(atPath: written.path))
    }

    @Test("a fine-tuning that makes the model worse is not written without --force-write")
    func neverWorse() throws {
        let (r, out) = try Self.fix(Self.noisy, [])
        #expect(r.code == 1)
        #expect(!FileManager.default.fileExists(atPath: out.path), "a worse model was written")
        #expect(r.stderr.hasPrefix("fairaudit: not written: ") && r.stderr.contains("--force-write"), "\(r.stderr)")
        #expect(r.stdout.contains("nothing written"))
        let (forced, written) = try Self.fix(Self.noisy, ["--force-write"])
        #expect(forced.code == 0, "\(forced.stderr)")
        #expect(forced.stderr.contains("note: written although"))
        #expect(FileManager.default.fileExists(atPath: written.path))
    }

    @Test("the before/after table shows validation and --eval side by side")
    func validationAndEvalSideBySide() throws {
        let (r, _) = try Self.fix(Self.sample, ["--eval", Self.noisy, "--epochs", "1", "--force-write"])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.contains("validation before") && r.stdout.contains("eval before"), "\(r.stdout)")
    }

    @Test("with a policy and no --target, the [gate] limits are the targets")
    func policyLimitsAreTargets() throws {
        let policy = Self.root.appendingPathComponent("examples/adult/fairaudit.toml").path
        let out = try CLI.temporaryDirectory().appendingPathComponent("fixed.h5")
        let r = try CLI.run(["fix", "--config", policy, "--epochs", "2", "--json", "-o", out.path])
        let keys = try (Self.json(r)["targets"] as? [[String: Any]] ?? []).compactMap { $0["key"] as? String }
        #expect(
            Set(keys) == ["max_demographic_parity_difference", "max_equalized_odds_difference", "min_accuracy"],
            "\(r.stderr)")
    }

    @Test(
        "a target fix cannot aim at is one line naming it, exit 2",
        arguments: [
            ("max_fisher_tv_max=0.3", "cannot aim at"), ("min_equalized_odds_difference=0.1", "fair side"),
        ])
    func badTarget(target: String, reason: String) throws {
        let (r, out) = try Self.fix(Self.sample, ["--target", target])
        #expect(r.code == 2 && r.stderr.contains(reason) && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test(
        "several groups: half the starting equalized-odds gap over four groups, met on validation, within the held-out interval"
    )
    func severalGroups() throws {
        // A Keras model with BatchNormalization, tanh and a 2-unit softmax head; groups sex × age
        // above/below the mean, base rates 0.08–0.43 (scripts/fixtures/make_target_fixtures.py).
        let dir = Self.root.appendingPathComponent("Tests/EndToEndTests/Resources/targets")
        let model = dir.appendingPathComponent("age_sex_bn_tanh_softmax.h5").path
        let cols = ["--label", "income", "--group", "age_sex", "--ignore", "sex", "--ignore", "race"]
        let fit = ["--data", dir.appendingPathComponent("fit_age_sex.csv.gz").path] + cols
        let tmp = try CLI.temporaryDirectory()
        let probe = try CLI.run(
            ["fix", model, "--epochs", "1", "--force-write", "--json", "-o", tmp.appendingPathComponent("p.h5").path]
                + fit)
        let start = try #require(
            (Self.json(probe)["validation"] as? [String: Any])?["equalized_odds_difference"] as? [String: Any])
        let before = try #require(start["before"] as? Double)
        let target = before / 2
        let out = tmp.appendingPathComponent("fixed.h5")
        let r = try CLI.run(
            ["fix", model, "--target", "max_equalized_odds_difference=\(target)", "--json", "-o", out.path] + fit)
        #expect(r.code == 0, "\(r.stderr)")
        let j = try Self.json(r)
        #expect(j["outcome"] as? String == "targets-met")
        let met = try #require((j["targets"] as? [[String: Any]])?.first?["validation"] as? Double)
        #expect(met <= target)
        let audit = try CLI.run(
            [
                "audit", out.path, "--data", dir.appendingPathComponent("held_age_sex.csv.gz").path,
                "--no-fisher", "--json",
            ] + cols)
        let eo = try #require(
            (Self.json(audit)["metrics"] as? [String: Any])?["equalized_odds_difference"] as? [String: Any])
        let ci = try #require(eo["ci"] as? [Double])
        #expect(ci.count == 2 && ci[0] <= target, "held-out EO \(eo), target \(target)")
    }
}
