import CHDF5
import FairAudit
import Foundation

/// Everything read from one HDF5 file before its layout is decided.
struct HDF5Contents {
    /// The open file the tensors read from.
    let file: HDF5File
    /// Numeric datasets as lazy tensors, in walk order.
    var tensors: [Tensor] = []
    /// Every dataset, numeric or not, by path.
    var datasets: [String: HDF5DatasetInfo] = [:]
    /// Every group path (`""` is the root).
    var groups: Set<String> = []
    /// Attributes by object path.
    var attributes: [String: [(name: String, value: HDF5AttributeValue)]] = [:]
    /// Objects skipped, and why.
    var notes: [String] = []
    /// Objects in walk order.
    var order: [String] = []

    /// The attribute `name` of `object`, joining Keras' split form
    /// (`name0`, `name1`, …) when the attribute itself is absent.
    func attribute(_ name: String, of object: String) -> HDF5AttributeValue? {
        let attrs = attributes[object] ?? []
        if let v = attrs.first(where: { $0.name == name })?.value { return v }
        var joined: [String] = []
        var i = 0
        while let part = attrs.first(where: { $0.name == "\(name)\(i)" })?.value {
            joined += part.stringList ?? []
            i += 1
        }
        return i > 0 ? .strings(joined) : nil
    }

    /// The metadata pairs: `path@attribute` (the root's path is empty) → value text, then notes.
    var metadata: [(key: String, value: String)] {
        var out: [(key: String, value: String)] = []
        for path in order {
            for a in attributes[path] ?? [] { out.append((path + "@" + a.name, a.value.text)) }
        }
        for n in notes { out.append(("note", n)) }
        return out
    }
}

extension HDF5Format {
    /// Walks `file` and reads its attributes and dataset descriptions; values stay lazy.
    static func contents(of file: HDF5File) throws -> HDF5Contents {
        var c = HDF5Contents(file: file)
        try file.checkGlobalHeaps()  // before libhdf5 loads any heap: a corrupt one can hang it (fuzz finding)
        let (objects, notes) = try file.walk()
        c.notes = notes
        for obj in objects {
            c.order.append(obj.path)
            c.attributes[obj.path] = try file.attributes(of: obj.path)
            switch obj.kind {
            case .group: c.groups.insert(obj.path)
            case .dataset:
                let info = try file.describeDataset(obj.path)
                c.datasets[obj.path] = info
                guard let dtype = info.dtype else {
                    c.notes.append("dataset '\(obj.path)' holds \(info.typeDescription); not read as a tensor")
                    continue
                }
                let path = obj.path
                let byteCount = info.shape.reduce(dtype.byteSize, *)
                c.tensors.append(
                    Tensor(
                        name: path, dtype: dtype, shape: info.shape, byteOrder: info.byteOrder,
                        storage: .deferred { try file.readRaw(path, byteCount: byteCount) },
                        origin: "/" + path))
            }
        }
        return c
    }

    /// The graph of `c`, with its layout detected and, for Keras files with
    /// a config (inside, or given as `configJSON`), the architecture.
    static func graph(
        from c: HDF5Contents, source: URL, bundle: Bool = false, config configJSON: String? = nil
    ) throws -> ModelGraph {
        let keras = try kerasWeights(c)
        var graph = ModelGraph(
            format: name, layout: bundle ? .kerasBundle : keras.layout,
            tensors: c.tensors, metadata: c.metadata, source: source)
        guard let weights = keras.weights else { return graph }
        guard let json = configJSON ?? keras.config else {
            graph.architectureNote =
                "the file holds weights only; pass the model's config.json (model.to_json()) with --architecture, or put it beside the file as <name>.config.json"
            return graph
        }
        let shapes = Dictionary(c.tensors.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
        do {
            let arch = try KerasConfig.architecture(fromJSON: json, weights: weights, shapes: shapes)
            graph.layers = arch.layers
            graph.inputWidth = arch.inputWidth
            graph.architectureNote = arch.note
        } catch let e as FairAuditError {
            throw HDF5Error.configMismatch(file: c.file.displayName, reason: e.description)
        }
        return graph
    }
}
