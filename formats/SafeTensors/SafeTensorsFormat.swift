import FairAudit
import Foundation

/// Hugging Face `.safetensors` files, and sharded sets opened through their
/// `model.safetensors.index.json`.
///
/// A file is an 8-byte little-endian header length `n`, `n` bytes of JSON
/// (tensor name → dtype, shape, data offsets; optional `__metadata__`), then
/// the raw little-endian data. The header is validated as the reference
/// implementation validates it (`SafeTensorsHeader.parse`); tensor values
/// stay zero-copy slices of the memory-mapped file until touched. Tensor
/// names are the header's keys; the `__metadata__` pairs become graph
/// metadata named `metadata.<key>`.
public enum SafeTensorsFormat: ModelFormat {
    /// `"safetensors"`.
    public static let name = "safetensors"
    /// `safetensors`, and `safetensors.index.json` for a sharded set.
    public static let fileExtensions = ["safetensors", "safetensors.index.json"]

    /// Prefix of the graph metadata keys that hold the header's `__metadata__`.
    public static let metadataPrefix = "metadata."

    /// True for an 8-byte little-endian length of at least 2 followed by `{`
    /// (or `[`, so a header that is not an object is reported as such; a
    /// length over the 100 MB limit is claimed so reading it says so), and
    /// for a JSON object with a `weight_map` (a sharded set's index).
    public static func canRead(_ url: URL, prefix: [UInt8]) -> Bool {
        if prefix.count >= 9, prefix[8] == UInt8(ascii: "{") || prefix[8] == UInt8(ascii: "[") {
            let n = prefix[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            if n >= 2 { return true }
        }
        return isIndex(url, prefix: prefix)
    }

    /// Reads a `.safetensors` file, or the set a `model.safetensors.index.json` names, into a graph.
    public static func read(_ url: URL) throws -> ModelGraph {
        let prefix = try FormatRegistry.prefix(of: url)
        if isIndex(url, prefix: prefix) { return try readSharded(url) }
        let (header, tensors) = try readFile(url)
        var metadata: [(key: String, value: String)] = [("header_bytes", "\(header.json.count)")]
        for (k, v) in header.metadata ?? [] { metadata.append((metadataPrefix + k, v)) }
        return ModelGraph(
            format: name, layout: StateDictLayout.detect(tensors), tensors: tensors,
            metadata: metadata, source: url)
    }

    /// The validated header of one file and its tensors, in header order,
    /// each a slice of the file's mapping.
    static func readFile(_ url: URL) throws -> (SafeTensorsHeader, [Tensor]) {
        let bytes = try SafeTensorsError.wrap(file: url.path) { try MappedFile(url: url) }
        let header = try SafeTensorsHeader.parse(bytes, file: url.path)
        let start = header.dataStart
        let tensors = header.entries.map { e in
            Tensor(
                name: e.name, dtype: e.dtype, shape: e.shape, byteOrder: .little,
                storage: .bytes(bytes.slice((start + e.offsets.lowerBound)..<(start + e.offsets.upperBound))),
                origin: e.name)
        }
        return (header, tensors)
    }

    /// The `__metadata__` a graph carries: its `metadata.<key>` pairs; nil when it has none.
    static func headerMetadata(of graph: ModelGraph) -> [(key: String, value: String)]? {
        let pairs = graph.metadata.filter { $0.key.hasPrefix(metadataPrefix) }
            .map { (key: String($0.key.dropFirst(metadataPrefix.count)), value: $0.value) }
        return pairs.isEmpty ? nil : pairs
    }
}
