import Foundation

/// The naming and orientation conventions `convert --layout` can write.
public enum WeightLayout: String, Sendable, CaseIterable {
    /// PyTorch: `<layer>.weight` (dense kernels out×in), `<layer>.bias`,
    /// BatchNorm `weight`/`bias`/`running_mean`/`running_var`.
    case torch
    /// Keras: `<layer>/kernel` (in×out), `<layer>/bias`, BatchNorm
    /// `gamma`/`beta`/`moving_mean`/`moving_variance`.
    case keras
}

extension ModelGraph {
    /// Tensor-name suffix for each role in each convention.
    static func roleName(_ role: ParameterRole, in layout: WeightLayout) -> String {
        layout == .torch ? role.torchName : role.rawValue
    }

    /// A new graph holding the same layers' weights renamed and reoriented to
    /// `layout`: a dense kernel `W` becomes `Wᵀ` when its stored orientation
    /// differs from the target's (Keras in×out, PyTorch out×in). Needs the
    /// architecture; tensors that belong to no layer (optimizer state) are dropped.
    public func converted(to layout: WeightLayout) throws -> ModelGraph {
        guard let layers else {
            throw FairAuditError.unsupportedModel(
                reason:
                    "converting to the \(layout.rawValue) layout needs the architecture (pass --architecture, or --activation/--head for a state dict)"
            )
        }
        let separator = layout == .torch ? "." : "/"
        let targetKernel: KernelLayout = layout == .torch ? .outIn : .inOut
        var tensors: [Tensor] = []
        var newLayers: [Layer] = []
        for layer in layers {
            var copy = layer
            copy.weights = [:]
            for role in ParameterRole.convertible {
                guard let name = layer.weights[role] else { continue }
                var t = try tensor(named: name)
                let newName = layer.name + separator + Self.roleName(role, in: layout)
                if role == .kernel, layer.kernelLayout != targetKernel, t.shape.count == 2 {
                    t = try t.transposed2D()
                }
                t.name = newName
                t.origin = newName
                t.isModified = true
                tensors.append(t)
                copy.weights[role] = newName
            }
            if layer.kind == .dense { copy.kernelLayout = targetKernel }
            newLayers.append(copy)
        }
        return ModelGraph(
            format: format, layout: layout == .torch ? .torchStateDict : .kerasWeights,
            tensors: tensors,
            // Only the Keras config survives: the rest described the file read.
            metadata: metadata.filter { KerasExport.configKeys.contains($0.key) }, layers: newLayers,
            inputWidth: inputWidth,
            architectureNote: nil, source: nil)
    }
}

extension Tensor {
    /// The transpose of a 2-D tensor, same dtype and byte order.
    public func transposed2D() throws -> Tensor {
        guard shape.count == 2 else { throw FairAuditError.shapeMismatch(name: name, expected: [0, 0], found: shape) }
        let rows = shape[0]
        let cols = shape[1]
        let size = dtype.byteSize
        let src = try rawBytes()
        guard src.count >= byteCount else {
            throw FairAuditError.truncatedTensor(name: name, expected: byteCount, found: src.count)
        }
        var out = Data(count: byteCount)
        src.withUnsafeBytes { (s: UnsafeRawBufferPointer) in
            out.withUnsafeMutableBytes { (d: UnsafeMutableRawBufferPointer) in
                for r in 0..<rows {
                    for c in 0..<cols {
                        let from = (r * cols + c) * size
                        let to = (c * rows + r) * size
                        for b in 0..<size { d[to + b] = s[from + b] }
                    }
                }
            }
        }
        var t = self
        t.shape = [cols, rows]
        t.storage = .bytes(out)
        return t
    }
}
