import Foundation
import Testing

/// Exit codes and messages for usage errors and unreadable inputs.
@Suite struct UsageTests {
    @Test func helpListsTheSubcommandsAndExitsZero() throws {
        let r = try CLI.run(["--help"])
        #expect(r.code == 0)
        #expect(r.stdout.contains("inspect") && r.stdout.contains("convert"))
    }

    @Test(arguments: [["inspect"], ["inspect", "a", "b"], ["convert", "only-one"], ["nonsense-command"]])
    func usageErrorsExitTwo(args: [String]) throws {
        let r = try CLI.run(args)
        #expect(r.code == 2)
        #expect(!r.stderr.isEmpty)
    }

    @Test func missingFileIsOneLineNamingIt() throws {
        let r = try CLI.run(["inspect", "/nonexistent/model.h5"])
        #expect(r.code == 2)
        #expect(r.stderr == "fairaudit: /nonexistent/model.h5: cannot read the file: no such file\n")
        #expect(r.stdout.isEmpty)
    }

    @Test func unknownContentIsRefusedByMagicNotExtension() throws {
        let dir = try CLI.temporaryDirectory()
        let fake = dir.appendingPathComponent("model.h5")
        try Data("this is not hdf5".utf8).write(to: fake)
        let r = try CLI.run(["inspect", fake.path])
        #expect(r.code == 2)
        #expect(r.stderr.contains(fake.path) && r.stderr.contains("not a format"))
        #expect(r.stderr.split(separator: "\n").count == 1)
    }
}
