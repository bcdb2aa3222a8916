import ArgumentParser
import FairAudit
import Foundation

/// The head of a state dict whose file does not say: the executor's one head enum.
typealias HeadOption = HeadKind

extension HeadKind: ExpressibleByArgument {}

/// Options that supply the architecture when the file has none inside
/// (state dicts, Keras weights-only files). Each may also come from
/// fairaudit.toml (`architecture`, `activation`, `head`, `exclude`); flags win.
struct ArchitectureOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "A Keras model config JSON giving the architecture of a file that holds none (model.to_json(), the config.json of a .keras). A state dict's tensors are matched to its layers by name, else in file order.",
            valueName: "file"))
    var architecture: String?

    @Option(
        help: ArgumentHelp(
            "Activation after each hidden dense layer of a state dict with no --architecture: one for all, or one per hidden layer in order (default relu).",
            valueName: "relu|tanh,relu"))
    var activation: String?

    @Option(
        help:
            "Output activation of a state dict with no --architecture: sigmoid (1 unit, the default), softmax (2 units) or linear (logits)."
    )
    var head: HeadOption?

    @Option(
        help: ArgumentHelp(
            "A tensor that is not a weight, left out of layer inference; repeatable. Non-float and 0-d members are left out already.",
            valueName: "name"))
    var exclude: [String] = []

    @Option(
        name: .customLong("onnx-output"),
        help: ArgumentHelp(
            "The graph output of an ONNX model that is its score: probabilities (sigmoid or softmax), logits, or skl2onnx's `probabilities` (default: the first output; a label output behind ArgMax gives way to `probabilities`). Only the nodes this output depends on are run. Named apart from -o/--output, the file a command writes.",
            valueName: "name"))
    var onnxOutput: String?

    @Flag(
        name: .customLong("allow-external-data"),
        help:
            "Read an ONNX model's tensors stored in external data files; only files inside the model's folder are read (no '..', no absolute path, no link leading out). Refused by default."
    )
    var allowExternalData = false

    /// How the model file is read: the ONNX output and external data asked for.
    var readOptions: ReadOptions { ReadOptions(output: onnxOutput, allowExternalData: allowExternalData) }

    /// The activations asked for (flag, then policy), or nil for the default.
    func activations(policy: Policy?) throws -> [Activation]? {
        let known = Activation.allCases.map(\.rawValue).joined(separator: ", ")
        if let activation {
            return try activation.split(separator: ",").map { part in
                let name = part.trimmingCharacters(in: .whitespaces)
                guard let a = Activation(rawValue: name) else {
                    throw ValidationError("--activation: '\(name)' is not an activation (one of \(known)).")
                }
                return a
            }
        }
        guard let names = policy?.activation else { return nil }
        return try names.map { name in
            guard let a = Activation(rawValue: name) else {
                throw FairAuditError.policy(
                    file: policy?.source ?? "fairaudit.toml", line: 0,
                    reason: "'activation': '\(name)' is not an activation (one of \(known))")
            }
            return a
        }
    }

    /// The head asked for (flag, then policy), or nil for the default.
    func headOption(policy: Policy?) throws -> HeadOption? {
        if let head { return head }
        guard let name = policy?.head else { return nil }
        guard let h = HeadOption(rawValue: name) else {
            throw FairAuditError.policy(
                file: policy?.source ?? "fairaudit.toml", line: 0,
                reason: "'head' must be one of sigmoid, softmax, linear (got '\(name)')")
        }
        return h
    }

    /// Fills `graph.layers` when the file had no architecture: from a Keras
    /// model config JSON (`--architecture`), or by inferring a dense chain
    /// from a state dict's tensor names with `--activation` and `--head`,
    /// telling on stderr what was matched or assumed. With `required`,
    /// failing to find one is an error naming the file; `quiet` prints no note
    /// (a file read again after writing it).
    func apply(to graph: inout ModelGraph, required: Bool, policy: Policy? = nil, quiet: Bool = false) throws {
        let file = graph.source?.path ?? "the model"
        if onnxOutput != nil || allowExternalData, graph.format != "onnx" {
            throw FairAuditError.invalidInput(
                path: file,
                reason: "--onnx-output and --allow-external-data apply to ONNX models; this is a \(graph.format) file")
        }
        let excluded = Set(exclude + (policy?.exclude ?? []))
        if let path = architecture ?? policy?.architecture.map({ policy?.resolve($0) ?? $0 }) {
            guard let bytes = FileManager.default.contents(atPath: path),
                let json = String(data: bytes, encoding: .utf8)
            else {
                throw FairAuditError.unreadableFile(path: path, reason: "cannot read the model config")
            }
            let pairs: [(layer: String, prefix: String)]
            do {
                pairs = try graph.applyArchitecture(json: json, excluding: excluded)
            } catch FairAuditError.invalidInput(let where_, let reason) where where_ == "model config" {
                throw FairAuditError.invalidInput(path: path, reason: reason + " (for \(file))")
            } catch let e as FairAuditError {
                throw FairAuditError.invalidInput(path: path, reason: "does not fit \(file): \(e.description)")
            }
            if !pairs.isEmpty && !quiet {
                note(
                    "\(URL(fileURLWithPath: file).lastPathComponent): matched the layers of \(URL(fileURLWithPath: path).lastPathComponent) to its tensors in file order: "
                        + pairs.map { "\($0.layer) ← \($0.prefix)" }.joined(separator: ", "))
            }
            if required, graph.layers == nil {
                throw FairAuditError.invalidInput(
                    path: path, reason: "cannot be run: " + (graph.architectureNote ?? "it gives no layers"))
            }
            return
        }
        if graph.layers != nil || !required { return }
        guard graph.layout.needsArchitecture else {
            // Named by its path: the one line on stderr must say which file cannot be run.
            throw FairAuditError.invalidInput(
                path: file,
                reason: "cannot be run: "
                    + (graph.architectureNote
                        ?? "it holds no architecture (pass the model's config.json with --architecture)"))
        }
        let acts = try activations(policy: policy)
        let head = try headOption(policy: policy)
        do {
            graph.layers = try graph.inferredLayers(
                activations: acts ?? [.relu], head: (head ?? .sigmoid).kind,
                excluding: excluded)
        } catch let e as FairAuditError {
            throw FairAuditError.invalidInput(path: file, reason: StateDictNote.reason(e))
        }
        var layers = graph.layers ?? []
        var wroteSoftmax = false
        if quiet, head == nil, let out = layers.last(where: { $0.kind == .dense }), out.units == 2 {
            // A state dict read back after writing it: a 2-unit output where the source had the
            // default sigmoid head is the softmax head `fix --new-head --classes 2` gave it.
            graph.layers = try graph.inferredLayers(
                activations: acts ?? [.relu], head: HeadOption.softmax.kind, excluding: excluded)
            layers = graph.layers ?? []
            wroteSoftmax = true
        }
        if head == nil, !wroteSoftmax, let out = layers.last(where: { $0.kind == .dense }), out.units == 2 {
            throw FairAuditError.invalidInput(
                path: file,
                reason:
                    "cannot be run: the output layer '\(out.name)' has 2 units, which the default sigmoid head cannot score; pass --head softmax (or --head linear for two logits)"
            )
        }
        if !quiet {
            note(
                StateDictNote.text(
                    file: file, graph: graph, layers: layers,
                    activationGiven: acts != nil, headGiven: head != nil))
        }
    }
}

extension HeadKind {
    /// The executor's head (the option is the executor's enum).
    var kind: HeadKind { self }
}

/// Writes `fairaudit: note: <text>` on stderr: something the tool guessed.
func note(_ text: String) {
    FileHandle.standardError.write(Data(("fairaudit: note: " + text + "\n").utf8))
}
