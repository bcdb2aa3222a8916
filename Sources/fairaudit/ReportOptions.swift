import ArgumentParser
import FairAudit
import Foundation

/// How a report is printed and where its files go.
struct ReportOptions: ParsableArguments {
    @Flag(help: "Print one JSON object instead of tables.")
    var json = false

    @Flag(help: "Print the report as Markdown (also appended to $GITHUB_STEP_SUMMARY when set).")
    var markdown = false

    @Option(help: ArgumentHelp("Also write the JSON report to this file.", valueName: "file"))
    var jsonOutput: String?

    @Option(help: ArgumentHelp("Write a self-contained HTML report with charts.", valueName: "file"))
    var html: String?

    @Option(help: ArgumentHelp("Write a JUnit XML file with one testcase per gate check.", valueName: "file"))
    var junit: String?

    /// Writes a text report file atomically (temporary file, flush, rename).
    static func write(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try AtomicFile.write(
            to: url, overwrite: true,
            produce: { tmp in
                try Data(text.utf8).write(to: tmp)
            },
            verify: { tmp in
                guard let back = FileManager.default.contents(atPath: tmp.path), back.count == text.utf8.count else {
                    throw FairAuditError.writeFailed(path: path, reason: "the written report did not read back whole")
                }
            })
    }

    /// Appends `markdown` to the GitHub Actions job summary when `GITHUB_STEP_SUMMARY` is set.
    static func appendStepSummary(_ markdown: String) {
        guard let path = ProcessInfo.processInfo.environment["GITHUB_STEP_SUMMARY"], !path.isEmpty,
            let handle = FileHandle(forWritingAtPath: path)
                ?? {
                    _ = FileManager.default.createFile(atPath: path, contents: nil)
                    return FileHandle(forWritingAtPath: path)
                }()
        else { return }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: Data((markdown + "\n").utf8))
    }
}
