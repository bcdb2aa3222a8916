import AuditFisher
import FairAudit
import FairAuditPlugins
import Foundation
import Testing

/// The Fisher audit's own options: its `[audits.fisher]` table, the former
/// top-level `permutations` (read with a note), and flags forwarded by name.
@Suite struct FisherOptionsTests {
    static func options(_ policy: String, flags: [(String, String)] = []) throws -> FisherOptions {
        let p = try Policy.parse(policy, file: "/policies/fairaudit.toml", audits: Plugins.audits)
        var o = AuditOptions()
        for s in p.audits { o.audits.add(s) }
        for (flag, value) in flags {
            let claimed = o.audits.forward(flag: flag, value: value, audits: Plugins.audits)
            #expect(claimed, "--\(flag)")
        }
        try o.audits.validate(Plugins.audits)
        return try FisherAudit.options(o)
    }

    @Test func tableKeysAreRead() throws {
        let o = try Self.options(
            "label = \"y\"\n[audits.fisher]\npermutations = 3\ntop = 4\nkind = \"model\"\nsave = \"out/f.safetensors\"\n"
        )
        #expect(o.permutations == 3 && o.top == 4 && o.kind == .model)
        #expect(o.save?.path == "/policies/out/f.safetensors", "a policy's path is relative to its folder")
        #expect(try Self.options("") == FisherOptions())
    }

    @Test func formerTopLevelKeyIsReadWithANote() throws {
        let p = try Policy.parse("label = \"y\"\npermutations = 7\n", file: "p.toml", audits: Plugins.audits)
        #expect(
            p.audits == [
                AuditSetting(
                    audit: "fisher", key: "permutations", value: .integer(7), origin: .policy(file: "p.toml", line: 2))
            ])
        #expect(
            p.notes == [
                "p.toml:2: 'permutations' at the top level is read as [audits.fisher] permutations; move it into that table"
            ])
        #expect(try Self.options("permutations = 7\n").permutations == 7)
        // Without the audits that claim it, it is an unknown key.
        #expect(throws: FairAuditError.self) { try Policy.parse("permutations = 7\n", file: "p.toml") }
    }

    @Test func forwardedFlagsWinOverThePolicy() throws {
        let o = try Self.options(
            "[audits.fisher]\npermutations = 3\nkind = \"model\"\n",
            flags: [("permutations", "5"), ("top", "2"), ("fisher", "empirical"), ("save-fisher", "f.npz")])
        #expect(o.permutations == 5 && o.top == 2 && o.kind == .empirical)
        #expect(o.save == URL(fileURLWithPath: "f.npz"))
    }

    @Test(arguments: [
        (
            "fisher", "exact",
            "--fisher: the fisher audit's option kind is 'exact', expected one of 'empirical', 'model'"
        ),
        (
            "permutations", "-1",
            "--permutations: the fisher audit's option permutations must be between 0 and 10000, not -1"
        ),
        ("top", "ten", "--top: the fisher audit's option top must be an integer, not 'ten'"),
    ])
    func badFlagsAreNamed(flag: String, value: String, message: String) throws {
        #expect {
            _ = try Self.options("", flags: [(flag, value)])
        } throws: { error in
            "\(error)" == message
        }
    }
}
