import ArgumentParser
import FairAudit
import FairAuditPlugins
import Foundation

extension FairAuditCommand {
    /// `fairaudit audit MODEL --data groups.csv --label COL --group COL`.
    struct Audit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure a model's group fairness on labeled data, and gate a release on it.",
            discussion: """
                Scores every row of --data with the model, then reports per group: count, \
                selection rate, TPR, FPR, accuracy and mean score; the demographic-parity, \
                equalized-odds, equal-opportunity and accuracy gaps and ratios (as fairlearn \
                computes them) with bootstrap confidence intervals; and the per-group Fisher \
                information divergence of every weight tensor against a permutation null, with \
                the weights that serve one group most.

                Settings come from flags, or from fairaudit.toml (in the working directory, or \
                --config FILE); flags win. Every limit in its [gate] table (max_<metric>, \
                min_<metric>) is checked: exit 1 when one fails, listing it on stderr; \
                use_ci_bound = true in [gate] judges the interval's unfavourable end.

                Memory: --data is read a chunk at a time (a .csv or .csv.gz in blocks parsed \
                on every core; an .npz array by array, 8192 rows at a time, each member \
                streamed). With --no-fisher each chunk's rows are scored and folded into the \
                fairness audit's sums (per group and intersection the confusion cells and the \
                score sum; per bootstrap replicate the same cells, each row weighted by a \
                Poisson draw keyed by its row id), then dropped: memory stays flat in the \
                number of rows (10M rows: under 200 MB), and the report is the one of all \
                rows at once. What needs every row at once, and why: the Fisher divergence \
                (it revisits each row's features for every group and permutation round: 4 \
                bytes per feature per row); `fix` (every epoch revisits the rows); an .npz \
                array stored in Fortran order (its rows are not contiguous, so it is read \
                whole). The bootstrap is the Poisson one precisely so that it folds: a row \
                bootstrap (n rows drawn from all n) would need every row. \
                `--partial --null-counts FILE` streams with the Fisher too (memory flat in the \
                rows): its permutation null draws each row's group with the groups' \
                proportions, which the counts give before the rows are read.

                A file with no architecture inside (a state dict, a Keras .weights.h5) gets \
                one from --architecture model_config.json (or `architecture =` in the policy), \
                or, for a state dict, a dense chain inferred from its tensor names with \
                --activation and --head; a note on stderr says what was assumed.

                Examples:
                  fairaudit audit adult_mlp.h5 --data adult_test.csv.gz --label income --group sex --ignore race
                  fairaudit audit model.npz --data test.csv --label y --group sex --group race --json
                  fairaudit audit --config fairaudit.toml --junit report.xml --html report.html
                  fairaudit audit state_dict.npz --architecture model_config.json --data test.csv --label y --group sex
                  zcat shard-3.csv.gz | fairaudit audit model.h5 --data - --header-from header.csv --label y --group sex \
                      --row-id id --null-counts counts.json --partial part-3.json     # then: fairaudit merge part-*.json
                """)

        @Argument(help: "The model file (default: `model` in fairaudit.toml).")
        var model: String?

        @OptionGroup var policyOptions: PolicyOptions
        @OptionGroup var dataOptions: DataOptions
        @OptionGroup var architecture: ArchitectureOptions
        @OptionGroup var statistics: StatisticsOptions
        @OptionGroup var report: ReportOptions
        @OptionGroup var shard: ShardOptions

        @Option(
            help: ArgumentHelp(
                "An earlier --json output; fails when a gap grew by more than max_regression.", valueName: "file"))
        var baseline: String?

        @Option(
            name: .customLong("limit"),
            help: ArgumentHelp(
                "A gate limit such as max_demographic_parity_difference=0.1; repeatable, overrides the policy.",
                valueName: "max_|min_metric=value"))
        var limits: [String] = []

        func run() throws {
            let policyFile = try policyOptions.load()
            var policy = policyFile ?? Policy()
            try CommandLimits.apply(limits, to: &policy)
            guard let modelPath = model ?? policyFile?.model.map({ policy.resolve($0) }) else {
                throw ValidationError("Missing MODEL (or `model =` in fairaudit.toml).")
            }
            let (dataPath, csv) = try dataOptions.resolved(with: policyFile)
            if let baseline { try Self.checkBaselineGrouping(baseline, groups: csv.groups) }
            var options = try statistics.auditOptions(policy: policyFile)
            options.rowOffset = shard.rowOffset ?? 0
            options.nullCounts = try shard.loadNullCounts()
            let arch = architecture
            var request = AuditRequest(
                model: URL(fileURLWithPath: modelPath), data: URL(fileURLWithPath: dataPath), dataOptions: csv,
                options: options,
                audits: try options.audits.enabled(Plugins.audits),
                architecture: { graph in try arch.apply(to: &graph, required: true, policy: policyFile) })
            request.rowIDColumn = shard.rowID
            request.readOptions = arch.readOptions
            let progress = Progress()
            if let out = shard.partial {
                let partial = try ModelErrors.naming(modelPath) {
                    try AuditRunner.partial(request, modelPath: modelPath) { progress.update($0) }
                }
                progress.done()
                try shard.write(partial, to: out)
                return
            }
            let outcome = try ModelErrors.naming(modelPath) { try AuditRunner.run(request) { progress.update($0) } }
            progress.done()
            let base = try baseline.map { try AuditRunner.baselineMetrics(URL(fileURLWithPath: $0)) }
            let checks = try policy.evaluate(outcome.metrics, baseline: base)
            let doc = AuditReport(
                model: modelPath, graph: outcome.graph, dataPath: dataPath, data: outcome.data,
                results: outcome.results, checks: checks, seconds: outcome.seconds,
                timing: outcome.timing)
            try publish(doc)
            if !doc.passed {
                let failed = checks.filter { !$0.passed }
                throw GateFailure(
                    description: "fairaudit: gate failed (\(failed.count) of \(checks.count) checks):\n"
                        + failed.map { "  " + $0.summary }.joined(separator: "\n"))
            }
        }

        /// Refuses a baseline grouped by other columns: its gaps measure other groups.
        static func checkBaselineGrouping(_ path: String, groups: [String]) throws {
            guard let before = try AuditRunner.baselineGroupColumns(URL(fileURLWithPath: path)),
                Set(before) != Set(groups)
            else { return }
            func list(_ g: [String]) -> String {
                g.isEmpty ? "no column" : g.map { "'\($0)'" }.joined(separator: " × ")
            }
            throw FairAuditError.invalidInput(
                path: path,
                reason:
                    "the baseline was grouped by \(list(before)) but this run groups by \(list(groups)); its gaps are between other groups, so compare runs grouped alike"
            )
        }

        /// Prints the report and writes the requested files.
        func publish(_ doc: AuditReport) throws {
            if let path = report.jsonOutput {
                try ReportOptions.write(doc.json.serialized(pretty: true) + "\n", to: path)
            }
            if let path = report.html { try ReportOptions.write(doc.html, to: path) }
            if let path = report.junit {
                try ReportOptions.write(
                    JUnitReport.xml(checks: doc.checks, model: doc.model, seconds: doc.seconds), to: path)
            }
            if report.markdown { ReportOptions.appendStepSummary(doc.markdown) }
            if report.json {
                emit(doc.json.serialized(pretty: true))
            } else if report.markdown {
                emit(doc.markdown)
            } else {
                emit(doc.text)
            }
        }
    }
}

/// Statistical settings of an audit.
struct StatisticsOptions: ParsableArguments {
    @Option(help: "Predicted positive when score ≥ threshold (default 0.5).")
    var threshold: Double?

    @Option(help: "Bootstrap resamples for confidence intervals (default 200; 0 turns them off).")
    var bootstrap: Int?

    @Option(help: "Seed for bootstrap and permutations (default 0).")
    var seed: UInt64?

    @Option(help: "Groups smaller than this are reported but left out of the gaps (default 30).")
    var minGroupSize: Int?

    // The flags below set audits' own options: each is forwarded, by its name, to the audit
    // whose options declare it (AuditOptionKey.flag), as --audit-option would.
    @Option(help: "Permutation rounds of the Fisher divergence null (default 20; [audits.fisher] permutations).")
    var permutations: String?

    @Option(help: "How many most group-influential parameters to list (default 10; [audits.fisher] top).")
    var top: String?

    @Option(
        help: ArgumentHelp(
            "Fisher information from the observed labels (empirical, the default) or the model's own predictions (model).",
            valueName: "empirical|model"))
    var fisher: String?

    @Flag(help: "Skip the Fisher divergence audit ([audits.fisher] enabled = false).")
    var noFisher = false

    @Option(
        help: ArgumentHelp(
            "Save each group's raw Fisher as <group>/<tensor> arrays, in the format the extension names.",
            valueName: "file.npz|file.safetensors"))
    var saveFisher: String?

    @Option(
        name: .customLong("audit-option"),
        help: ArgumentHelp(
            "An option of one audit, as its [audits.<name>] policy table would set it; repeatable, wins over the policy.",
            valueName: "audit.key=value"))
    var auditOptions: [String] = []

    func validate() throws {
        if let t = threshold, !(0...1).contains(t) { throw ValidationError("--threshold must be between 0 and 1.") }
        if let b = bootstrap, b < 0 || b > 100_000 {
            throw ValidationError("--bootstrap must be between 0 and 100000.")
        }
        if let m = minGroupSize, m < 0 { throw ValidationError("--min-group-size must not be negative.") }
    }

    /// The flags forwarded to the audits that declare them, by flag name.
    var forwarded: [(flag: String, value: String?)] {
        [
            ("permutations", permutations), ("top", top), ("fisher", fisher), ("save-fisher", saveFisher),
            ("no-fisher", noFisher ? "true" : nil),
        ]
    }

    /// The audit options: flags, then the policy, then the defaults; each
    /// audit's own options from its policy table, then its forwarded flags
    /// and `--audit-option`s, checked by the audits of the registry.
    func auditOptions(policy: Policy?) throws -> AuditOptions {
        var o = AuditOptions()
        o.threshold = threshold ?? policy?.threshold ?? o.threshold
        o.bootstrap = bootstrap ?? policy?.bootstrap ?? o.bootstrap
        o.seed = seed ?? policy?.seed.map { UInt64($0) } ?? o.seed
        o.minGroupSize = minGroupSize ?? policy?.minGroupSize ?? o.minGroupSize
        for setting in policy?.audits ?? [] { o.audits.add(setting) }
        for (flag, value) in forwarded {
            guard let value else { continue }
            guard o.audits.forward(flag: flag, value: value, audits: Plugins.audits) else {
                throw ValidationError("--\(flag) sets no option of any registered audit.")
            }
        }
        for spec in auditOptions { try o.audits.add(spec: spec, flag: "--audit-option") }
        try o.audits.validate(Plugins.audits)
        return o
    }
}

/// `--limit max_metric=value` flags merged into a policy.
enum CommandLimits {
    static func apply(_ limits: [String], to policy: inout Policy) throws {
        for spec in limits {
            let parts = spec.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let bound = Double(parts[1]),
                parts[0].hasPrefix("max_") || parts[0].hasPrefix("min_")
            else {
                throw ValidationError("--limit '\(spec)' is not max_<metric>=<number> or min_<metric>=<number>.")
            }
            let kind: Policy.Limit.Kind = parts[0].hasPrefix("max_") ? .max : .min
            let metric = String(parts[0].dropFirst(4))
            if metric == "regression" {
                policy.maxRegression = bound
                continue
            }
            policy.limits.removeAll { $0.metric == metric && $0.kind == kind }
            var limit = Policy.Limit(metric: metric, kind: kind, bound: bound, line: 0)
            limit.origin = .commandLine
            policy.limits.append(limit)
        }
    }
}
