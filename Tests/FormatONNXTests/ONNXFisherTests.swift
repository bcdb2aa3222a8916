import FairAudit
import FairAuditPlugins
import Foundation
import Testing

@testable import FormatONNX

/// The per-group Fisher of the torch-exported Adult MLP equals the one of
/// the same weights as a PyTorch state dict in HDF5 (adult_mlp_torch.h5).
@Suite struct ONNXFisherTests {
    /// adult_sample.csv's income labels and sex groups (the last three columns are income, sex, race).
    static func labelsAndGroups() throws -> (labels: [Float], groups: [Int], names: [String]) {
        let text = try String(
            contentsOf: ONNXFixtures.root.appendingPathComponent("Tests/FairAuditTests/Resources/adult_sample.csv"),
            encoding: .utf8)
        var lines = text.split(whereSeparator: \.isNewline)
        lines.removeFirst()
        var labels: [Float] = []
        var groups: [Int] = []
        let names = ["Female", "Male"]
        for line in lines {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            labels.append(try #require(Float(String(cells[cells.count - 3]))))
            groups.append(try #require(names.firstIndex(of: String(cells[cells.count - 2]))))
        }
        return (labels, groups, names)
    }

    @Test func perGroupFisherEqualsTheHDF5StateDict() throws {
        let onnx = try Network(graph: ONNXFormat.read(ONNXFixtures.adult))
        var h5 = try Plugins.formats.read(
            ONNXFixtures.root.appendingPathComponent("Tests/FormatHDF5Tests/Resources/adult_mlp_torch.h5"))
        h5.layers = try h5.inferredLayers(activations: [.relu], head: .sigmoid, excluding: [])
        let torch = try Network(graph: h5)
        #expect(onnx.trainableShapes == torch.trainableShapes && onnx.trainableShapes.count == 6)
        for (a, b) in zip(onnx.trainableNames, torch.trainableNames) {
            #expect(try onnx.parameter(a) == torch.parameter(b), "\(a) and \(b) hold the same weights")
        }
        let (x, rows) = try ONNXFixtures.adultFeatures()
        let (labels, groups, names) = try Self.labelsAndGroups()
        #expect(labels.count == rows)
        let fa = try onnx.groupFisher(features: x, labels: labels, rowGroups: groups, groupNames: names)
        let fb = try torch.groupFisher(features: x, labels: labels, rowGroups: groups, groupNames: names)
        #expect(fa.counts == fb.counts && fa.counts.allSatisfy { $0 > 100 })
        var worst: Float = 0
        var largest: Float = 0
        for g in names.indices {
            for t in fa.tensorNames.indices {
                #expect(fa.values[g][t].count == fb.values[g][t].count)
                for (p, q) in zip(fa.values[g][t], fb.values[g][t]) {
                    worst = max(worst, abs(p - q))
                    largest = max(largest, abs(p))
                }
            }
        }
        #expect(largest > 1e-3, "a Fisher that is not all zeros")
        #expect(worst <= 1e-6, "largest per-group Fisher difference \(worst)")
    }
}
