// libFuzzer target: the zip directory reader (`ZipArchive(data:name:)`,
// Sources/FairAudit/Zip) and reading every member: raw record, stored bytes,
// a prefix, the whole (inflated, CRC-checked) data, and the same member
// streamed to a file (`extract`), which must agree with `data(for:)`: the
// same bytes, or an error and no file left.
// Any input must give data or a `ZipError`, never a trap.
import FairAudit
import Foundation

/// A private folder for extracted members, one per fuzzing process.
nonisolated(unsafe) let scratch: URL = {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("fairaudit-fuzz-zip-\(getpid())")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}()

/// The bytes of the file at `path`, read with stdio (Foundation's file
/// reading keeps a 4 KB buffer that LeakSanitizer reports).
func fileBytes(_ path: String) -> [UInt8]? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let n = fread(&buffer, 1, buffer.count, f)
        out += buffer[0..<n]
        if n < buffer.count { return ferror(f) == 0 ? out : nil }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    do {
        let zip = try ZipArchive(data: bytes, name: "fuzz.zip")
        for e in zip.entries {
            precondition(zip.entry(named: e.name) == e)
            _ = try? zip.rawRecord(for: e)
            _ = try? zip.compressedData(for: e)
            _ = try? zip.prefix(of: e, count: 128)
            let whole = try? zip.data(for: e)
            if let d = whole { precondition(d.count == e.uncompressedSize) }
            let out = scratch.appendingPathComponent("member")
            let extracted = (try? zip.extract(e, to: out)) != nil
            precondition(extracted == (whole != nil), "extract and data(for:) disagree on \(e.name)")
            if extracted {
                precondition(
                    fileBytes(out.path) == whole.map { [UInt8]($0) }, "extract wrote other bytes for \(e.name)")
            }
            precondition(extracted || !FileManager.default.fileExists(atPath: out.path), "a failed extract left a file")
            unlink(out.path)
        }
    } catch is ZipError {
    } catch {
        fatalError("ZipArchive threw a foreign error: \(error)")
    }
    return 0
}
