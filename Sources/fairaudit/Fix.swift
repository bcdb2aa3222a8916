import ArgumentParser
import FairAudit
import FairAuditPlugins
import Foundation

extension FixOptions.Method: ExpressibleByArgument {}
extension FixOptions.Neutralize: ExpressibleByArgument {}
extension FixOptions.Penalty: ExpressibleByArgument {}

extension FairAuditCommand {
    /// `fairaudit fix MODEL --data train.csv --label COL --group COL`.
    struct Fix: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fine-tune a model to reduce group bias and write it back in its own format.",
            discussion: """
                Neutralized low-rank fine-tuning (the default method): per-group Fisher \
                information on the training rows, each group's normalized to unit mass and \
                averaged (--neutralize), a Fisher-weighted SVD of every dense kernel (--rank or \
                --energy), and Adam on the factors and biases, keeping the epoch with the lowest \
                validation loss. --penalty dp|eo --lambda adds λ·Σgap² to the loss. Baselines: \
                --method finetune (all weights) and --method lowrank (unweighted SVD).

                Writes OUT (default <name>.fair.<ext> beside MODEL) in MODEL's own format and \
                layout: only kernel and bias values change, so Keras load_model, numpy.load or \
                load_state_dict read it as before. The file is read back and must predict what \
                the fixed model predicts before it is renamed into place. MODEL is never changed.

                Examples:
                  fairaudit fix adult_mlp.h5 --data adult_train.csv.gz --eval adult_test.csv.gz --label income --group sex --ignore race
                  fairaudit fix model.npz --data train.csv --label y --group sex --penalty eo --lambda 1 -o model.fair.npz
                """)

        @Argument(help: "The model file (default: `model` in fairaudit.toml).")
        var model: String?

        @OptionGroup var policyOptions: PolicyOptions
        @OptionGroup var dataOptions: DataOptions
        @OptionGroup var architecture: ArchitectureOptions
        @OptionGroup var training: TrainingOptions

        @Option(
            help: ArgumentHelp(
                "Held-out rows for the before/after table (default: the validation split).", valueName: "csv"))
        var eval: String?

        @Option(name: [.customShort("o"), .customLong("output")], help: "Where to write the fixed model.")
        var output: String?

        @Flag(help: "Overwrite OUT when it exists.")
        var force = false

        @Option(help: "Predicted positive when score ≥ threshold in the before/after table (default 0.5).")
        var threshold: Double?

        @Flag(help: "Print one JSON object instead of tables.")
        var json = false

        @Option(
            help: ArgumentHelp(
                "Also write a self-contained HTML report of the fix (before/after per group, ranks per layer).",
                valueName: "file"))
        var html: String?

        @Flag(help: "When no epoch meets every --target, write the best trade-off anyway (still exit 1).")
        var writeBest = false

        @Flag(
            help:
                "Write the result even when it is worse than the input on validation (accuracy fell by more than --max-accuracy-drop, or every gap grew)."
        )
        var forceWrite = false

        func run() throws {
            let policyFile = try policyOptions.load()
            guard let modelPath = model ?? policyFile?.model.map({ policyFile?.resolve($0) ?? $0 }) else {
                throw ValidationError("Missing MODEL (or `model =` in fairaudit.toml).")
            }
            let input = URL(fileURLWithPath: modelPath)
            let out = URL(fileURLWithPath: output ?? FixOutput.defaultPath(for: modelPath))
            try OutputGuard.check(out, input: input, force: force)
            let (dataPath, csv) = try dataOptions.resolved(with: policyFile)
            var options = try training.fixOptions(policy: policyFile)
            if let threshold { options.threshold = threshold }
            try options.validate()
            let arch = architecture
            var request = FixRequest(
                model: input, data: URL(fileURLWithPath: dataPath), dataOptions: csv, options: options, output: out,
                architecture: { graph in try arch.apply(to: &graph, required: true, policy: policyFile) })
            request.rereadArchitecture = { graph in
                try arch.apply(to: &graph, required: true, policy: policyFile, quiet: true)
            }
            request.readOptions = arch.readOptions
            request.eval = (eval ?? policyFile?.eval.map { policyFile?.resolve($0) ?? $0 }).map {
                URL(fileURLWithPath: $0)
            }
            request.overwrite = force
            request.threshold = threshold ?? policyFile?.threshold ?? 0.5
            request.writeBest = writeBest
            request.forceWrite = forceWrite

            let progress = Progress()
            let outcome = try FixRunner.run(request) { progress.update($0) }
            progress.done()
            let result = outcome.result
            if let html { try ReportOptions.write(outcome.comparison.html, to: html) }
            emit(json ? outcome.comparison.json.serialized(pretty: true) : outcome.comparison.text)
            switch result.outcome {
            case .notWorse, .targetsMet: break
            case .targetsMissed(let text):
                throw GateFailure(
                    description:
                        "fairaudit: no epoch met every target on the validation split; best trade-off (epoch \(result.chosenEpoch)): \(text); "
                        + (outcome.written != nil
                            ? "wrote it anyway (--write-best)" : "nothing written (--write-best writes it anyway)")
                )
            case .worse(let text):
                if outcome.written == nil {
                    throw GateFailure(description: "fairaudit: not written: \(text) (--force-write writes it anyway)")
                }
                note("written although \(text) (--force-write)")
            }
        }
    }
}

/// Where `fix` writes by default: `<name>.fair.<ext>` beside the input,
/// keeping compound extensions (`.weights.h5`, a sharded `.safetensors.index.json`).
enum FixOutput {
    static func defaultPath(for input: String) -> String {
        let url = URL(fileURLWithPath: input)
        let name = url.lastPathComponent
        for compound in [".weights.h5", ".safetensors.index.json"] where name.hasSuffix(compound) {
            return url.deletingLastPathComponent().appendingPathComponent(
                String(name.dropLast(compound.count)) + ".fair" + compound
            ).relativePath(from: input)
        }
        let ext = url.pathExtension
        let stem = ext.isEmpty ? name : String(name.dropLast(ext.count + 1))
        return url.deletingLastPathComponent().appendingPathComponent(stem + ".fair" + (ext.isEmpty ? "" : "." + ext))
            .relativePath(from: input)
    }
}

extension URL {
    /// This path written relative like `original` was (absolute stays absolute).
    fileprivate func relativePath(from original: String) -> String {
        if original.hasPrefix("/") { return path }
        let cwd = FileManager.default.currentDirectoryPath + "/"
        return path.hasPrefix(cwd) ? String(path.dropFirst(cwd.count)) : path
    }
}
