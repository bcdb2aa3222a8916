import Foundation
import Testing

@testable import FairAudit

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The JUnit file parses as XML and counts checks and failures right.
@Suite struct JUnitReportTests {
    @Test(arguments: [[true, true], [true, false, false], [false]])
    func countsMatchTheChecks(outcomes: [Bool]) throws {
        let checks = outcomes.enumerated().map { i, ok in
            GateCheck(
                name: "max_gap_\(i) <&>", metric: "gap_\(i)", value: 0.2, interval: nil, judged: 0.2,
                limit: ok ? 0.3 : 0.1, kind: .max, passed: ok)
        }
        let xml = JUnitReport.xml(checks: checks, model: "m\"odel.h5")
        let doc = try XMLDocument(data: Data(xml.utf8))
        let cases = try doc.nodes(forXPath: "//testcase")
        let failures = try doc.nodes(forXPath: "//testcase/failure")
        #expect(cases.count == outcomes.count)
        #expect(failures.count == outcomes.filter { !$0 }.count)
        let suite = try #require(try doc.nodes(forXPath: "//testsuite").first as? XMLElement)
        #expect(suite.attribute(forName: "failures")?.stringValue == String(outcomes.filter { !$0 }.count))
        #expect((cases.first as? XMLElement)?.attribute(forName: "name")?.stringValue == "max_gap_0 <&>")
        if let f = failures.first { #expect(f.stringValue?.contains("FAIL") == true) }
    }
}
