import FairAudit
import Foundation

extension SafeTensorsFormat {
    /// True when the file is a JSON object with a `weight_map` (a sharded set's index).
    static func isIndex(_ url: URL, prefix: [UInt8]) -> Bool {
        guard let first = prefix.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }), first == UInt8(ascii: "{")
        else {
            return false
        }
        if prefix.count >= 9, prefix[8] == UInt8(ascii: "{"), prefix[0] != UInt8(ascii: "{") { return false }
        // A cut or corrupt index is still claimed when it names a weight_map, so reading it says what is wrong.
        if String(decoding: prefix, as: UTF8.self).contains("\"weight_map\"") { return true }
        return (try? SafeTensorsIndex.read(url)) != nil
    }

    /// Opens the set an index names as one graph: the shards' tensors in
    /// shard order, each shard validated as a file on its own, and every
    /// tensor of every shard mapped to that shard by the index (and back).
    static func readSharded(_ url: URL) throws -> ModelGraph {
        let index = try SafeTensorsIndex.read(url)
        var mapped = Dictionary(index.weightMap.map { ($0.tensor, $0.shard) }, uniquingKeysWith: { a, _ in a })
        var tensors: [Tensor] = []
        var metadata: [(key: String, value: String)] = [("shards", "\(index.shards.count)")]
        for shard in index.shards {
            let shardURL = index.shardURL(shard)
            guard FileManager.default.fileExists(atPath: shardURL.path) else {
                throw SafeTensorsError.badIndex(file: url.path, reason: "shard '\(shard)' does not exist")
            }
            let (header, ts) = try readFile(shardURL)
            for t in ts {
                guard let s = mapped.removeValue(forKey: t.name) else {
                    throw SafeTensorsError.badIndex(
                        file: url.path,
                        reason: "tensor '\(t.name)' of shard '\(shard)' is not in weight_map, or in two shards")
                }
                guard s == shard else {
                    throw SafeTensorsError.badIndex(
                        file: url.path, reason: "tensor '\(t.name)' is in shard '\(shard)' but weight_map says '\(s)'")
                }
            }
            if shard == index.shards.first {
                for (k, v) in header.metadata ?? [] { metadata.append((metadataPrefix + k, v)) }
            }
            tensors += ts
        }
        if let (name, shard) = mapped.sorted(by: { $0.key < $1.key }).first {
            throw SafeTensorsError.badIndex(
                file: url.path, reason: "tensor '\(name)' is mapped to shard '\(shard)', which does not hold it")
        }
        return ModelGraph(
            format: self.name, layout: StateDictLayout.detect(tensors), tensors: tensors,
            metadata: metadata, source: url)
    }

    /// The stem shards written beside `url` are named after: the file name
    /// without its `json`, `index` and `safetensors` parts (and without the
    /// temporary-name decoration `AtomicFile` adds), so both
    /// `model.fair.safetensors.index.json` and `model.safetensors.index.fair.json`
    /// get `model.fair-00001-of-00002.safetensors`.
    static func shardStem(_ url: URL) -> String {
        var name = url.lastPathComponent
        if name.hasPrefix("."), let r = name.range(of: ".tmp-") {
            name = String(name[name.index(after: name.startIndex)..<r.lowerBound])
        }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        let kept = parts.enumerated().filter { i, p in
            i == 0 || !["json", "index", "safetensors"].contains(p.lowercased())
        }.map(\.element)
        let stem = kept.joined(separator: ".")
        return stem.isEmpty ? "model" : stem
    }

    /// Writes a sharded set: the index at `url` and its shards beside it as
    /// `<stem>-0000k-of-0000n.safetensors`. Based on a `source` index: the
    /// same tensors in the same shards (new tensors go to the last), each
    /// shard written back from its source shard (unchanged shards are
    /// byte-identical copies), `weight_map` in the source's order, its
    /// `metadata` kept (its `total_size` redone if the bytes changed).
    /// Without one: a single shard. Each shard is written and verified on its
    /// own; the index is written last.
    static func writeSharded(_ graph: ModelGraph, to url: URL, basedOn source: URL?) throws {
        let index = try source.map { try SafeTensorsIndex.read($0) }
        let sourceShards = index?.shards ?? ["model.safetensors"]
        let stem = shardStem(url)
        let n = sourceShards.count
        let names = (1...n).map { k in "\(stem)-\(pad5(k))-of-\(pad5(n)).safetensors" }
        let dir = url.deletingLastPathComponent()
        let shardOf = Dictionary(
            (index?.weightMap ?? []).map { ($0.tensor, $0.shard) }, uniquingKeysWith: { a, _ in a })
        let position = Dictionary(sourceShards.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var groups = [[Tensor]](repeating: [], count: n)
        for t in graph.tensors { groups[shardOf[t.origin].flatMap { position[$0] } ?? (n - 1)].append(t) }
        for (k, name) in names.enumerated() {
            let out = dir.appendingPathComponent(name)
            if let index,
                index.shards.contains(where: {
                    index.shardURL($0).standardizedFileURL.path == out.standardizedFileURL.path
                })
            {
                throw SafeTensorsError.cannotWrite(
                    file: url.path,
                    reason: "shard \(name) would overwrite a shard of the source; write to another name or folder")
            }
            var sub = ModelGraph(format: self.name, layout: graph.layout, tensors: groups[k], metadata: graph.metadata)
            sub.source = nil
            try write(sub, to: out, basedOn: index.map { $0.shardURL(sourceShards[k]) })
        }
        var weightMap: [(tensor: String, shard: String)] = []
        for (k, g) in groups.enumerated() { for t in g { weightMap.append((t.name, names[k])) } }
        if let index {
            let rank = Dictionary(index.weightMap.enumerated().map { ($1.tensor, $0) }, uniquingKeysWith: { a, _ in a })
            weightMap = weightMap.enumerated().sorted {
                (rank[$0.element.tensor] ?? Int.max, $0.offset) < (rank[$1.element.tensor] ?? Int.max, $1.offset)
            }
            .map(\.element)
        }
        let total = graph.tensors.reduce(0) { $0 + $1.byteCount }
        let sourceTotal = try source.map { try readSharded($0).byteCount }
        let sameNames =
            index.map { i in
                i.shards == names && i.weightMap.map(\.tensor) == weightMap.map(\.tensor)
                    && zip(i.weightMap, weightMap).allSatisfy { $0.shard == $1.shard }
            } ?? false
        let bytes: Data
        if let index, sameNames, sourceTotal == total {
            bytes = index.bytes
        } else {
            let keep = sourceTotal == total ? index?.metadataJSON : nil
            bytes = SafeTensorsIndex.encode(
                metadataJSON: keep ?? "{\n    \"total_size\": \(total)\n  }", weightMap: weightMap)
        }
        try AtomicFile.write(
            to: url, overwrite: true,
            produce: { tmp in
                do { try bytes.write(to: tmp) } catch {
                    throw SafeTensorsError.cannotWrite(file: url.path, reason: "\(error)")
                }
            },
            verify: { tmp in
                let back = try readSharded(tmp)
                try verifyTensors(graph.tensors, back.tensors, file: url.path)
            })
    }

    /// `k` as five digits, as Hugging Face numbers shards.
    static func pad5(_ k: Int) -> String { String(repeating: "0", count: max(0, 5 - String(k).count)) + String(k) }
}
