import Foundation

/// The common graph every format reads into and writes from: tensors in file
/// order, free-form metadata, the layer list when the architecture is known,
/// and where it all came from.
public struct ModelGraph: Sendable {
    /// The format plugin's name (`"npz"`, `"hdf5"`).
    public var format: String
    /// Whose conventions the tensors follow, as detected when read.
    public var layout: ModelLayout
    /// Tensors in the order the file stores them.
    public var tensors: [Tensor]
    /// Metadata as ordered key/value pairs (attributes, header fields).
    public var metadata: [(key: String, value: String)]
    /// The layers in execution order, when the file (or a config) says.
    public var layers: [Layer]?
    /// Width of the model's input, when known.
    public var inputWidth: Int?
    /// Why the architecture is not available (an unknown layer class, …).
    public var architectureNote: String?
    /// The file the graph was read from.
    public var source: URL?

    /// Creates a graph.
    public init(
        format: String, layout: ModelLayout, tensors: [Tensor], metadata: [(key: String, value: String)] = [],
        layers: [Layer]? = nil, inputWidth: Int? = nil, architectureNote: String? = nil, source: URL? = nil
    ) {
        self.format = format
        self.layout = layout
        self.tensors = tensors
        self.metadata = metadata
        self.layers = layers
        self.inputWidth = inputWidth
        self.architectureNote = architectureNote
        self.source = source
    }

    /// The tensor called `name`.
    public func tensor(named name: String) throws -> Tensor {
        guard let t = tensors.first(where: { $0.name == name }) else { throw FairAuditError.missingTensor(name: name) }
        return t
    }

    /// Replaces the values of tensor `name`, keeping its dtype, shape and byte order.
    public mutating func replaceValues(of name: String, with values: [Float]) throws {
        guard let i = tensors.firstIndex(where: { $0.name == name }) else {
            throw FairAuditError.missingTensor(name: name)
        }
        tensors[i] = try tensors[i].replacingValues(values)
    }

    /// Total number of elements over all weight tensors (metadata members,
    /// see ``Tensor/isMetadata``, are not parameters).
    public var parameterCount: Int { tensors.reduce(0) { $0 + ($1.isMetadata ? 0 : $1.elementCount) } }

    /// Total bytes of all tensor values.
    public var byteCount: Int { tensors.reduce(0) { $0 + $1.byteCount } }
}
