import FairAudit
import Foundation

/// An `.npz` read as data rather than weights: every member an array of
/// numbers (any numeric or bool dtype) or of numpy strings (`<U…` UTF-32,
/// `|S…` bytes). Object arrays stay refused: they would need unpickling.
public enum NPZData {
    /// The arrays of `url` by member name (without `.npy`).
    public static func arrays(_ url: URL) throws -> [String: DataArray] {
        let archive = try NPZError.wrap { try ZipArchive(url: url) }
        var out: [String: DataArray] = [:]
        for entry in archive.entries {
            guard entry.name.hasSuffix(".npy") else {
                throw NPZError.notNPYMember(file: archive.name, member: entry.name)
            }
            let head = try NPZError.wrap { try archive.prefix(of: entry, count: NPYHeader.maxPreamble) }
            let f = try NPYHeader.fields(head, file: archive.name, member: entry.name)
            let name = String(entry.name.dropLast(4))
            if let kind = f.descr.dropFirst("<>|=".contains(f.descr.first ?? " ") ? 1 : 0).first,
                kind == "U" || kind == "S"
            {
                out[name] = try strings(archive, entry, f)
            } else {
                let header = try NPZFormat.memberHeader(archive, entry)
                if header.shape.count >= 2, !header.fortranOrder {
                    out[name] = DataArray(shape: header.shape, floats: try floats(archive, entry, header))
                    continue
                }
                let t = Tensor(
                    name: name, dtype: header.dtype, shape: header.shape, byteOrder: header.byteOrder,
                    storage: .bytes(try NPZFormat.memberValues(archive, entry, header)), origin: entry.name)
                out[name] = DataArray(shape: header.shape, numbers: try t.doubleValues())
            }
        }
        return out
    }

    /// A C-order numeric member of rank ≥ 2 (model input rows: images, token
    /// ids, feature matrices) as `Float`, converted piece by piece as it is
    /// read, so memory holds the result and one 16 MB piece — not the member's
    /// bytes, nor a `Double` copy, beside it.
    static func floats(_ archive: ZipArchive, _ entry: ZipEntry, _ header: NPYHeader) throws -> [Float] {
        let size = header.dtype.byteSize
        var out: [Float] = []
        out.reserveCapacity(header.elementCount)
        try NPZError.wrap {
            try archive.forEachChunk(of: entry, skipping: header.dataOffset, chunkBytes: 1 << 24) { raw in
                let n = min(raw.count / size, header.elementCount - out.count)
                guard n > 0 else { return }
                if header.dtype == .float32, header.byteOrder == .native, let src = raw.baseAddress {
                    let start = out.count  // copied bytewise: the member need not be 4-byte aligned in the file
                    out.append(contentsOf: repeatElement(0, count: n))
                    out.withUnsafeMutableBytes { dst in dst.baseAddress.map { _ = memcpy($0 + start * 4, src, n * 4) } }
                } else {
                    let values = try Tensor.decode(
                        Data(UnsafeRawBufferPointer(rebasing: raw.prefix(n * size))), dtype: header.dtype,
                        byteOrder: header.byteOrder,
                        count: n, name: entry.name)
                    out.append(contentsOf: values.lazy.map { Float($0) })
                }
            }
        }
        guard out.count == header.elementCount else {
            throw NPZError.dataTooShort(
                file: archive.name, member: entry.name, declared: header.byteCount,
                available: out.count * size)
        }
        return out
    }

    /// A string member: `<Un` holds n UTF-32 code units per item, `|Sn` n
    /// bytes; trailing NULs pad shorter items, as numpy writes them.
    static func strings(
        _ archive: ZipArchive, _ entry: ZipEntry,
        _ f: (major: UInt8, minor: UInt8, descr: String, fortran: Bool, shape: [Int], length: Int)
    ) throws -> DataArray {
        func refuse(_ r: String) -> NPZError {
            .unsupportedDType(file: archive.name, member: entry.name, descr: f.descr, reason: r)
        }
        let order = f.descr.first ?? "|"
        let code = "<>|=".contains(order) ? f.descr.dropFirst() : Substring(f.descr)
        let wide = code.first == "U"
        guard let chars = Int(code.dropFirst()), chars > 0, chars <= 1 << 16 else {
            throw refuse("the item size is not a positive number")
        }
        let item = wide ? chars * 4 : chars
        var count = 1
        for d in f.shape {
            let (m, o) = count.multipliedReportingOverflow(by: d)
            guard !o, m <= 1 << 28 else { throw refuse("the shape \(f.shape) is too large for a data column") }
            count = m
        }
        var bytes = try NPZError.wrap { try archive.data(for: entry, skipping: f.length) }
        guard bytes.count >= count * item else {
            throw NPZError.dataTooShort(
                file: archive.name, member: entry.name, declared: count * item, available: bytes.count)
        }
        if f.fortran { bytes = NPYOrder.reorder(bytes.prefix(count * item), shape: f.shape, size: item, toC: true) }
        let values = try bytes.withUnsafeBytes { raw in
            try decodeStrings(raw, count: count, chars: chars, wide: wide, bigEndian: order == ">", refuse: refuse)
        }
        return DataArray(shape: f.shape, strings: values)
    }

    /// `count` numpy string items of `chars` characters each from `raw`:
    /// UTF-32 code units (`wide`, `<U…`) or bytes (`|S…`), trailing NULs
    /// dropped; `raw` starts at item `firstItem` of the member. `refuse`
    /// words the error for an item that is not Unicode.
    static func decodeStrings(
        _ raw: UnsafeRawBufferPointer, count: Int, chars: Int, wide: Bool, bigEndian big: Bool,
        firstItem: Int = 0, refuse: (String) -> NPZError
    ) throws -> [String] {
        let item = wide ? chars * 4 : chars
        var values: [String] = []
        values.reserveCapacity(count)
        for i in 0..<count {
            let cell = raw[(i * item)..<((i + 1) * item)]
            if wide {
                var scalars = String.UnicodeScalarView()
                for k in 0..<chars {
                    let b = cell.index(cell.startIndex, offsetBy: k * 4)
                    let u = (0..<4).reduce(UInt32(0)) { acc, j in
                        acc | UInt32(cell[b + (big ? 3 - j : j)]) << (8 * UInt32(j))
                    }
                    if u == 0 { break }
                    guard let s = Unicode.Scalar(u) else {
                        throw refuse("item \(firstItem + i) holds \(u), which is not a Unicode scalar")
                    }
                    scalars.append(s)
                }
                values.append(String(scalars))
            } else {
                let used = cell.prefix { $0 != 0 }
                values.append(String(decoding: used, as: UTF8.self))
            }
        }
        return values
    }
}
