import FairAudit
import Foundation

extension Benchmark {
    /// Category sizes of the Adult one-hot blocks (workclass, marital status,
    /// occupation, relationship, native country): 75 columns after the 5
    /// standardized numeric ones.
    static let adultCategories = [7, 7, 14, 6, 41]

    /// Writes `rows` Adult-shaped rows (80 features: 5 standardized values
    /// with up to 6 decimals, 75 one-hot 0/1 cells; then `income` 0/1, `sex`,
    /// `race`: 83 columns, ~214 bytes a row) as `bench_adult.csv` and
    /// `bench_adult.csv.gz` (deflate level 6, gzip's default). Deterministic (xorshift64*).
    static func writeAdultShapedCSV(rows: Int, dir: URL) throws -> (plain: URL, gzip: URL) {
        let plain = dir.appendingPathComponent("bench_adult.csv")
        let gzip = dir.appendingPathComponent("bench_adult.csv.gz")
        var header = ["age", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
        for (k, n) in adultCategories.enumerated() { header += (0..<n).map { "c\(k)=\($0)" } }
        header += ["income", "sex", "race"]
        guard let file = fopen(plain.path, "wb") else {
            throw FairAuditError.unreadableFile(path: plain.path, reason: String(cString: strerror(errno)))
        }
        defer { fclose(file) }
        let gz = try GzipFileWriter(url: gzip)
        var text = [UInt8]()
        text.reserveCapacity(1 << 22)
        func flush() throws {
            try text.withUnsafeBytes { b in
                guard fwrite(b.baseAddress, 1, b.count, file) == b.count else {
                    throw FairAuditError.unreadableFile(path: plain.path, reason: "write error")
                }
                try gz.write(b)
            }
            text.removeAll(keepingCapacity: true)
        }
        text += Array((header.joined(separator: ",") + "\n").utf8)
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func random() -> UInt64 {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 0x2545_F491_4F6C_DD1D
        }
        let races = [
            Array("White".utf8), Array("Black".utf8), Array("Asian-Pac-Islander".utf8),
            Array("Amer-Indian-Eskimo".utf8), Array("Other".utf8),
        ]
        for _ in 0..<rows {
            for _ in 0..<5 {
                // A standardized value: ±0…3.999999 with 1–6 decimals (trailing zeros dropped).
                let r = random()
                var micros = Int(r % 4_000_000)
                if r >> 63 == 1 { text.append(UInt8(ascii: "-")) }
                text += Array(String(micros / 1_000_000).utf8)
                micros %= 1_000_000
                if micros != 0 {
                    var digits = Array(String(micros).utf8)
                    digits = Array(repeating: UInt8(ascii: "0"), count: 6 - digits.count) + digits
                    while digits.last == UInt8(ascii: "0") { digits.removeLast() }
                    text.append(UInt8(ascii: "."))
                    text += digits
                }
                text.append(UInt8(ascii: ","))
            }
            for n in adultCategories {
                let hot = Int(random() % UInt64(n))
                for j in 0..<n {
                    text.append(j == hot ? 0x31 : 0x30)
                    text.append(UInt8(ascii: ","))
                }
            }
            let r = random()
            text.append(r & 3 == 0 ? 0x31 : 0x30)
            text += Array((r >> 2) & 1 == 0 ? ",Male,".utf8 : ",Female,".utf8)
            text += races[Int((r >> 3) % 5)]
            text.append(0x0A)
            if text.count > 1 << 22 { try flush() }
        }
        try flush()
        try gz.close()
        return (plain, gzip)
    }

    /// Reads the generated Adult-shaped CSV and its `.gz` (best of `repeats`),
    /// then times `pandas.read_csv` on the same files with `python` when it
    /// has pandas. Megabytes are the plain file's bytes / 10⁶ for both.
    static func csvPaths(
        rows: Int, dir: URL, keep: Bool, repeats: Int, python: String?,
        record: (Measurement) -> Void
    ) throws {
        let (plain, gzip) = try writeAdultShapedCSV(rows: rows, dir: dir)
        defer { if !keep { for u in [plain, gzip] { try? FileManager.default.removeItem(at: u) } } }
        let megabytes =
            Double((try? FileManager.default.attributesOfItem(atPath: plain.path)[.size] as? Int) ?? 0) / 1e6
        let columns = CSVDataOptions(label: "income", groups: ["sex"], ignore: ["race"], expectedFeatureCount: 80)
        for (url, label) in [(plain, "csv"), (gzip, "csv.gz")] {
            var n = 0
            let t = try best(repeats) { n = try LabeledData.load(from: url, options: columns).rowCount }
            guard n == rows else {
                throw FairAuditError.invalidInput(path: url.path, reason: "read \(n) rows, wrote \(rows)")
            }
            record(
                Measurement(
                    name: "read \(label) (\(rows / 1000)k rows, 83 columns)", seconds: t.wall, cpuSeconds: t.cpu,
                    amount: megabytes, unit: "MB/s", input: url.path))
        }
        guard let python else { return }
        for m in pandasReadCSV(python: python, files: [plain, gzip], repeats: repeats, megabytes: megabytes) {
            record(m)
        }
    }
}
