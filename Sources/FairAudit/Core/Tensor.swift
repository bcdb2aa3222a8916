import Foundation

/// Where a tensor's bytes come from: held in memory (possibly a memory map),
/// or read on demand by the format that found them.
public enum TensorStorage: Sendable {
    /// Raw C-order bytes in the tensor's dtype and byte order.
    case bytes(Data)
    /// A reader that returns the raw C-order bytes when first asked.
    case deferred(@Sendable () throws -> Data)
}

/// One named, typed, shaped array of a model, as the file holds it.
///
/// Values stay in the file's own dtype and byte order until asked for, so a
/// tensor read from disk and written back unchanged keeps every byte.
public struct Tensor: Sendable {
    /// The tensor's name in the common graph (an npz member without `.npy`,
    /// an HDF5 dataset path without the leading slash).
    public var name: String
    /// The element type as stored.
    public var dtype: DType
    /// The dimensions, outermost first; empty for a 0-d array.
    public var shape: [Int]
    /// The byte order of the stored elements.
    public var byteOrder: ByteOrder
    /// Where the bytes are.
    public var storage: TensorStorage
    /// Where in the source file the tensor came from (member, dataset path);
    /// the format uses it to write the same file back.
    public var origin: String
    /// True once values were replaced; writers rewrite only modified tensors.
    public var isModified: Bool

    /// Creates a tensor.
    public init(
        name: String, dtype: DType, shape: [Int], byteOrder: ByteOrder = .little,
        storage: TensorStorage, origin: String? = nil, isModified: Bool = false
    ) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.byteOrder = byteOrder
        self.storage = storage
        self.origin = origin ?? name
        self.isModified = isModified
    }

    /// Number of elements: the product of the shape (1 for a 0-d array).
    public var elementCount: Int { shape.reduce(1, *) }

    /// Bytes the values take: `elementCount × dtype.byteSize`.
    public var byteCount: Int { elementCount * dtype.byteSize }

    /// The raw C-order bytes in `dtype` and `byteOrder`, reading them if deferred.
    public func rawBytes() throws -> Data {
        switch storage {
        case .bytes(let data): return data
        case .deferred(let read): return try read()
        }
    }
}
