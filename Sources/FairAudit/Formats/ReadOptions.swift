import Foundation

/// Choices a user makes about how a model file is read, passed to every
/// format (most have none to make).
public struct ReadOptions: Sendable, Equatable {
    /// The graph output that is the model's score (ONNX: a graph output's
    /// name); nil: the format's default.
    public var output: String?
    /// Tensors whose values live in other files beside the model (ONNX
    /// external data) may be read — only files inside the model's folder.
    public var allowExternalData: Bool

    /// Creates read options; the defaults read as every format always has.
    public init(output: String? = nil, allowExternalData: Bool = false) {
        self.output = output
        self.allowExternalData = allowExternalData
    }
}

extension ModelFormat {
    /// Reads the file with `options`; formats that have none to honour read as ``read(_:)``.
    public static func read(_ url: URL, options: ReadOptions) throws -> ModelGraph { try read(url) }
}

extension FormatRegistry {
    /// Reads `url` with the format its content names and `options`.
    public func read(_ url: URL, options: ReadOptions) throws -> ModelGraph {
        try format(for: url).read(url, options: options)
    }
}
