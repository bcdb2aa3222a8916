import FairAudit
import Foundation

/// The parsed and validated header of a `.safetensors` file: an 8-byte
/// little-endian length `n`, then `n` bytes of UTF-8 JSON mapping each
/// tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets
/// relative to the data, which starts at `8 + n`), plus an optional
/// `__metadata__` object of strings.
struct SafeTensorsHeader: Sendable {
    /// One tensor's entry, in header order.
    struct Entry: Sendable {
        var name: String
        var dtype: DType
        var shape: [Int]
        /// Byte range within the data section.
        var offsets: Range<Int>
    }

    /// The header's JSON bytes, as stored (with any trailing padding).
    var json: Data
    /// The `__metadata__` pairs in file order; nil when the header has none.
    var metadata: [(key: String, value: String)]?
    /// Tensor entries in header order.
    var entries: [Entry]
    /// Where the data section starts in the file: `8 + n`.
    var dataStart: Int { 8 + json.count }

    /// The reference implementation's limit on `n`.
    static let maxHeaderLength = 100_000_000

    /// Parses and validates the header of the file mapped in `bytes`, as the
    /// reference does: `n` at most 100 MB and within the file; the header
    /// valid UTF-8 starting with `{`; well-formed JSON; no duplicate names;
    /// known dtypes; sorted by offset, each tensor starting where the one
    /// before ended, spanning exactly `shape` × dtype size bytes; and the
    /// tensors covering the data section exactly.
    static func parse(_ bytes: MappedFile, file: String) throws -> SafeTensorsHeader {
        guard bytes.count >= 8 else {
            throw SafeTensorsError.truncated(
                file: file, reason: "\(bytes.count) bytes, fewer than the 8-byte header length")
        }
        let n = bytes.withBytes(0..<8) { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard n <= UInt64(maxHeaderLength) else { throw SafeTensorsError.headerTooLarge(file: file, bytes: n) }
        guard Int(n) <= bytes.count - 8 else {
            throw SafeTensorsError.truncated(
                file: file, reason: "the header declares \(n) bytes but \(bytes.count - 8) follow")
        }
        let json = bytes.slice(8..<(8 + Int(n)))
        let raw = [UInt8](json)
        func bad(_ r: String) -> SafeTensorsError { .badHeader(file: file, reason: r) }
        guard String(bytes: raw, encoding: .utf8) != nil else { throw bad("the header is not valid UTF-8") }
        guard raw.first == UInt8(ascii: "{") else { throw bad("the header does not start with '{'") }
        let doc: OrderedJSON
        do { doc = try OrderedJSON.parse(raw) } catch { throw bad("the header is not well-formed JSON: \(error)") }
        guard let members = doc.members else { throw bad("the header is not a JSON object") }
        var header = SafeTensorsHeader(json: json, metadata: nil, entries: [])
        var seen = Set<String>()
        for m in members {
            guard seen.insert(m.key).inserted else {
                throw SafeTensorsError.badTensor(
                    file: file, tensor: m.key, reason: "the name appears more than once in the header")
            }
            if m.key == "__metadata__" {
                header.metadata = try metadata(m.value, file: file)
            } else {
                header.entries.append(try entry(m.key, m.value, file: file))
            }
        }
        try checkLayout(header.entries, dataBytes: bytes.count - header.dataStart, file: file)
        return header
    }

    /// `__metadata__`: an object of string values.
    static func metadata(_ v: OrderedJSON, file: String) throws -> [(key: String, value: String)] {
        guard let members = v.members else {
            throw SafeTensorsError.badHeader(file: file, reason: "__metadata__ is not an object")
        }
        return try members.map { m in
            guard let s = m.value.string else {
                throw SafeTensorsError.badHeader(file: file, reason: "__metadata__ value '\(m.key)' is not a string")
            }
            return (m.key, s)
        }
    }

    /// One tensor's `{"dtype", "shape", "data_offsets"}`.
    static func entry(_ name: String, _ v: OrderedJSON, file: String) throws -> Entry {
        func bad(_ r: String) -> SafeTensorsError { .badTensor(file: file, tensor: name, reason: r) }
        guard let fields = v.members else { throw bad("its entry is not an object") }
        func field(_ k: String) throws -> OrderedJSON {
            guard let f = fields.first(where: { $0.key == k }) else { throw bad("its entry has no \"\(k)\"") }
            return f.value
        }
        guard let dtypeName = try field("dtype").string else { throw bad("\"dtype\" is not a string") }
        guard let dtype = SafeTensorsDType.byName[dtypeName] else {
            if let why = SafeTensorsDType.refused[dtypeName] {
                throw SafeTensorsError.unsupportedDType(file: file, tensor: name, dtype: dtypeName, reason: why)
            }
            throw bad("unknown dtype \"\(dtypeName)\"")
        }
        guard let dims = try field("shape").elements else { throw bad("\"shape\" is not an array") }
        let shape = try dims.map { d -> Int in
            guard let n = d.count else { throw bad("\"shape\" holds something other than a non-negative integer") }
            return n
        }
        guard let offs = try field("data_offsets").elements, offs.count == 2,
            let begin = offs[0].count, let end = offs[1].count
        else {
            throw bad("\"data_offsets\" is not two non-negative integers")
        }
        guard begin <= end else { throw bad("data_offsets [\(begin), \(end)] end before they begin") }
        return Entry(name: name, dtype: dtype, shape: shape, offsets: begin..<end)
    }

    /// Sorted by offset, each tensor must start where the previous ended and
    /// span its shape's bytes; together they must cover all `dataBytes`.
    static func checkLayout(_ entries: [Entry], dataBytes: Int, file: String) throws {
        var next = 0
        for e in entries.sorted(by: {
            ($0.offsets.lowerBound, $0.offsets.upperBound) < ($1.offsets.lowerBound, $1.offsets.upperBound)
        }) {
            func bad(_ r: String) -> SafeTensorsError { .badTensor(file: file, tensor: e.name, reason: r) }
            guard e.offsets.lowerBound == next else {
                throw bad(
                    e.offsets.lowerBound < next
                        ? "data_offsets [\(e.offsets.lowerBound), \(e.offsets.upperBound)] overlap the tensor "
                            + "before, which ends at \(next)"
                        : "data_offsets start at \(e.offsets.lowerBound), leaving a gap after byte \(next)")
            }
            var elements = 1
            for d in e.shape {
                let (m, o) = elements.multipliedReportingOverflow(by: d)
                guard !o else { throw bad("the shape \(e.shape) overflows") }
                elements = m
            }
            let (nbytes, o) = elements.multipliedReportingOverflow(by: e.dtype.byteSize)
            guard !o else { throw bad("the shape \(e.shape) overflows") }
            guard nbytes == e.offsets.count else {
                throw bad(
                    "shape \(e.shape) of \(SafeTensorsDType.name(of: e.dtype)) needs \(nbytes) bytes but "
                        + "data_offsets span \(e.offsets.count)"
                )
            }
            guard e.offsets.upperBound <= dataBytes else {
                throw SafeTensorsError.badTensor(
                    file: file, tensor: e.name,
                    reason: "data_offsets end at \(e.offsets.upperBound), past the \(dataBytes) bytes of data")
            }
            next = e.offsets.upperBound
        }
        guard next == dataBytes else { throw SafeTensorsError.dataSize(file: file, covered: next, present: dataBytes) }
    }
}
