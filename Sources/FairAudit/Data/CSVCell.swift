import Foundation

/// Parsing of single CSV cells: numbers for features, binary labels.
enum CSVCell {
    /// Why a cell is not a finite number.
    enum NumberProblem: Error { case empty, notANumber, notFinite }

    /// Parses the `count` ASCII bytes at `p` (followed by a NUL; spaces
    /// around allowed) as a decimal number, correctly rounded to double, then
    /// to float as numpy's `astype(float32)` does. Plain decimals take
    /// Clinger's exact fast path when ``fastValue(_:fraction:digits:negative:)``
    /// accepts them; anything else goes through `strtod`.
    static func parseFloat(_ p: UnsafePointer<UInt8>, count: Int) -> Result<Float, NumberProblem> {
        var lo = 0
        var hi = count
        while lo < hi && (p[lo] == 0x20 || p[lo] == 0x09) { lo += 1 }
        while hi > lo && (p[hi - 1] == 0x20 || p[hi - 1] == 0x09) { hi -= 1 }
        if lo == hi { return .failure(.empty) }
        // Fast path: [sign] digits [. digits].
        var i = lo
        var negative = false
        if p[i] == UInt8(ascii: "-") || p[i] == UInt8(ascii: "+") {
            negative = p[i] == UInt8(ascii: "-")
            i += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var fraction = 0
        var dot = false
        var fast = i < hi
        while i < hi {
            let c = p[i]
            if c >= 0x30 && c <= 0x39 {
                mantissa = mantissa &* 10 &+ UInt64(c - 0x30)
                digits += 1
                if dot { fraction += 1 }
            } else if c == UInt8(ascii: ".") && !dot {
                dot = true
            } else {
                fast = false
                break
            }
            i += 1
        }
        if fast, let v = fastValue(mantissa, fraction: fraction, digits: digits, negative: negative) {
            return .success(v)
        }
        var letters = false
        for k in lo..<hi {
            switch p[k] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "e"), UInt8(ascii: "E"):
                break
            default: letters = true
            }
        }
        if letters {
            var word = String(decoding: UnsafeBufferPointer(start: p + lo, count: hi - lo), as: UTF8.self).lowercased()
            if word.hasPrefix("+") || word.hasPrefix("-") { word.removeFirst() }
            return ["nan", "inf", "infinity"].contains(word) ? .failure(.notFinite) : .failure(.notANumber)
        }
        // strtod stops at the trailing space or the NUL after the field.
        var end: UnsafeMutablePointer<CChar>?
        let start = UnsafeRawPointer(p + lo).assumingMemoryBound(to: CChar.self)
        let v = strtod(start, &end)
        guard let e = end, UnsafeRawPointer(e) - UnsafeRawPointer(start) == hi - lo else {
            return .failure(.notANumber)
        }
        let f = Float(v)
        return f.isFinite ? .success(f) : .failure(.notFinite)
    }

    /// The float of `±mantissa / 10^fraction` read from `digits` decimal
    /// digits (at most 19, so the mantissa did not wrap), or nil when the fast
    /// path cannot be exact. Clinger: when `mantissa ≤ 2^53` and
    /// `fraction ≤ 22` both operands are exact doubles, so the one IEEE
    /// division is the correctly rounded double, then narrowed to float.
    @inline(__always)
    static func fastValue(_ mantissa: UInt64, fraction: Int, digits: Int, negative: Bool) -> Float? {
        guard digits > 0, digits <= 19, mantissa <= 1 << 53, fraction <= 22 else { return nil }
        let v = Double(mantissa) / powersOfTenTable[fraction]
        return Float(negative ? -v : v)
    }

    /// 10^0 … 10^22, exact in double.
    static let powersOfTen: [Double] = (0...22).map { pow(10, Double($0)) }

    /// ``powersOfTen`` at a fixed address, for the parsing loops.
    nonisolated(unsafe) static let powersOfTenTable: UnsafePointer<Double> = {
        let p = UnsafeMutablePointer<Double>.allocate(capacity: 23)
        var x = 1.0
        for i in 0...22 {
            p[i] = x
            x *= 10
        }
        return UnsafePointer(p)
    }()

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
