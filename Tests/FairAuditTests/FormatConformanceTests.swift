import FairAudit
import FairAuditPlugins
import FormatConformance
import Foundation
import Testing

/// Every registered format passes the conformance checks (``Conformance``)
/// on its own fixture files, listed one per line in
/// `Resources/conformance/<format name>.txt` (`#` starts a comment).
///
/// To add a format: register it, copy small files written by the tool its
/// users have into `Resources/`, and list them in its `.txt`; nothing in
/// this suite changes.
@Suite struct FormatConformanceTests {
    /// `(format name, fixture)` for every registered format's listed fixtures.
    static let fixtures: [ConformanceFixture] = Plugins.formats.formats.flatMap { format in
        listed(for: format.name).map { ConformanceFixture(format: format.name, file: $0) }
    }

    /// The fixture names in `conformance/<name>.txt`, empty when there is no list.
    static func listed(for name: String) -> [String] {
        guard
            let url = Bundle.module.url(forResource: name, withExtension: "txt", subdirectory: "Resources/conformance"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return [] }
        return text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    static func url(_ name: String) throws -> URL {
        let base = (name as NSString).deletingPathExtension
        let ext = (name as NSString).pathExtension
        return try #require(
            Bundle.module.url(forResource: base, withExtension: ext, subdirectory: "Resources"),
            "missing fixture \(name)")
    }

    /// Every registered format's name.
    static let formatNames: [String] = Plugins.formats.formats.map { $0.name }

    @Test(arguments: formatNames)
    func everyRegisteredFormatListsFixturesItReads(format: String) throws {
        let names = Self.listed(for: format)
        #expect(!names.isEmpty, "format \(format) lists no fixtures in Resources/conformance/\(format).txt")
        for name in names {
            #expect(try Plugins.formats.format(for: Self.url(name)).name == format, "\(name) is not read as \(format)")
        }
    }

    @Test(arguments: fixtures)
    func roundTripKeepsEveryTensor(_ f: ConformanceFixture) throws {
        try Conformance.roundTripKeepsEveryTensor(Self.url(f.file), with: Plugins.formats)
    }

    @Test(arguments: fixtures)
    func unchangedCopyIsByteIdenticalPartByPart(_ f: ConformanceFixture) throws {
        try Conformance.unchangedCopyIsByteIdentical(Self.url(f.file), with: Plugins.formats)
    }

    @Test(arguments: fixtures)
    func oneModifiedTensorChangesOnlyIt(_ f: ConformanceFixture) throws {
        try Conformance.oneModifiedTensorChangesOnlyIt(Self.url(f.file), with: Plugins.formats)
    }

    @Test(arguments: fixtures)
    func truncatedFilesThrow(_ f: ConformanceFixture) throws {
        try Conformance.truncatedFilesThrow(Self.url(f.file), with: Plugins.formats)
    }

    @Test(arguments: fixtures)
    func corruptFilesThrowOrReadNeverCrash(_ f: ConformanceFixture) throws {
        try Conformance.corruptFilesThrowOrReadNeverCrash(Self.url(f.file), with: Plugins.formats)
    }
}

/// One fixture of one format, printed as `format: file` in test names.
struct ConformanceFixture: Sendable, CustomTestStringConvertible {
    var format: String
    var file: String
    var testDescription: String { "\(format): \(file)" }
}
