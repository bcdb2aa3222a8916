import FairAudit
import FairAuditPlugins
import Foundation

/// Where `predict` writes its scores, chosen by the extension.
struct PredictOutput {
    /// The kinds of output file.
    enum Kind { case csv, npy }

    let url: URL
    let kind: Kind

    /// Checks the extension (`.csv` or `.npy`) and that `--keep` goes to a CSV.
    init(path: String, keep: [String]) throws {
        url = URL(fileURLWithPath: path)
        switch url.pathExtension.lowercased() {
        case "csv": kind = .csv
        case "npy": kind = .npy
        default:
            throw FairAuditError.invalidInput(
                path: path, reason: "cannot tell the output format from its extension (use .csv or .npy)")
        }
        if kind == .npy && !keep.isEmpty {
            throw FairAuditError.invalidInput(
                path: path,
                reason:
                    "a .npy output holds only the scores; --keep \(keep.joined(separator: ", ")) needs a .csv output")
        }
    }

    /// Writes the scores (and kept columns) through a temporary file that is
    /// read back and checked before it is renamed into place.
    func write(scores: [Float], kept: [LabeledData.KeptColumn], force: Bool) throws {
        switch kind {
        case .csv:
            let text = Self.csv(scores: scores, kept: kept)
            try AtomicFile.write(
                to: url, overwrite: force,
                produce: { tmp in
                    try Data(text.utf8).write(to: tmp)
                },
                verify: { tmp in
                    guard let back = FileManager.default.contents(atPath: tmp.path), back == Data(text.utf8) else {
                        throw FairAuditError.writeFailed(
                            path: url.path, reason: "the written scores did not read back whole")
                    }
                })
        case .npy:
            guard let format = Plugins.formats.format(forOutput: url) else {
                throw FairAuditError.invalidInput(path: url.path, reason: "no format writes .npy files")
            }
            let bytes = scores.withUnsafeBufferPointer { Data(buffer: $0) }
            let tensor = Tensor(
                name: url.deletingPathExtension().lastPathComponent, dtype: .float32, shape: [scores.count],
                byteOrder: .native, storage: .bytes(bytes), origin: url.lastPathComponent)
            // The format writes through its own temporary file and verifies it; refuse an existing file first.
            if FileManager.default.fileExists(atPath: url.path) && !force {
                throw FairAuditError.outputExists(path: url.path)
            }
            try format.write(ModelGraph(format: format.name, layout: .arrays, tensors: [tensor]), to: url, basedOn: nil)
            let back = try Plugins.formats.read(url)
            guard back.tensors.count == 1, let t = back.tensors.first, t.dtype == .float32, try t.rawBytes() == bytes
            else {
                throw FairAuditError.writeFailed(path: url.path, reason: "the written scores did not read back equal")
            }
        }
    }

    /// The CSV text: a header (`--keep` columns, then `score`) and one line
    /// per row; each score printed with the fewest digits that read back as
    /// the same float32.
    static func csv(scores: [Float], kept: [LabeledData.KeptColumn]) -> String {
        var out = (kept.map { quoted($0.name) } + ["score"]).joined(separator: ",") + "\n"
        out.reserveCapacity(scores.count * (12 + 8 * kept.count))
        for (i, s) in scores.enumerated() {
            for column in kept { out += quoted(column.values[i]) + "," }
            out += "\(s)\n"
        }
        return out
    }

    /// A CSV cell, quoted (RFC 4180) when it holds a comma, quote or line break.
    static func quoted(_ cell: String) -> String {
        guard cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return cell }
        return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
