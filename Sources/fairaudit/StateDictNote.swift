import FairAudit
import Foundation

/// What `fairaudit` says about an architecture it inferred from a state
/// dict's tensor names, so a wrong guess is visible.
enum StateDictNote {
    /// One line: the chain as inferred, and which parts were defaults.
    ///
    /// `model.npz holds no architecture; inferred from its tensor names:
    /// net.0 (80→64) relu → net.2 (64→1) sigmoid; relu between the dense
    /// layers and the sigmoid head are defaults (…)`
    static func text(file: String, graph: ModelGraph, layers: [Layer], activationGiven: Bool, headGiven: Bool) -> String
    {
        var parts: [String] = []
        for layer in layers {
            switch layer.kind {
            case .dense:
                var part = layer.name
                if let k = layer.weights[.kernel], let t = try? graph.tensor(named: k), t.shape.count == 2 {
                    let (i, o) = layer.kernelLayout == .inOut ? (t.shape[0], t.shape[1]) : (t.shape[1], t.shape[0])
                    part += " (\(i)→\(o))"
                }
                if layer.activation != .linear || layer.name == layers.last?.name {
                    part += " " + layer.activation.rawValue
                }
                parts.append(part)
            case .activation:
                if parts.isEmpty {
                    parts.append(layer.activation.rawValue)
                } else {
                    parts[parts.count - 1] += " " + layer.activation.rawValue
                }
            case .batchNormalization: parts.append("\(layer.name) (batch norm)")
            case .layerNormalization: parts.append("\(layer.name) (layer norm)")
            case .input, .dropout, .flatten: continue
            default: parts.append("\(layer.name) (\(layer.className))")  // inferred chains hold none of the others
            }
        }
        let head = layers.last.map { $0.activation.rawValue } ?? "sigmoid"
        let hidden = layers.filter { $0.kind == .activation && $0 != layers.last }.map(\.activation.rawValue)
        var defaults: [String] = []
        if !activationGiven && !hidden.isEmpty { defaults.append("\(hidden.first ?? "relu") between the dense layers") }
        if !headGiven { defaults.append("the \(head) head") }
        let tail: String
        switch defaults.count {
        case 0: tail = "activations and head as given"
        case 1:
            tail =
                "\(defaults[0]) is the default (pass \(activationGiven || hidden.isEmpty ? "--head" : "--activation") or --architecture if the model differs)"
        default:
            tail =
                "\(defaults.joined(separator: " and ")) are defaults (pass --activation, --head or --architecture if the model differs)"
        }
        return "\(URL(fileURLWithPath: file).lastPathComponent) holds no architecture; inferred from its tensor names: "
            + parts.joined(separator: " → ") + "; " + tail
    }

    /// The reason of an inference failure, for a message that names the file.
    static func reason(_ error: FairAuditError) -> String {
        if case .unsupportedModel(let reason) = error { return "cannot be run: " + reason }
        return error.description
    }
}
