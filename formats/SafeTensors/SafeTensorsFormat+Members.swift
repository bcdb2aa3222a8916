import FairAudit
import Foundation

extension SafeTensorsFormat {
    /// One file's parts: the length and header, then each tensor's bytes in
    /// header order; a sharded set: the index, then each shard's parts
    /// named `<shard>/<part>`.
    public static func members(of url: URL) throws -> [(name: String, bytes: Data)] {
        if isIndex(url, prefix: try FormatRegistry.prefix(of: url)) {
            let index = try SafeTensorsIndex.read(url)
            var out = [(name: url.lastPathComponent, bytes: index.bytes)]
            for shard in index.shards {
                let parts = try members(of: url.deletingLastPathComponent().appendingPathComponent(shard))
                out += parts.map { (name: "\(shard)/\($0.name)", bytes: $0.bytes) }
            }
            return out
        }
        let (header, tensors) = try readFile(url)
        var out = [(name: "header", bytes: Data(try FormatRegistry.prefix(of: url, count: header.dataStart)))]
        for t in tensors { out.append((name: t.name, bytes: try t.rawBytes())) }
        return out
    }
}
