/// A plain-text table with aligned columns, as terminal reports print them.
public struct TextTable: Sendable {
    /// Column headers.
    public var headers: [String]
    /// Rows of cells; numbers are right-aligned, text left-aligned.
    public var rows: [[String]] = []
    /// Which columns are right-aligned (numbers).
    public var rightAligned: Set<Int>

    /// Creates an empty table.
    public init(headers: [String], rightAligned: Set<Int> = []) {
        self.headers = headers
        self.rightAligned = rightAligned
    }

    /// Appends a row.
    public mutating func add(_ row: [String]) { rows.append(row) }

    /// The table as text, columns separated by two spaces, a rule under the headers.
    public func rendered() -> String {
        let all = [headers] + rows
        var widths = [Int](repeating: 0, count: headers.count)
        for row in all {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ row: [String]) -> String {
            var parts: [String] = []
            for (i, w) in widths.enumerated() {
                let cell = i < row.count ? row[i] : ""
                let pad = String(repeating: " ", count: w - cell.count)
                parts.append(rightAligned.contains(i) ? pad + cell : cell + pad)
            }
            return parts.joined(separator: "  ").trailingSpacesRemoved
        }
        var out = [line(headers), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        out += rows.map(line)
        return out.joined(separator: "\n")
    }

    /// The table as GitHub-flavoured Markdown.
    public func markdown() -> String {
        func esc(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
        var out = ["| " + headers.map(esc).joined(separator: " | ") + " |"]
        out.append(
            "|" + headers.indices.map { rightAligned.contains($0) ? "---:" : "---" }.joined(separator: "|") + "|")
        out += rows.map { "| " + $0.map(esc).joined(separator: " | ") + " |" }
        return out.joined(separator: "\n")
    }
}

extension String {
    var trailingSpacesRemoved: String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}

/// Number formatting shared by the reports.
public enum Format {
    /// `x` with `digits` significant digits (`%.*g`), "nan"/"inf" spelled out.
    public static func g(_ x: Double, _ digits: Int = 6) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        return String(format: "%.\(digits)g", x)
    }

    /// `x` with `places` decimals.
    public static func f(_ x: Double, _ places: Int = 3) -> String {
        if x.isNaN { return "nan" }
        return String(format: "%.\(places)f", x)
    }

    /// A byte count in B, KiB, MiB, GiB.
    public static func bytes(_ n: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(n)
        var u = 0
        while v >= 1024 && u < units.count - 1 {
            v /= 1024
            u += 1
        }
        return u == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[u])
    }

    /// A shape as numpy prints it: `(64, 80)`, `(64,)`, `()`.
    public static func shape(_ s: [Int]) -> String {
        s.count == 1 ? "(\(s[0]),)" : "(" + s.map(String.init).joined(separator: ", ") + ")"
    }
}
