import FairAudit
import Foundation

/// A sharded set's index, `model.safetensors.index.json`:
/// `{"metadata": {"total_size": …}, "weight_map": {tensor: shard file}}`.
struct SafeTensorsIndex: Sendable {
    /// The index file.
    var url: URL
    /// The index's bytes as stored.
    var bytes: Data
    /// `metadata`'s JSON text as stored, when present.
    var metadataJSON: String?
    /// `weight_map` in file order: tensor name → shard file name.
    var weightMap: [(tensor: String, shard: String)]
    /// Shard file names in order of first appearance.
    var shards: [String]

    /// The largest index read (the header limit of one file).
    static let maxBytes = SafeTensorsHeader.maxHeaderLength

    /// Parses the index at `url`: a JSON object whose `weight_map` maps each
    /// tensor once to a relative shard file name inside the index's folder.
    static func read(_ url: URL) throws -> SafeTensorsIndex {
        let file = url.path
        func bad(_ r: String) -> SafeTensorsError { .badIndex(file: file, reason: r) }
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? nil
        guard let size, size <= maxBytes else { throw bad("larger than \(maxBytes) bytes, or unreadable") }
        let bytes: Data
        do { bytes = try Data(contentsOf: url) } catch {
            throw FairAuditError.unreadableFile(path: file, reason: "\(error)")
        }
        let raw = [UInt8](bytes)
        guard String(bytes: raw, encoding: .utf8) != nil else { throw bad("not valid UTF-8") }
        let doc: OrderedJSON
        do { doc = try OrderedJSON.parse(raw) } catch { throw bad("not well-formed JSON: \(error)") }
        guard let top = doc.members else { throw bad("not a JSON object") }
        guard let wm = top.first(where: { $0.key == "weight_map" })?.value.members else {
            throw bad("no \"weight_map\" object")
        }
        var map: [(tensor: String, shard: String)] = []
        var shards: [String] = []
        var seen = Set<String>()
        var shardSet = Set<String>()
        for m in wm {
            guard seen.insert(m.key).inserted else {
                throw bad("tensor '\(m.key)' appears more than once in weight_map")
            }
            guard let shard = m.value.string else {
                throw bad("tensor '\(m.key)' maps to something other than a file name")
            }
            let parts = shard.split(separator: "/", omittingEmptySubsequences: false)
            guard !shard.isEmpty, !shard.hasPrefix("/"), !parts.contains(where: { $0 == ".." || $0.isEmpty }) else {
                throw bad("tensor '\(m.key)' maps to '\(shard)', not a file name inside the index's folder")
            }
            map.append((m.key, shard))
            if shardSet.insert(shard).inserted { shards.append(shard) }
        }
        guard !shards.isEmpty else { throw bad("weight_map is empty") }
        let metadata = top.first(where: { $0.key == "metadata" }).map { String(decoding: raw[$0.range], as: UTF8.self) }
        return SafeTensorsIndex(url: url, bytes: bytes, metadataJSON: metadata, weightMap: map, shards: shards)
    }

    /// The shard file `name` beside the index.
    func shardURL(_ name: String) -> URL { url.deletingLastPathComponent().appendingPathComponent(name) }

    /// An index as `json.dumps(index, indent=2)` lays it out: `metadata`
    /// (given as JSON text), then `weight_map` in the order given.
    static func encode(metadataJSON: String?, weightMap: [(tensor: String, shard: String)]) -> Data {
        var s = "{\n"
        if let metadataJSON { s += "  \"metadata\": \(metadataJSON),\n" }
        s += "  \"weight_map\": {\n"
        s += weightMap.map { "    \(JSONValue.quote($0.tensor)): \(JSONValue.quote($0.shard))" }.joined(
            separator: ",\n")
        s += "\n  }\n}\n"
        return Data(s.utf8)
    }
}
