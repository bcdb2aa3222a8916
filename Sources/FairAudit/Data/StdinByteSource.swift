import Foundation

/// The process's standard input, read with `read(2)` (`--data -`): a forward-only
/// stream with no size, so a Spark partition or a shell pipe can feed rows.
final class StdinByteSource: ByteSource {
    var sizeHint: Int? { nil }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            let n = Foundation.read(STDIN_FILENO, base, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw FairAuditError.unreadableFile(path: "stdin", reason: String(cString: strerror(errno)))
        }
    }
}

/// A header line served before another source's bytes, for a stream without
/// one (`--columns a,b,c`, `--header-from FILE`).
final class PrefixedByteSource: ByteSource {
    private var prefix: [UInt8]
    private var served = 0
    private let rest: ByteSource

    init(prefix: [UInt8], rest: ByteSource) {
        self.prefix = prefix
        self.rest = rest
    }

    var sizeHint: Int? { rest.sizeHint.map { $0 + prefix.count } }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard served < prefix.count else { return try rest.read(into: buffer) }
        let n = min(buffer.count, prefix.count - served)
        prefix.withUnsafeBytes { src in
            if let from = src.baseAddress, let to = buffer.baseAddress {
                to.copyMemory(from: from + served, byteCount: n)
            }
        }
        served += n
        return n
    }
}

extension CSVDataOptions {
    /// The byte source for `url`: standard input when `standardInput` is set,
    /// otherwise the file (plain or gzip); with `header`, that line first.
    func byteSource(_ url: URL) throws -> ByteSource {
        let base: ByteSource = standardInput ? StdinByteSource() : try openByteSource(url)
        guard let header else { return base }
        let line =
            header.map { name in
                name.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
                    ? "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : name
            }.joined(separator: ",") + "\n"
        return PrefixedByteSource(prefix: Array(line.utf8), rest: base)
    }
}
