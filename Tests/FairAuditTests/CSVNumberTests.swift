import Foundation
import Testing

@testable import FairAudit

/// Cell numbers equal the C library's correctly rounded parse (Swift's
/// `Double(String)`) narrowed to float, as numpy's `astype(float32)` does.
@Suite struct CSVNumberTests {
    @Test func fastPathAndFallbackMatchDoubleParse() throws {
        var rng = SplitMix(state: 42)
        var texts = [
            "0", "-0", "1.", ".5", "+2.25", "123456789012345", "1234567890123456789", "0.1", "3.4028235e38",
            "1e-45", "-7.000001", "  4.5 ", "2.5E+3", "0.30000000000000004", "16777217", "0.000000000000000001",
        ]
        for _ in 0..<3000 {
            let digits = Int(rng.next() % 18) + 1
            var s =
                (rng.next() % 2 == 0 ? "-" : "") + String((0..<digits).map { _ in Character(String(rng.next() % 10)) })
            let dot = Int(rng.next() % UInt64(digits + 1))
            s.insert(".", at: s.index(s.endIndex, offsetBy: -dot))
            if rng.next() % 5 == 0 { s += "e\(Int(rng.next() % 20) - 10)" }
            texts.append(s)
        }
        for t in texts {
            var bytes = Array(t.utf8)
            bytes.append(0)
            let got = bytes.withUnsafeBufferPointer { CSVCell.parseFloat($0.baseAddress!, count: t.utf8.count) }
            let want = try #require(Double(t.trimmingCharacters(in: .whitespaces)), "\(t)")
            #expect(try got.get().bitPattern == Float(want).bitPattern, "\(t)")
        }
    }

    @Test(arguments: ["abc", "0x10", "1e", "--1", "1.2.3", "", "  "])
    func notNumbers(text: String) {
        var bytes = Array(text.utf8)
        bytes.append(0)
        let r = bytes.withUnsafeBufferPointer { CSVCell.parseFloat($0.baseAddress!, count: text.utf8.count) }
        #expect((try? r.get()) == nil)
    }
}
