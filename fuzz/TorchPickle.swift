// libFuzzer target: the restricted unpickler and checkpoint walk
// (`Checkpoint.parse`, formats/PyTorch) on a data.pkl. Any input must give a
// checkpoint or a `PyTorchError`, never a trap, and nothing it names is run.
// Storages "exist" with 4096 bytes each, so the view checks are reached.
import FormatPyTorch
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    do {
        let c = try Checkpoint.parse(bytes, file: "fuzz.pt") { key in key.count < 4 ? 4096 : nil }
        // Every tensor the walk returns stays inside its 4096-byte storage.
        for t in c.tensors {
            precondition(t.ref.storage.numel * t.ref.storage.dtype.byteSize <= 4096)
            precondition(t.ref.shape.count == t.ref.stride.count)
        }
    } catch is PyTorchError {
    } catch {
        fatalError("Checkpoint.parse threw a foreign error: \(error)")
    }
    return 0
}
