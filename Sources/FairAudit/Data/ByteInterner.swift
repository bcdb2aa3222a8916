import Foundation

/// Byte strings interned once per distinct value: each gets a dense id
/// (0, 1, 2, … in order of first appearance) and its bytes are stored once in
/// an arena. Open addressing with linear probing over a power-of-two table;
/// the hash mixes the bytes 8 at a time (a multiply-xorshift per word).
///
/// Used for group and label cells, which repeat a few values over millions
/// of rows: a row costs one hash and one `memcmp`, no `String`.
struct ByteInterner {
    /// Concatenated bytes of every distinct value.
    private var arena: [UInt8] = []
    /// `starts[id]..<starts[id + 1]` is value `id` in `arena`.
    private var starts: [Int] = [0]
    /// `hashes[id]`, to grow the table without rehashing bytes.
    private var hashes: [UInt64] = []
    /// Slot → id + 1 (0 = empty).
    private var table: [Int32] = Array(repeating: 0, count: 64)

    /// Number of distinct values.
    var count: Int { hashes.count }

    /// The bytes of value `id`.
    func bytes(_ id: Int) -> ArraySlice<UInt8> { arena[starts[id]..<starts[id + 1]] }

    /// Value `id` as a string, nil when it is not valid UTF-8.
    func string(_ id: Int) -> String? {
        arena[starts[id]..<starts[id + 1]].withUnsafeBufferPointer { String(validating: $0, as: UTF8.self) }
    }

    /// A hash of `count` bytes at `p`: words folded by multiply and xorshift.
    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ count: Int) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: count)
        let raw = UnsafeRawPointer(p)
        var i = 0
        while i + 8 <= count {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
            i += 8
        }
        if i < count {
            var tail: UInt64 = 0
            for k in i..<count { tail |= UInt64(p[k]) << (UInt64(k - i) * 8) }
            h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        }
        return h ^ (h >> 29)
    }

    /// The id of the `count` bytes at `p`, and whether they were new.
    @inline(__always)
    mutating func intern(_ p: UnsafePointer<UInt8>, _ count: Int) -> (id: Int, isNew: Bool) {
        let h = Self.hash(p, count)
        let mask = table.count - 1
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let entry = Int(table[slot])
            if entry == 0 { break }
            let id = entry - 1
            if hashes[id] == h {
                let lo = starts[id]
                let n = starts[id + 1] - lo
                let same =
                    n == count
                    && arena.withUnsafeBufferPointer { a in
                        count == 0 || memcmp(a.baseAddress! + lo, p, count) == 0
                    }
                if same { return (id, false) }
            }
            slot = (slot + 1) & mask
        }
        let id = hashes.count
        arena.append(contentsOf: UnsafeBufferPointer(start: p, count: count))
        starts.append(arena.count)
        hashes.append(h)
        table[slot] = Int32(id + 1)
        if hashes.count * 2 > table.count { grow() }
        return (id, true)
    }

    /// Interns the bytes of `value`.
    mutating func intern(_ value: ArraySlice<UInt8>) -> (id: Int, isNew: Bool) {
        value.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress else {
                var zero: UInt8 = 0
                return withUnsafePointer(to: &zero) { intern($0, 0) }
            }
            return intern(base, b.count)
        }
    }

    /// Doubles the table and reinserts every id by its stored hash.
    private mutating func grow() {
        var bigger = [Int32](repeating: 0, count: table.count * 2)
        let mask = bigger.count - 1
        for (id, h) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: h) & mask
            while bigger[slot] != 0 { slot = (slot + 1) & mask }
            bigger[slot] = Int32(id + 1)
        }
        table = bigger
    }
}
