import ArgumentParser
import FairAudit
import FairAuditPlugins
import Foundation

extension FairAuditCommand {
    /// `fairaudit inspect MODEL`: what `h5ls -r` and Keras `model.summary()` show.
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a model file's tensors, statistics, architecture and metadata.",
            discussion: """
                Prints the format and layout fairaudit detected, one row per tensor in file \
                order (dtype, shape, elements, bytes, min, max, mean, std, NaN and Inf counts; \
                statistics over finite values), the totals, the layers when the architecture \
                is known, and the file's metadata.

                Examples:
                  fairaudit inspect model.h5
                  fairaudit inspect weights.npz --json | jq '.tensors[].shape'
                  fairaudit inspect big.npz --no-stats     # names, dtypes, shapes only; reads no values
                """)

        @Argument(help: "The model file (.h5, .keras, .weights.h5, .npz, .npy).")
        var model: String

        @Flag(help: "Print one JSON object instead of tables.")
        var json = false

        @Flag(name: .customLong("no-stats"), help: "Do not read tensor values (instant on any file size).")
        var noStats = false

        @OptionGroup var architecture: ArchitectureOptions

        func run() throws {
            let url = URL(fileURLWithPath: model)
            var graph = try Plugins.formats.read(url, options: architecture.readOptions)
            try architecture.apply(to: &graph, required: false)
            let progress = Progress()
            let report = try Inspection(graph: graph, withStats: !noStats) { i, n, name in
                progress.update("reading \(i + 1)/\(n): \(name)")
            }
            progress.done()
            emit(json ? report.json.serialized(pretty: true) : report.text)
        }
    }
}
