import Foundation
import Testing

@testable import FairAudit

/// The block-parallel reader against the record-by-record one
/// (``LabeledData/loadSequential(from:options:)``) on awkward files, with
/// blocks and chunks small enough that their cuts land inside quoted
/// fields, CRLF pairs and numbers. Both round each cell once, decimal to
/// double to float, so equal rows are equal bit for bit.
@Suite struct CSVParallelTests {
    struct File: CustomStringConvertible, Sendable {
        let name: String
        let text: [UInt8]
        let options: CSVDataOptions
        var description: String { name }
    }

    /// Tunings from one block for the whole file to a few bytes per block.
    static let tunings: [(block: Int, chunks: Int)] = [(1 << 20, 1), (1 << 16, 2), (4096, 3), (257, 4), (64, 7)]

    static func number(_ rng: inout SplitMix) -> String {
        switch rng.next() % 6 {
        case 0: return String(rng.next() % 100)
        case 1: return String(format: "%.4f", rng.uniform(-50, 50))
        case 2: return String(rng.next() % 10_000_000_000_000_000_000)  // up to 19 digits: the exact fallback
        case 3: return String(format: "%.3e", rng.uniform(-1e6, 1e6))
        case 4: return " \(Int(rng.next() % 1000) - 500) "
        default: return "+" + String(format: "%.17g", rng.uniform(0, 1))
        }
    }

    static func files() -> [File] {
        var rng = SplitMix(state: 19)
        var out: [File] = []
        // Quoted cells: commas, doubled quotes and newlines inside, quoted numbers and header names.
        var q = "\"f 1\",\"note\",y,\"g\"\n"
        for i in 0..<3000 {
            let note = i % 3 == 0 ? "\"a, \"\"b\"\"\nc\"" : (i % 3 == 1 ? "plain" : "\"\"")
            let group = i % 4 == 0 ? "\"M, \"\"x\"\"\"" : (i % 4 == 1 ? "F" : "\"two\nlines\"")
            let f = i % 5 == 0 ? "\"\(number(&rng))\"" : number(&rng)
            q += "\(f),\(note),\(i % 2),\(group)\n"
        }
        out.append(
            File(
                name: "quotes", text: Array(q.utf8),
                options: CSVDataOptions(label: "y", groups: ["g"], ignore: ["note"])))
        // CRLF line ends, numbers of every shape.
        var crlf = "a,b,c,y,g\r\n"
        for i in 0..<5000 {
            crlf += "\(number(&rng)),\(number(&rng)),\(number(&rng)),\(i % 7 == 0 ? "true" : "false"),\(i % 3)\r\n"
        }
        out.append(File(name: "crlf", text: Array(crlf.utf8), options: CSVDataOptions(label: "y", groups: ["g"])))
        // Blank lines inside and at the end, a row skipped for an empty group, a kept id.
        var blank = "id,x,y,g\n"
        for i in 0..<4000 {
            blank += "r\(i),\(number(&rng)),\(i % 2),\(i % 97 == 0 ? "" : (i % 2 == 0 ? "A" : "B"))\n"
            if i % 500 == 0 { blank += "\n\r\n" }
        }
        blank += "\n\n\r\n\n"
        var keepOptions = CSVDataOptions(label: "y", groups: ["g"], ignore: ["id"])
        keepOptions.keep = ["id"]
        out.append(File(name: "empty lines at the end", text: Array(blank.utf8), options: keepOptions))
        // A byte-order mark, no newline after the last row, intersections.
        var bom = "\u{FEFF}x,y,s,r\n"
        for i in 0..<3000 {
            bom += "\(number(&rng)),\(i % 5 == 0 ? "hi" : "lo"),\(i % 2 == 0 ? "M" : "F"),\(["a", "b", "c"][i % 3])\n"
        }
        bom.removeLast()
        out.append(
            File(
                name: "BOM", text: Array(bom.utf8),
                options: CSVDataOptions(label: "y", groups: ["s", "r"], positive: "hi")))
        // 10^5 distinct group values, each on two rows far apart.
        var many = "x1,x2,y,g\n"
        for i in 0..<200_000 {
            let g = (i * 7919) % 100_000
            many += "\(i % 1000),\(Double(i % 977) / 8),\(i % 2),grp\(g)\n"
        }
        out.append(File(name: "1e5 groups", text: Array(many.utf8), options: CSVDataOptions(label: "y", groups: ["g"])))
        return out
    }

    /// The message of the error `body` throws; nil when it throws none.
    static func message(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch { return "\(error)" }
    }

    static func write(_ bytes: [UInt8]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fa-par-\(UUID().uuidString).csv")
        try Data(bytes).write(to: url)
        return url
    }

    @Test(arguments: files())
    func parallelEqualsSequential(file: File) throws {
        let url = try Self.write(file.text)
        defer { try? FileManager.default.removeItem(at: url) }
        let (want, wantSkipped) = try LabeledData.loadSequential(from: url, options: file.options)
        #expect(want.rowCount > 1000)
        for t in Self.tunings {
            var tuning = CSVReadTuning()
            tuning.blockBytes = t.block
            tuning.chunks = t.chunks
            tuning.minChunkBytes = 1
            let (got, skipped) = try LabeledData.loadCSV(from: url, options: file.options, tuning: tuning)
            #expect(got.featureNames == want.featureNames, "\(t)")
            #expect(got.features.map(\.bitPattern) == want.features.map(\.bitPattern), "\(t)")
            #expect(got.labels.map(\.bitPattern) == want.labels.map(\.bitPattern), "\(t)")
            #expect(got.groupNames == want.groupNames, "\(t)")
            #expect(got.rowGroups == want.rowGroups, "\(t)")
            #expect(got.kept == want.kept, "\(t)")
            #expect(skipped == wantSkipped, "\(t)")
        }
    }

    /// Bad records deep in a file: the same sentence, naming the same line, however the file is cut.
    @Test(arguments: [
        ("ragged", "1,2,0,M\n", "1,2\n"),
        ("not a number", "1,2,0,M\n", "1,x2,0,F\n"),
        ("third label", "1,2,0,M\n", "1,2,7,F\n"),
        ("bad UTF-8", "1,2,0,M\n", ""),
        ("unclosed quote", "1,\"2\",0,M\n", "1,2,0,\"M\n"),
    ])
    func sameMessages(name: String, good: String, bad: String) throws {
        var text = Array("a,b,y,g\n".utf8)
        for i in 0..<6000 {
            text += Array((i % 1000 == 999 ? "\n" : good).utf8)
        }
        var badBytes = Array(bad.utf8)
        if name == "bad UTF-8" { badBytes = Array("1,2,0,".utf8) + [0xC3, 0x28, 0x0A] }
        text += badBytes
        if name != "unclosed quote" { for _ in 0..<500 { text += Array(good.utf8) } }
        let url = try Self.write(text)
        defer { try? FileManager.default.removeItem(at: url) }
        let options = CSVDataOptions(label: "y", groups: ["g"])
        let want = try #require(Self.message { _ = try LabeledData.loadSequential(from: url, options: options) })
        #expect(want.contains("line 6002"), "\(want)")
        for t in Self.tunings {
            var tuning = CSVReadTuning()
            tuning.blockBytes = t.block
            tuning.chunks = t.chunks
            tuning.minChunkBytes = 1
            let got = Self.message { _ = try LabeledData.loadCSV(from: url, options: options, tuning: tuning) }
            #expect(got == want, "\(t)")
        }
    }

    /// A `.gz` of each file (zlib's gzip, inflated on the reader's own thread) reads as the plain file does.
    @Test(arguments: Array(files().prefix(2)))
    func gzipEqualsPlain(file: File) throws {
        let url = try Self.write(file.text)
        let gz = url.appendingPathExtension("gz")
        defer { for u in [url, gz] { try? FileManager.default.removeItem(at: u) } }
        let writer = try GzipFileWriter(url: gz)
        try file.text.withUnsafeBytes { try writer.write($0) }
        try writer.close()
        let want = try LabeledData.loadSequential(from: url, options: file.options).data
        var tuning = CSVReadTuning()
        tuning.blockBytes = 1000
        tuning.chunks = 3
        tuning.minChunkBytes = 1
        let got = try LabeledData.loadCSV(from: gz, options: file.options, tuning: tuning).data
        #expect(try Data(contentsOf: gz).count < file.text.count)
        #expect(got.features.map(\.bitPattern) == want.features.map(\.bitPattern))
        #expect(got.labels.map(\.bitPattern) == want.labels.map(\.bitPattern))
        #expect(got.rowGroups == want.rowGroups && got.groupNames == want.groupNames)
    }

    /// Streaming hands over every row's features once, in file order, and keeps the rest.
    @Test func streamingHandsOverEveryRow() throws {
        let file = Self.files()[1]
        let url = try Self.write(file.text)
        defer { try? FileManager.default.removeItem(at: url) }
        let want = try LabeledData.loadSequential(from: url, options: file.options).data
        var tuning = CSVReadTuning()
        tuning.blockBytes = 4096
        tuning.chunks = 2
        tuning.minChunkBytes = 1
        var features: [Float] = []
        var calls = 0
        let got = try LabeledData.streamCSV(from: url, options: file.options, tuning: tuning) { x, rows, _ in
            #expect(x.count == rows * want.featureCount)
            features += x
            calls += 1
        }.data
        #expect(calls > 10)
        #expect(got.features.isEmpty)
        #expect(features.map(\.bitPattern) == want.features.map(\.bitPattern))
        #expect(got.labels.map(\.bitPattern) == want.labels.map(\.bitPattern))
        #expect(got.rowGroups == want.rowGroups && got.groupNames == want.groupNames)
    }
}
