import Foundation

/// Parsing of single CSV cells: numbers for features, binary labels.
enum CSVCell {
    /// Why a cell is not a finite number.
    enum NumberProblem: Error { case empty, notANumber, notFinite }

    /// Parses ASCII `bytes` (surrounding spaces allowed) as a decimal number,
    /// correctly rounded to double by `strtod`, then to float as numpy does.
    static func parseFloat(_ bytes: ArraySlice<UInt8>, scratch: inout [CChar]) -> Result<Float, NumberProblem> {
        var lo = bytes.startIndex, hi = bytes.endIndex
        while lo < hi && (bytes[lo] == 0x20 || bytes[lo] == 0x09) { lo += 1 }
        while hi > lo && (bytes[hi - 1] == 0x20 || bytes[hi - 1] == 0x09) { hi -= 1 }
        if lo == hi { return .failure(.empty) }
        var letters = false
        for i in lo..<hi {
            let c = bytes[i]
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."): break
            case UInt8(ascii: "e"), UInt8(ascii: "E"): break
            default: letters = true
            }
        }
        if letters {
            var word = String(decoding: bytes[lo..<hi], as: UTF8.self).lowercased()
            if word.hasPrefix("+") || word.hasPrefix("-") { word.removeFirst() }
            return ["nan", "inf", "infinity"].contains(word) ? .failure(.notFinite) : .failure(.notANumber)
        }
        let n = hi - lo
        if scratch.count < n + 1 { scratch = [CChar](repeating: 0, count: n + 1) }
        let value: Double? = scratch.withUnsafeMutableBufferPointer { buf -> Double? in
            guard let base = buf.baseAddress else { return nil }
            for i in 0..<n { base[i] = CChar(bitPattern: bytes[lo + i]) }
            base[n] = 0
            var end: UnsafeMutablePointer<CChar>?
            let v = strtod(base, &end)
            guard let e = end, e - base == n else { return nil }
            return v
        }
        guard let v = value else { return .failure(.notANumber) }
        let f = Float(v)
        return f.isFinite ? .success(f) : .failure(.notFinite)
    }

    /// A label read without a named positive value: 0/1 in any numeric
    /// spelling, or true/false in any case; nil when it is neither.
    static func implicitBinary(_ text: String) -> Float? {
        let t = text.trimmingCharacters(in: .whitespaces)
        switch t.lowercased() {
        case "true": return 1
        case "false": return 0
        default: break
        }
        guard let v = Double(t) else { return nil }
        if v == 0 { return 0 }
        if v == 1 { return 1 }
        return nil
    }

    /// The text of a cell for a message: at most 40 characters, quoted.
    static func quoted(_ bytes: ArraySlice<UInt8>) -> String {
        let s = String(decoding: bytes, as: UTF8.self)
        return "'" + (s.count > 40 ? String(s.prefix(40)) + "…" : s) + "'"
    }
}
