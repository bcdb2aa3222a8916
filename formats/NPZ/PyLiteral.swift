import Foundation

/// The few Python literals an `.npy` header holds, parsed without evaluating
/// anything: strings, integers, True/False/None, tuples, lists and dicts.
indirect enum PyLiteral {
    case string(String)
    case int(Int)
    case bool(Bool)
    case pyNone
    case tuple([PyLiteral])
    case list([PyLiteral])
    case dict([PyPair])

    /// Parses `text` as one literal (surrounding whitespace allowed); nil on anything else.
    static func parse(_ text: String) -> PyLiteral? {
        var p = PyLiteralParser(bytes: Array(text.utf8))
        guard let v = p.value(depth: 0) else { return nil }
        p.skipSpace()
        return p.i == p.bytes.count ? v : nil
    }
}

/// One key/value pair of a dict literal.
struct PyPair {
    var key: String
    var value: PyLiteral
}

/// A recursive-descent parser of `PyLiteral` over UTF-8 bytes, nesting at most 16 deep.
struct PyLiteralParser {
    let bytes: [UInt8]
    var i = 0

    mutating func skipSpace() { while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 } }

    mutating func value(depth: Int) -> PyLiteral? {
        guard depth < 16 else { return nil }
        skipSpace()
        guard i < bytes.count else { return nil }
        switch bytes[i] {
        case UInt8(ascii: "'"), UInt8(ascii: "\""): return string().map { PyLiteral.string($0) }
        case UInt8(ascii: "("): return sequence(close: UInt8(ascii: ")"), depth: depth).map { PyLiteral.tuple($0) }
        case UInt8(ascii: "["): return sequence(close: UInt8(ascii: "]"), depth: depth).map { PyLiteral.list($0) }
        case UInt8(ascii: "{"): return dict(depth: depth)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return integer()
        default:
            for (word, v) in [("True", PyLiteral.bool(true)), ("False", .bool(false)), ("None", .pyNone)]
            where bytes[i...].starts(with: word.utf8) {
                i += word.utf8.count
                return v
            }
            return nil
        }
    }

    mutating func string() -> String? {
        let quote = bytes[i]
        i += 1
        var out: [UInt8] = []
        while i < bytes.count {
            let c = bytes[i]
            i += 1
            if c == quote { return String(decoding: out, as: UTF8.self) }
            if c == UInt8(ascii: "\\") {
                guard i < bytes.count else { return nil }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                default: out.append(e)
                }
            } else {
                out.append(c)
            }
        }
        return nil
    }

    mutating func integer() -> PyLiteral? {
        let neg = bytes[i] == UInt8(ascii: "-")
        if neg { i += 1 }
        var v = 0
        var digits = 0
        while i < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i]) {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int(bytes[i] - UInt8(ascii: "0")))
            guard !o1, !o2 else { return nil }
            v = s
            digits += 1
            i += 1
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "L") { i += 1 }  // Python 2 longs
        return digits > 0 ? .int(neg ? -v : v) : nil
    }

    mutating func sequence(close: UInt8, depth: Int) -> [PyLiteral]? {
        i += 1
        var items: [PyLiteral] = []
        while true {
            skipSpace()
            guard i < bytes.count else { return nil }
            if bytes[i] == close {
                i += 1
                return items
            }
            guard let v = value(depth: depth + 1) else { return nil }
            items.append(v)
            skipSpace()
            guard i < bytes.count else { return nil }
            if bytes[i] == UInt8(ascii: ",") { i += 1 } else if bytes[i] != close { return nil }
        }
    }

    mutating func dict(depth: Int) -> PyLiteral? {
        i += 1
        var pairs: [PyPair] = []
        while true {
            skipSpace()
            guard i < bytes.count else { return nil }
            if bytes[i] == UInt8(ascii: "}") {
                i += 1
                return .dict(pairs)
            }
            guard case .string(let key)? = value(depth: depth + 1) else { return nil }
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            guard let v = value(depth: depth + 1) else { return nil }
            pairs.append(PyPair(key: key, value: v))
            skipSpace()
            guard i < bytes.count else { return nil }
            if bytes[i] == UInt8(ascii: ",") { i += 1 } else if bytes[i] != UInt8(ascii: "}") { return nil }
        }
    }
}
