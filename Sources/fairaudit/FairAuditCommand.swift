import ArgumentParser
import FairAudit
import FairAuditPlugins
import Foundation

/// The `fairaudit` command: inspect, convert, audit and fix model weights.
@main
struct FairAuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fairaudit",
        abstract: "Audit model weights for group fairness and fix them, in the model's own file format.",
        discussion: """
            Reads Keras .h5/.keras files, Keras weights files, PyTorch-style state dicts \
            (HDF5 or NumPy .npz) and .npy arrays; the format is chosen by the file's \
            content, not its name.

            Exit codes: 0 success, 1 a fairness gate failed, 2 bad input or usage.
            """,
        subcommands: [Inspect.self, Convert.self, Audit.self, Merge.self, Fix.self, Predict.self, Bench.self])

    /// Runs the command, mapping every error to one line on stderr and the
    /// documented exit codes.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let failure as GateFailure {
            FileHandle.standardError.write(Data((failure.description + "\n").utf8))
            Foundation.exit(1)
        } catch {
            if isOwnError(error) {
                FileHandle.standardError.write(Data(("fairaudit: " + oneLine(String(describing: error)) + "\n").utf8))
                Foundation.exit(2)
            }
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
    }

    /// `text` folded onto one line.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    /// True for the library's and plugins' error types (not ArgumentParser's).
    static func isOwnError(_ error: Error) -> Bool {
        let type = String(reflecting: Swift.type(of: error))
        return !type.hasPrefix("ArgumentParser.")
    }
}

/// A fairness gate that failed: exit code 1, the failed checks on stderr.
struct GateFailure: Error, CustomStringConvertible {
    var description: String
}
