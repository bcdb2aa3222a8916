// libFuzzer target: the zip directory reader (`ZipArchive(data:name:)`,
// Sources/FairAudit/Zip) and reading every member: raw record, stored bytes,
// a prefix, and the whole (inflated, CRC-checked) data.
// Any input must give data or a `ZipError`, never a trap.
import FairAudit
import Foundation

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
            if let d = try? zip.data(for: e) { precondition(d.count == e.uncompressedSize) }
        }
    } catch is ZipError {
    } catch {
        fatalError("ZipArchive threw a foreign error: \(error)")
    }
    return 0
}
