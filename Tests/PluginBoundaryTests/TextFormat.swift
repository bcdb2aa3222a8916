import FairAudit
import Foundation

/// A format defined in a test target only: float32 tensors as text lines,
/// `name|dims|v1,v2,…`, between a `FAIRAUDIT-TEXT 1` line and an `END`
/// line. It exists to show that a format is a type and a registry entry,
/// with no change to the core.
enum TextFormat: ModelFormat {
    static let name = "text"
    static let fileExtensions = ["fatxt"]
    static let magic = "FAIRAUDIT-TEXT 1\n"
    static let end = "END\n"

    struct Bad: Error, CustomStringConvertible {
        var description: String
    }

    static func canRead(_ url: URL, prefix: [UInt8]) -> Bool { prefix.starts(with: Array(magic.utf8)) }

    /// The tensor lines as stored, each with its newline.
    static func lines(_ url: URL) throws -> [String] {
        let text = try String(contentsOf: url, encoding: .utf8)
        guard text.hasPrefix(magic), text.hasSuffix("\n" + end) || text == magic + end else {
            throw Bad(
                description:
                    "\(url.lastPathComponent): no \(magic.dropLast()) line, or the END line is missing (truncated)")
        }
        return text.dropFirst(magic.count).dropLast(end.count).split(separator: "\n").map { $0 + "\n" }
    }

    static func read(_ url: URL) throws -> ModelGraph {
        var tensors: [Tensor] = []
        for (i, line) in try lines(url).enumerated() {
            let parts = line.dropLast().split(separator: "|", omittingEmptySubsequences: false)
            guard parts.count == 3, !parts[0].isEmpty else {
                throw Bad(description: "\(url.lastPathComponent): line \(i + 2) is not name|dims|values")
            }
            let dims = try parts[1].split(separator: "x").map { d in
                guard let n = Int(d), n >= 0 else {
                    throw Bad(description: "\(url.lastPathComponent): line \(i + 2): bad dimension \(d)")
                }
                return n
            }
            let values = try parts[2].split(separator: ",").map { v in
                guard let x = Float(v) else {
                    throw Bad(description: "\(url.lastPathComponent): line \(i + 2): bad value \(v)")
                }
                return Double(x)
            }
            guard values.count == dims.reduce(1, *) else {
                throw Bad(
                    description:
                        "\(url.lastPathComponent): line \(i + 2) holds \(values.count) values for shape \(dims)")
            }
            tensors.append(
                Tensor(
                    name: String(parts[0]), dtype: .float32, shape: dims,
                    storage: .bytes(Tensor.encode(values, dtype: .float32, byteOrder: .little))))
        }
        return ModelGraph(format: name, layout: StateDictLayout.detect(tensors), tensors: tensors, source: url)
    }

    /// One line per tensor; unmodified tensors keep their source line as stored.
    static func write(_ graph: ModelGraph, to url: URL, basedOn source: URL?) throws {
        let old = try source.map { try lines($0) } ?? []
        var text = magic
        for (i, t) in graph.tensors.enumerated() {
            if !t.isModified, i < old.count, old[i].hasPrefix(t.name + "|") {
                text += old[i]
                continue
            }
            let values = try t.floatValues().map { "\($0)" }.joined(separator: ",")
            text += "\(t.name)|\(t.shape.map(String.init).joined(separator: "x"))|\(values)\n"
        }
        try (text + end).write(to: url, atomically: true, encoding: .utf8)
    }

    /// The magic line, each tensor line, and the end line.
    static func members(of url: URL) throws -> [(name: String, bytes: Data)] {
        [("magic", Data(magic.utf8))]
            + (try lines(url)).map { line in
                (String(line.prefix { $0 != "|" }), Data(line.utf8))
            } + [("end", Data(end.utf8))]
    }
}
