import Foundation

/// Checks an output path before any work: never the input itself, never an
/// existing file without `overwrite` (`--force`).
public enum OutputGuard {
    /// Throws `invalidInput` when `output` is `input` (after symlinks), and
    /// `outputExists` when `output` exists and `overwrite` is false.
    public static func check(_ output: URL, input: URL, force overwrite: Bool) throws {
        let a = output.resolvingSymlinksInPath().standardizedFileURL.path
        let b = input.resolvingSymlinksInPath().standardizedFileURL.path
        if a == b {
            throw FairAuditError.invalidInput(
                path: output.path, reason: "is the input file; fairaudit never writes over its input")
        }
        if FileManager.default.fileExists(atPath: output.path) && !overwrite {
            throw FairAuditError.outputExists(path: output.path)
        }
    }
}
