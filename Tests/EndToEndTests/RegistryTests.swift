import FairAudit
import FairAuditPlugins
import Foundation
import Testing

/// Every folder under formats/ and audits/ is listed in the registry.
@Suite struct RegistryTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func folders(_ name: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(name).path)
            .filter { !$0.hasPrefix(".") }.sorted()
    }

    @Test func everyFormatFolderIsRegistered() throws {
        let registered = Plugins.formats.formats.map { String(describing: $0) }
        for folder in try Self.folders("formats") {
            #expect(registered.contains { $0.hasPrefix(folder) }, "formats/\(folder) is not in Plugins.formats")
        }
    }

    @Test func everyAuditFolderIsRegistered() throws {
        let registered = Plugins.audits.map { String(describing: $0) }
        for folder in try Self.folders("audits") {
            #expect(registered.contains { $0.hasPrefix(folder) }, "audits/\(folder) is not in Plugins.audits")
        }
    }
}
