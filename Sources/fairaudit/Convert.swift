import ArgumentParser
import FairAudit
import FairAuditPlugins
import Foundation

extension WeightLayout: ExpressibleByArgument {}

extension FairAuditCommand {
    /// `fairaudit convert IN OUT`: rewrite weights in another format or layout.
    struct Convert: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Convert model weights between formats (.h5, .keras, .npz, .safetensors, .pt) and layouts.",
            discussion: """
                The output format follows OUT's extension. Without --layout the tensors keep \
                their names, dtypes and values; converting to the input's own format is an \
                exact copy of the weights. When the architecture is known, Keras outputs are \
                models Keras opens: OUT.keras a bundle for keras.models.load_model, \
                OUT.weights.h5 a Keras 3 weights file for model.load_weights, and OUT.h5 from \
                another format (or with --layout keras) a full model as model.save("m.h5") \
                writes it. --layout torch writes PyTorch conventions (dense \
                kernels transposed to out×in, names <layer>.weight and <layer>.bias, BatchNorm \
                running_mean/running_var); --layout keras the reverse (<layer>/kernel in×out). \
                Both need the architecture: from the file, from --architecture, or inferred from a \
                state dict's names with --activation/--head.

                Examples:
                  fairaudit convert model.h5 weights.npz --layout torch
                  fairaudit convert state_dict.npz model_weights.h5
                  fairaudit convert model.h5 model.keras
                  fairaudit convert state_dict.npz model.keras --activation relu --head sigmoid
                """)

        @Argument(help: "The model file to read.")
        var input: String

        @Argument(help: "The file to write; its extension picks the format.")
        var output: String

        @Option(help: "Naming and orientation to write: torch or keras.")
        var layout: WeightLayout?

        @Flag(help: "Overwrite OUT when it exists.")
        var force = false

        @Flag(help: "Print what was written as JSON.")
        var json = false

        @OptionGroup var architecture: ArchitectureOptions

        func run() throws {
            let inURL = URL(fileURLWithPath: input)
            let outURL = URL(fileURLWithPath: output)
            try OutputGuard.check(outURL, input: inURL, force: force)
            let inFormat = try Plugins.formats.format(for: inURL)
            guard let outFormat = Plugins.formats.format(forOutput: outURL) else {
                let known = Plugins.formats.formats.flatMap { $0.fileExtensions }.map { "." + $0 }
                throw FairAuditError.invalidInput(
                    path: output,
                    reason:
                        "cannot tell the output format from its extension (use one of \(known.joined(separator: ", ")))"
                )
            }
            var graph = try inFormat.read(inURL, options: architecture.readOptions)
            let copy =
                layout == nil && outFormat.name == inFormat.name
                && inURL.pathExtension.lowercased() == outURL.pathExtension.lowercased()
            // A .keras bundle, and a .weights.h5 made from another format, are Keras models: they need the architecture.
            let name = outURL.lastPathComponent.lowercased()
            let kerasModel = name.hasSuffix(".keras") || (name.hasSuffix(".weights.h5") && !copy)
            try architecture.apply(to: &graph, required: layout != nil || (kerasModel && !copy))
            if let layout { graph = try graph.converted(to: layout) }
            let basedOn: URL? = copy ? inURL : nil
            try outFormat.write(graph, to: outURL, basedOn: basedOn)
            let written = try Plugins.formats.read(outURL)
            if json {
                emit(
                    JSONValue.object([
                        ("input", .string(input)), ("output", .string(output)),
                        ("format", .string(written.format)), ("layout", .string(written.layout.rawValue)),
                        ("tensors", .int(written.tensors.count)), ("parameters", .int(written.parameterCount)),
                    ]).serialized(pretty: true))
            } else {
                emit(
                    "wrote \(output): \(written.format), layout \(written.layout.rawValue), \(written.tensors.count) tensors, \(written.parameterCount) parameters"
                )
            }
        }
    }
}
