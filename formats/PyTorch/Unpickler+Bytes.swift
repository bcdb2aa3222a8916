import Foundation

extension Unpickler {
    /// The next byte.
    mutating func byte() throws -> UInt8 {
        guard pos < bytes.count else { throw bad("the pickle ends before STOP") }
        defer { pos += 1 }
        return bytes[pos]
    }

    /// The next `n` bytes.
    mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= bytes.count - pos else {
            throw bad("an argument of \(n) bytes runs past the end of the pickle")
        }
        defer { pos += n }
        return bytes[pos..<(pos + n)]
    }

    /// An unsigned little-endian integer of `n` ≤ 4 bytes.
    mutating func le(_ n: Int) throws -> UInt32 {
        try take(n).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    /// An 8-byte little-endian length that must fit what is left of the pickle.
    mutating func length8(at: Int) throws -> Int {
        let v = try take(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard v <= UInt64(bytes.count) else { throw bad("a length of \(v) bytes, more than the pickle holds", at: at) }
        return Int(v)
    }

    /// A big-endian 8-byte word (BINFLOAT's double).
    mutating func be8() throws -> UInt64 { try take(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }

    /// A little-endian two's-complement integer of `n` bytes (at most 8).
    mutating func long(_ n: Int, at: Int) throws -> Int {
        guard n <= 8 else { throw bad("an integer of \(n) bytes, too large for a state dict", at: at) }
        let b = try take(n)
        guard n > 0 else { return 0 }
        var v = b.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        if n < 8, (b.last ?? 0) & 0x80 != 0 { v |= ~UInt64(0) << (8 * UInt64(n)) }
        return Int(bitPattern: UInt(v))
    }

    /// `n` bytes of UTF-8 text.
    mutating func text(_ n: Int, at: Int) throws -> String {
        guard let s = String(bytes: try take(n), encoding: .utf8) else {
            throw bad("a string that is not valid UTF-8", at: at)
        }
        return s
    }

    /// A newline-terminated ASCII line (GLOBAL's module and name), at most 256 bytes.
    mutating func line(at: Int) throws -> String {
        var out: [UInt8] = []
        while true {
            let c = try byte()
            if c == 0x0A { break }
            guard out.count < 256, c >= 0x20, c < 0x7F else {
                throw bad("a GLOBAL name that is not a short line of ASCII", at: at)
            }
            out.append(c)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The opcode's name as `pickletools` prints it, for messages.
    static func opcodeName(_ op: UInt8) -> String {
        let names: [UInt8: String] = [
            0x69: "INST", 0x6F: "OBJ", 0x81: "NEWOBJ", 0x92: "NEWOBJ_EX", 0x50: "PERSID", 0x82: "EXT1", 0x83: "EXT2",
            0x84: "EXT4", 0x70: "PUT", 0x67: "GET", 0x49: "INT", 0x4C: "LONG", 0x46: "FLOAT", 0x53: "STRING",
            0x56: "UNICODE", 0x54: "BINSTRING", 0x55: "SHORT_BINSTRING", 0x96: "BYTEARRAY8", 0x97: "NEXT_BUFFER",
            0x98: "READONLY_BUFFER",
        ]
        return names[op].map { "\($0) (0x\(String(op, radix: 16)))" } ?? "0x\(String(op, radix: 16))"
    }
}
