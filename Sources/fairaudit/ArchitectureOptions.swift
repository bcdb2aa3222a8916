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

    @Option(help: "Activation between the dense layers of a state dict whose file names no architecture.")
    var activation: Activation = .relu

    @Option(help: "Output activation of a state dict whose file names no architecture.")
    var head: HeadOption = .sigmoid

    /// Fills `graph.layers` when the file had no architecture: from a Keras
    /// model config JSON (`--config`), or by inferring a dense chain from a
    /// state dict's tensor names with `--activation` and `--head`. With
    /// `required`, failing to find one is an error.
    func apply(to graph: inout ModelGraph, required: Bool, modelConfig: String? = nil) throws {
        var configPath = modelConfig
        if configPath == nil, let config, try PolicyLookup.isJSON(config) { configPath = config }
        if let configPath {
            guard let bytes = FileManager.default.contents(atPath: configPath),
                  let json = String(data: bytes, encoding: .utf8) else {
                throw FairAuditError.unreadableFile(path: configPath, reason: "cannot read the model config")
            }
            try KerasConfig.apply(json: json, to: &graph)
            return
        }
        if graph.layers != nil || !required { return }
        if graph.layout == "torch-state-dict" || graph.layout == "arrays" {
            graph.layers = try graph.inferredLayers(activation: activation, head: head.kind)
            return
        }
        // Named by its path: the one line on stderr must say which file cannot be run.
        throw FairAuditError.invalidInput(path: graph.source?.path ?? "the model", reason: "cannot be run: "
            + (graph.architectureNote ?? "it holds no architecture (pass --config model_config.json)"))
    }
}

extension HeadOption {
    /// The executor's head.
    var kind: HeadKind {
        switch self {
        case .sigmoid: .sigmoid
        case .softmax: .softmax
        case .linear: .linear
        }
    }
}
