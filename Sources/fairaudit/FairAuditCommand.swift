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
        subcommands: [])
}
