import FairAudit
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A `ModelProto` read without its large initializer values: the file is
/// walked field by field with positioned reads, every initializer's
/// `raw_data` longer than `threshold` bytes is left out of the message
/// handed to swift-protobuf and remembered as a range of the file, read
/// only when the tensor's values are asked for. Reading a 500 MB model
/// thus holds its graph, not its weights (nor a mapped copy of them).
struct ONNXSkeleton {
    /// The model with the large `raw_data` fields left out.
    var model: Onnx_ModelProto
    /// Initializer index → where its `raw_data` lies in the file.
    var raw: [Int: Range<Int>] = [:]

    /// The skeleton of `url`; a malformed or truncated protobuf is one `notONNX` error.
    init(url: URL, threshold: Int = 1 << 16) throws {
        let file = try ONNXFileCursor(url: url)
        var walker = Walker(file: file, threshold: threshold)
        let bytes = try walker.model()
        raw = walker.raw
        model = try ONNXFormat.decode(Data(bytes), file: url.path)
    }

    /// Walks the three levels that hold initializers: ModelProto (field 7:
    /// the graph), GraphProto (field 5: initializers), TensorProto (field 9: raw_data).
    struct Walker {
        let file: ONNXFileCursor
        let threshold: Int
        var raw: [Int: Range<Int>] = [:]
        var initializer = 0

        mutating func model() throws -> [UInt8] {
            try message(0..<file.size) { w, field, payload in
                field == 7 ? try w.message(payload) { w, f, p in f == 5 ? try w.tensor(p) : nil } : nil
            }
        }

        /// The tensor's bytes without a large `raw_data`, whose range is recorded.
        mutating func tensor(_ range: Range<Int>) throws -> [UInt8] {
            defer { initializer += 1 }
            let index = initializer
            return try message(range) { w, field, payload in
                guard field == 9, payload.count > w.threshold else { return nil }
                w.raw[index] = payload
                return []
            }
        }

        /// The fields of `range` copied, except length-delimited ones that
        /// `rewrite` replaces (nil: copy; `[]`: drop the field).
        mutating func message(
            _ range: Range<Int>,
            _ rewrite: (inout Walker, Int, Range<Int>) throws -> [UInt8]?
        ) throws -> [UInt8] {
            var out: [UInt8] = []
            var at = range.lowerBound
            while at < range.upperBound {
                let start = at
                let (tag, afterTag) = try file.varint(at, end: range.upperBound)
                let field = Int(tag >> 3)
                let wire = tag & 7
                switch wire {
                case 0: at = try file.varint(afterTag, end: range.upperBound).next
                case 1: at = afterTag + 8
                case 5: at = afterTag + 4
                case 2:
                    let (length, body) = try file.varint(afterTag, end: range.upperBound)
                    guard length <= UInt64(range.upperBound - body) else { throw ONNXFileCursor.truncated }
                    let payload = body..<(body + Int(length))
                    at = payload.upperBound
                    if let replaced = try rewrite(&self, field, payload) {
                        if !replaced.isEmpty || field != 9 {
                            out += file.encodeVarint(tag) + file.encodeVarint(UInt64(replaced.count)) + replaced
                        }
                        continue
                    }
                default: throw ONNXFileCursor.malformed
                }
                guard at <= range.upperBound else { throw ONNXFileCursor.truncated }
                out += try file.bytes(start..<at)
            }
            return out
        }
    }
}

/// Positioned reads of a file (`pread`), for walking a protobuf without mapping it.
final class ONNXFileCursor: @unchecked Sendable {
    static let truncated = BinaryOrTruncated.truncated
    static let malformed = BinaryOrTruncated.malformed

    /// The two ways a walk fails, turned into `ONNXError.notONNX` by the reader.
    enum BinaryOrTruncated: Error { case truncated, malformed }

    let fd: Int32
    let size: Int
    let path: String

    init(url: URL) throws {
        path = url.path
        fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { throw FairAuditError.unreadableFile(path: url.path, reason: "cannot open the file") }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            close(fd)
            throw FairAuditError.unreadableFile(path: url.path, reason: "cannot stat the file")
        }
        size = Int(st.st_size)
    }

    deinit { close(fd) }

    /// The bytes of `range`.
    func bytes(_ range: Range<Int>) throws -> [UInt8] {
        guard range.lowerBound >= 0, range.upperBound <= size else { throw Self.truncated }
        var out = [UInt8](repeating: 0, count: range.count)
        var done = 0
        try out.withUnsafeMutableBytes { buf in
            while done < range.count {
                let n = pread(fd, buf.baseAddress.map { $0 + done }, range.count - done, off_t(range.lowerBound + done))
                guard n > 0 else { throw Self.truncated }
                done += n
            }
        }
        return out
    }

    /// The varint at `at` (before `end`) and the offset after it.
    func varint(_ at: Int, end: Int) throws -> (value: UInt64, next: Int) {
        let window = try bytes(at..<min(at + 10, end, size))
        var value: UInt64 = 0
        for (i, b) in window.enumerated() {
            value |= UInt64(b & 0x7F) << (7 * UInt64(i))
            if b & 0x80 == 0 { return (value, at + i + 1) }
        }
        throw window.count < 10 ? Self.truncated : Self.malformed
    }

    /// `v` as a protobuf varint.
    func encodeVarint(_ v: UInt64) -> [UInt8] {
        var v = v
        var out: [UInt8] = []
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
        return out
    }

    /// Storage reading `range` when first asked for.
    func storage(_ range: Range<Int>) -> TensorStorage {
        .deferred { [self] in Data(try self.bytes(range)) }
    }
}
