import Foundation

/// Progress lines on stderr, only when stderr is a terminal (so logs and
/// pipes stay clean), overwritten in place.
struct Progress: Sendable {
    let enabled: Bool

    init(quiet: Bool = false) {
        enabled = !quiet && isatty(STDERR_FILENO) != 0
    }

    /// Shows `message` on the status line.
    func update(_ message: String) {
        guard enabled else { return }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + message).utf8))
    }

    /// Clears the status line.
    func done() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

/// Writes `text` to standard output, with a final newline.
func emit(_ text: String) {
    FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
}
