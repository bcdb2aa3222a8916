import FairAudit
import FairAuditPlugins
import Foundation
import Testing

@testable import FormatONNX

/// The skeleton read: large raw_data left in the file and read on demand, the rest as swift-protobuf decodes it.
@Suite struct ONNXSkeletonTests {
    /// With a threshold below the weights' sizes, the kernels are left out of the skeleton and read back from the file
    /// as the full decode holds them; every other field of the model is the same.
    @Test func leftOutValuesReadBackAsTheFullDecode() throws {
        let url = ONNXFixtures.adult
        let skeleton = try ONNXSkeleton(url: url, threshold: 1000)
        let full = try ONNXFormat.decode(url)
        #expect(skeleton.raw.keys.sorted() == [0, 2], "the two hidden kernels (> 1000 bytes) are left out")
        let cursor = try ONNXFileCursor(url: url)
        for (i, proto) in skeleton.model.graph.initializer.enumerated() {
            let lazy = try ONNXTensor.tensor(from: proto, file: url.path, raw: skeleton.raw[i].map { (cursor, $0) })
            let eager = try ONNXTensor.tensor(from: full.graph.initializer[i], file: url.path)
            #expect(try lazy.rawBytes() == eager.rawBytes() && lazy.shape == eager.shape && lazy.name == eager.name)
            if skeleton.raw[i] != nil {
                #expect(!proto.hasRawData)
                if case .bytes = lazy.storage { Issue.record("\(proto.name) was read eagerly") }
            }
        }
        var stripped = full
        for i in skeleton.raw.keys { stripped.graph.initializer[i].clearRawData() }
        #expect(stripped == skeleton.model)
    }

    /// A file cut inside a left-out raw_data is refused as truncated, naming the file.
    @Test(arguments: [20000, 29000])
    func cutInsideLargeValuesIsTruncated(keep: Int) throws {
        let out = try ONNXFixtures.scratch().appendingPathComponent("cut.onnx")
        try Data(contentsOf: ONNXFixtures.adult).prefix(keep).write(to: out)
        #expect(throws: ONNXFileCursor.BinaryOrTruncated.self) { try ONNXSkeleton(url: out, threshold: 1000) }
        do {
            _ = try ONNXFormat.read(out)
            Issue.record("read a cut file")
        } catch {
            #expect("\(error)".hasPrefix(out.path + ": not an ONNX model"), "\(error)")
        }
    }
}
