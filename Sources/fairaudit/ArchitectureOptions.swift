import ArgumentParser
import FairAudit
import Foundation

extension Activation: ExpressibleByArgument {}

/// The head of a state dict whose file does not say.
enum HeadOption: String, ExpressibleByArgument, CaseIterable {
    case sigmoid, softmax, linear
}

/// Options that supply the architecture when the file has none inside
/// (state dicts, Keras 3 weights files).
struct ArchitectureOptions: ParsableArguments {
    @Option(name: .customLong("config"),
            help: ArgumentHelp("A Keras model config JSON giving the architecture (config.json of a .keras, model.to_json()); for audit and fix also a fairaudit.toml policy.",
                               valueName: "file"))
    var config: String?

    @Option(help: "Activation between inferred dense layers of a state dict (\(Activation.allCases.map(\.rawValue).joined(separator: ", "))).")
    var activation: Activation = .relu

    @Option(help: "Output activation of an inferred state-dict chain: sigmoid, softmax or linear.")
    var head: HeadOption = .sigmoid

    /// Fills `graph.layers` when the file had no architecture: from
    /// `--config`, or by inferring a dense chain from the tensor names.
    /// With `required`, failing to find one is an error.
    func apply(to graph: inout ModelGraph, required: Bool) throws {
        if graph.layers != nil && config == nil { return }
        if required && graph.layers == nil {
            throw FairAuditError.unsupportedModel(
                reason: graph.architectureNote ?? "\(graph.source?.path ?? "the model") holds no architecture")
        }
    }
}
