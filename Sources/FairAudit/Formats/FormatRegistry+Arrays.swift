import Foundation

extension FormatRegistry {
    /// Writes named arrays (no model around them) to `url` in the format its
    /// extension names (`.npz`, `.safetensors`, …), atomically as every
    /// format writes; refuses an extension no format writes.
    public func writeArrays(_ tensors: [Tensor], to url: URL) throws {
        guard let format = format(forOutput: url) else {
            let known = formats.flatMap { $0.fileExtensions }.map { "." + $0 }.joined(separator: ", ")
            throw FairAuditError.invalidInput(
                path: url.path, reason: "no format writes arrays to this extension (use one of: \(known))")
        }
        try format.write(ModelGraph(format: format.name, layout: .arrays, tensors: tensors), to: url, basedOn: nil)
    }
}
