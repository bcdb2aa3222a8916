// libFuzzer target: the .npy preamble parser (`NPYHeader.parse`, formats/NPZ).
// Any input must give a header or an `NPZError`, never a trap.
import FormatNPZ
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    do {
        let h = try NPYHeader.parse(bytes, file: "fuzz.npy", member: nil)
        // The parsed header must be self-consistent.
        precondition(h.dataOffset <= bytes.count && h.dataOffset >= 10)
        precondition(h.byteCount == h.elementCount * h.dtype.byteSize)
    } catch is NPZError {
    } catch {
        fatalError("NPYHeader.parse threw a foreign error: \(error)")
    }
    return 0
}
