// libFuzzer target: the safetensors header validation
// (`SafeTensorsHeader.parse`, formats/SafeTensors) on a whole file in memory.
// Any input must give a header or a `SafeTensorsError`, never a trap.
import FairAudit
import Foundation

@testable import FormatSafeTensors

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let file = MappedFile(copying: Data(bytes: data, count: size))
    do {
        let h = try SafeTensorsHeader.parse(file, file: "fuzz.safetensors")
        // An accepted header covers the data exactly, tensor by tensor.
        let covered = h.entries.reduce(0) { $0 + $1.offsets.count }
        precondition(h.dataStart + covered == size)
        for e in h.entries { precondition(e.offsets.upperBound <= size - h.dataStart) }
    } catch is SafeTensorsError {
    } catch {
        fatalError("SafeTensorsHeader.parse threw a foreign error: \(error)")
    }
    return 0
}
