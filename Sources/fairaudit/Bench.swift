import ArgumentParser
import FairAudit
import FairAuditPlugins
import Foundation

extension FairAuditCommand {
    /// `fairaudit benchmark`: throughput of the hot paths on synthetic inputs.
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "benchmark",
            abstract: "Measure the throughput of reading tensors, CSV, forward, Fisher, metrics and fine-tuning.",
            discussion: "Build with -c release for meaningful numbers: swift run -c release fairaudit benchmark")

        @Option(help: "Megabytes of tensors to write and read back per format.")
        var megabytes: Int = 256

        @Option(help: "Rows of 80 features for the model paths.")
        var rows: Int = 100_000

        @Flag(help: "Print one JSON object.")
        var json = false

        func validate() throws {
            guard (1...8192).contains(megabytes) else { throw ValidationError("--megabytes must be 1…8192.") }
            guard (1000...10_000_000).contains(rows) else { throw ValidationError("--rows must be 1000…10000000.") }
        }

        func run() throws {
            var table = TextTable(headers: ["path", "seconds", "throughput"], rightAligned: [1, 2])
            let results = try Benchmark.run(megabytes: megabytes, rows: rows) { m in
                if !json { FileHandle.standardError.write(Data("  \(m.name): \(Format.g(m.throughput, 4)) \(m.unit)\n".utf8)) }
            }
            for m in results { table.add([m.name, Format.f(m.seconds, 3), "\(Format.g(m.throughput, 4)) \(m.unit)"]) }
            if json {
                emit(JSONValue.array(results.map { m in
                    .object([("name", .string(m.name)), ("seconds", .number(m.seconds)),
                             ("throughput", .number(m.throughput)), ("unit", .string(m.unit))])
                }).serialized(pretty: true))
            } else {
                emit(table.rendered())
            }
        }
    }
}
