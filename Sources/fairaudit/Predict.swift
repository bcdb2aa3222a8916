import ArgumentParser
import FairAudit
import FairAuditPlugins
import Foundation

extension FairAuditCommand {
    /// `fairaudit predict MODEL --data D [-o scores.csv|scores.npy]`.
    struct Predict: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Score every row of a CSV with the model: one P(positive) per row, in row order.",
            discussion: """
                Runs the model as audit and fix run it, so its scores can be compared with \
                the framework's own (Keras model.predict, a PyTorch forward pass) before its \
                audit is trusted. The score is the positive class's probability: the sigmoid \
                output of a 1-unit model, the second softmax output of a 2-unit one.

                The features are chosen as for audit: every column but --label, the --group \
                columns and the --ignore columns, in file order (or --features). Neither a \
                label nor a group is needed; every row is scored, in file order.

                A model of several inputs (a wide-and-deep model's numbers and category \
                ids) reads the input named cat, of k values, from the columns cat, cat_1, …, \
                cat_{k-1}, or from the columns --input cat=c1,c2,c3 names (one flag per \
                input); an .npz holds one array per input, named as the input.

                Output: CSV on stdout without -o; -o scores.csv writes the same file (a \
                header, then the --keep columns and a `score` column); -o scores.npy writes a \
                float32 array of the scores, as numpy.save does.

                Examples:
                  fairaudit predict adult_mlp.h5 --data adult_test.csv.gz --label income --group sex --ignore race -o scores.npy
                  fairaudit predict model.npz --data rows.csv --ignore id --keep id --head softmax > scores.csv
                  fairaudit predict wide_deep.keras --data rows.csv --input num=age,hours --input cat=job,city
                """)

        @Argument(help: "The model file (default: `model` in fairaudit.toml).")
        var model: String?

        @OptionGroup var policyOptions: PolicyOptions
        @OptionGroup var dataOptions: DataOptions
        @OptionGroup var architecture: ArchitectureOptions

        @Option(
            name: .customLong("keep"),
            help: ArgumentHelp(
                "A column to carry into the CSV output beside the score (an id, a group, the label); repeatable.",
                valueName: "col"))
        var keep: [String] = []

        @Option(
            name: [.customShort("o"), .customLong("output")],
            help: ArgumentHelp(
                "Where to write the scores: a .csv, or a .npy of float32 (default: CSV on stdout).", valueName: "file"))
        var output: String?

        @Flag(help: "Overwrite the output when it exists.")
        var force = false

        func run() throws {
            let policy = try policyOptions.load()
            guard let modelPath = model ?? policy?.model.map({ policy?.resolve($0) ?? $0 }) else {
                throw ValidationError("Missing MODEL (or `model =` in fairaudit.toml).")
            }
            let (dataPath, csv) = try dataOptions.scoring(with: policy, keep: keep)
            let target = try output.map { try PredictOutput(path: $0, keep: keep) }
            if let target {
                try OutputGuard.check(target.url, input: URL(fileURLWithPath: modelPath), force: force)
                try OutputGuard.check(target.url, input: URL(fileURLWithPath: dataPath), force: force)
            }
            var graph = try Plugins.formats.read(URL(fileURLWithPath: modelPath), options: architecture.readOptions)
            try architecture.apply(to: &graph, required: true, policy: policy)
            let network = try ModelErrors.naming(modelPath) { try Network(graph: graph) }
            var options = csv
            options.expectedFeatureCount = network.inputWidth
            let progress = Progress()
            progress.update("reading \(URL(fileURLWithPath: dataPath).lastPathComponent)")
            let data = try DataLoading.load(from: URL(fileURLWithPath: dataPath), options: options, network: network)
            progress.update("scoring \(data.rowCount) rows")
            let scores = try ModelErrors.naming(modelPath) {
                try network.predictScores(features: data.features, rows: data.rowCount)
            }
            progress.done()
            if let target {
                try target.write(scores: scores, kept: data.kept, force: force)
            } else {
                FileHandle.standardOutput.write(Data(PredictOutput.csv(scores: scores, kept: data.kept).utf8))
            }
        }
    }
}
