// libFuzzer target: the CSV reader (`LabeledData.loadCSV`, Sources/FairAudit/Data),
// plain or gzip (chosen by magic bytes), read from a temporary file with the
// column choices of the two fixture families (Adult: income / sex, race;
// tiny_quoted: y / grp with positive "yes", and a 1 KB record limit so the
// limit is hit often).
// Any input must give data or a `FairAuditError`, never a trap.
import FairAudit
import Foundation

let csvPath =
    (FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm/" : NSTemporaryDirectory())
    + "fuzz-csv-\(getpid()).csv"
let csvURL = URL(fileURLWithPath: csvPath)
let csvOptions = [
    CSVDataOptions(label: "income", groups: ["sex", "race"], maxLineBytes: 1 << 16),
    CSVDataOptions(label: "y", groups: ["grp"], positive: "yes", expectedFeatureCount: 2, maxLineBytes: 1 << 10),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard (try? Data(bytes: data, count: size).write(to: csvURL)) != nil else { fatalError("cannot write \(csvPath)") }
    for options in csvOptions {
        do {
            let (d, skipped) = try LabeledData.loadCSV(from: csvURL, options: options)
            precondition(skipped >= 0 && d.labels.count * d.featureNames.count == d.features.count)
        } catch is FairAuditError {
        } catch {
            fatalError("loadCSV threw a foreign error: \(error)")
        }
    }
    return 0
}
