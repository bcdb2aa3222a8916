import ArgumentParser
import FairAudit
import FairAuditPlugins
import Foundation

extension FairAuditCommand {
    /// `fairaudit merge PARTS… [--json] [--junit F] [--config policy]`.
    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add up partial audits of disjoint shards into the report one run over all rows gives.",
            discussion: """
                Each PART is the output of `fairaudit audit … --partial FILE` (or --partial - \
                saved to a file) on one shard of the rows. The parts must come from the same \
                model (by a hash of its tensors), with the same label, group and feature columns, \
                threshold, bootstrap replicates, confidence and seed, and their row ids (--row-id \
                or position with --row-offset) must not overlap: otherwise merge refuses, naming \
                the part. The report, the gate (from --config and --limit) and the exit code are \
                those of `fairaudit audit` over all the rows at once.

                Examples:
                  fairaudit merge parts/*.json --json
                  fairaudit merge a.json b.json --config fairaudit.toml --junit report.xml
                """)

        @Argument(
            help: ArgumentHelp(
                "Partial results (fairaudit-partial JSON); - reads one per line from stdin.", valueName: "part"))
        var parts: [String] = []

        @OptionGroup var policyOptions: PolicyOptions
        @OptionGroup var report: ReportOptions

        @Option(
            name: .customLong("limit"),
            help: ArgumentHelp(
                "A gate limit such as max_demographic_parity_difference=0.1; repeatable, overrides the policy.",
                valueName: "max_|min_metric=value"))
        var limits: [String] = []

        func validate() throws {
            if parts.isEmpty {
                throw ValidationError("Give at least one partial result (fairaudit audit … --partial FILE).")
            }
        }

        func run() throws {
            var policy = try policyOptions.load() ?? Policy()
            try CommandLimits.apply(limits, to: &policy)
            var read: [AuditPartial] = []
            var names: [String] = []
            for path in parts {
                if path == "-" {
                    let all = FileHandle.standardInput.readDataToEndOfFile()
                    for (i, line) in all.split(separator: UInt8(ascii: "\n")).enumerated()
                    where !line.allSatisfy({ $0 == 32 || $0 == 13 }) {
                        let name = "stdin line \(i + 1)"
                        read.append(try AuditPartial.read(Data(line), path: name))
                        names.append(name)
                    }
                    continue
                }
                guard let bytes = FileManager.default.contents(atPath: path) else {
                    throw FairAuditError.unreadableFile(path: path, reason: "no such file or not readable")
                }
                read.append(try AuditPartial.read(bytes, path: path))
                names.append(path)
            }
            let merged = try AuditPartial.merged(read, sources: names)
            let outcome = try AuditRunner.outcome(of: merged)
            let checks = try policy.evaluate(outcome.metrics, baseline: nil)
            let doc = AuditReport(
                model: merged.model, graph: outcome.graph,
                dataPath: "\(read.count) partial\(read.count == 1 ? "" : "s")", data: outcome.data,
                results: outcome.results, checks: checks, seconds: outcome.seconds, timing: outcome.timing)
            if let path = report.jsonOutput {
                try ReportOptions.write(doc.json.serialized(pretty: true) + "\n", to: path)
            }
            if let path = report.html { try ReportOptions.write(doc.html, to: path) }
            if let path = report.junit {
                try ReportOptions.write(
                    JUnitReport.xml(checks: doc.checks, model: doc.model, seconds: doc.seconds), to: path)
            }
            if report.markdown { ReportOptions.appendStepSummary(doc.markdown) }
            let out = report.json ? doc.json.serialized(pretty: true) : report.markdown ? doc.markdown : doc.text
            FileHandle.standardOutput.write(Data((out + "\n").utf8))
            if !doc.passed {
                let failed = checks.filter { !$0.passed }
                throw GateFailure(
                    description: "fairaudit: gate failed (\(failed.count) of \(checks.count) checks):\n"
                        + failed.map { "  " + $0.summary }.joined(separator: "\n"))
            }
        }
    }
}
