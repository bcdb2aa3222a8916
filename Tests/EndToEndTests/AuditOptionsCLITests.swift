import FairAudit
import FairAuditPlugins
import Foundation
import Testing

/// Each audit's options reach it from `fairaudit audit` as a user gives
/// them: its `[audits.<name>]` policy table, the former top-level key with a
/// note, the flags the command forwards, `--audit-option`, and a bad value
/// named on one line with exit 2.
@Suite struct AuditOptionsCLITests {
    /// A policy for the bundled example in a fresh folder, with `top` among its
    /// top-level keys and `tables` after its `[gate]` table.
    static func policy(top: String = "", tables: String = "") throws -> URL {
        try GateTests.policy("max_demographic_parity_difference = 1.0", extra: top).appending(tables)
    }

    static func fisher(_ r: CLI.Result) throws -> [String: Any] {
        #expect(r.code == 0, "\(r.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        return try #require(doc["fisher"] as? [String: Any])
    }

    @Test func tableFormerKeyAndFlagsReachTheFisherAudit() throws {
        let table = try Self.policy(tables: "[audits.fisher]\npermutations = 2\nkind = \"model\"\n")
        let fromTable = try Self.fisher(CLI.run(["audit", "--config", table.path, "--json", "--bootstrap", "0"]))
        #expect(fromTable["permutations"] as? Int == 2)
        #expect(fromTable["kind"] as? String == "model")

        let former = try Self.policy(top: "permutations = 1")
        let r = try CLI.run(["audit", "--config", former.path, "--json", "--bootstrap", "0"])
        #expect(try Self.fisher(r)["permutations"] as? Int == 1)
        #expect(r.stderr.contains("'permutations' at the top level is read as [audits.fisher] permutations"))

        let flags = try CLI.run([
            "audit", "--config", table.path, "--json", "--bootstrap", "0", "--permutations", "1",
            "--audit-option", "fisher.kind=empirical",
        ])
        let fromFlags = try Self.fisher(flags)
        #expect(fromFlags["permutations"] as? Int == 1)
        #expect(fromFlags["kind"] as? String == "empirical")
    }

    @Test func disabledAuditIsLeftOut() throws {
        let p = try Self.policy(tables: "[audits.fisher]\nenabled = false\n")
        let r = try CLI.run(["audit", "--config", p.path, "--json", "--bootstrap", "0"])
        #expect(r.code == 0, "\(r.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(doc["fisher"] == nil)
        #expect(doc["metrics"] != nil)
    }

    @Test func saveFisherWritesTheFormatItsExtensionNames() throws {
        let p = try Self.policy()
        let out = p.deletingLastPathComponent().appendingPathComponent("fisher.safetensors")
        let r = try CLI.run([
            "audit", "--config", p.path, "--bootstrap", "0", "--permutations", "0", "--save-fisher", out.path,
        ])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(try Plugins.formats.format(for: out).name == "safetensors")
        let saved = try Plugins.formats.read(out)
        let names = Set(saved.tensors.map { $0.name.split(separator: "/").first.map(String.init) ?? "" })
        #expect(names == ["Male", "Female"])
        #expect(saved.tensors.allSatisfy { $0.dtype == .float32 })
    }

    @Test(arguments: [
        (["--fisher", "exact"], "--fisher: the fisher audit's option kind is 'exact'"),
        (["--audit-option", "fisher.rounds=3"], "--audit-option: the fisher audit's option rounds is not an option"),
        (["--audit-option", "fairnes.enabled=false"], "is set for an audit that does not exist"),
        (["--save-fisher", "out.txt"], "no format writes arrays to this extension"),
    ])
    func badOptionsExitTwoOnOneLine(args: [String], message: String) throws {
        let p = try Self.policy()
        let r = try CLI.run(["audit", "--config", p.path, "--bootstrap", "0", "--permutations", "0"] + args)
        #expect(r.code == 2)
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test func badTableValueNamesItsLine() throws {
        let p = try Self.policy(tables: "[audits.fisher]\ntop = -2\n")
        let r = try CLI.run(["audit", "--config", p.path, "--bootstrap", "0"])
        #expect(r.code == 2)
        #expect(r.stderr.contains("fairaudit.toml:11: [audits.fisher] top must be ≥ 0, not -2"), "\(r.stderr)")
    }
}

extension URL {
    /// Appends `text` to the file and returns the URL.
    fileprivate func appending(_ text: String) throws -> URL {
        let handle = try FileHandle(forWritingTo: self)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(("\n" + text).utf8))
        return self
    }
}
