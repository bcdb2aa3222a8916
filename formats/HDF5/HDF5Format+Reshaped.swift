import FairAudit
import Foundation

extension HDF5Format {
    /// True when `graph` no longer fits `source`'s datasets: a tensor's shape
    /// differs from the source's, or a source tensor is gone (a model cut
    /// for a new head). Rewriting in place keeps shapes, so such a graph is
    /// written as a new file.
    static func reshapes(_ graph: ModelGraph, _ source: URL) throws -> Bool {
        guard graph.tensors.contains(where: \.isModified) else { return false }
        let original = try read(source)
        let shapes = Dictionary(graph.tensors.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
        return original.tensors.contains { t in
            !t.isMetadata && shapes[t.name].map { $0 != t.shape } ?? true
        }
    }

    /// A new file for a reshaped graph: a Keras model (a `.keras` bundle
    /// when the source was one or the name asks for it, a Keras 3 weights
    /// file for `*.weights.h5`, else a legacy full model) whose config is
    /// made from the graph's layers, so the changed layers' `units` and
    /// `activation` are what Keras builds; a state dict (one dataset per
    /// tensor) when the graph is not in Keras' layout.
    static func writeReshaped(_ graph: ModelGraph, to url: URL, bundle: Bool) throws {
        let name = url.lastPathComponent.lowercased()
        guard graph.layers != nil, isKerasLayout(graph) else { return try create(graph, at: url) }
        let export = try KerasExport.make(from: graph)
        if name.contains(".weights.h5") { return try writeNew(keras3WeightsPlan(export), to: url) }
        if bundle || name.contains(".keras") { return try writeNewBundle(export, to: url) }
        return try writeNew(legacyPlan(export), to: url)
    }
}
