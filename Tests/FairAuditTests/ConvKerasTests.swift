import FairAuditPlugins
import Foundation
import Testing

@testable import FairAudit

/// Each spatial layer's config, as Keras 3 (JAX) and tf.keras 2 serialize
/// it, mapped and run on the weights and batch Keras ran it on
/// (scripts/fixtures/make_conv_fixtures.py).
@Suite struct ConvKerasTests {
    static let names = [
        "conv1d_valid", "conv1d_same_stride2", "conv1d_causal_dilated_relu", "conv2d_valid", "conv2d_same_stride2_relu",
        "conv2d_dilated_same", "conv2d_groups_nobias", "conv2d_channels_first", "depthwise_mult2_same_stride2",
        "separable_mult2_same", "maxpool1d", "maxpool2d_same_stride2", "maxpool2d_channels_first",
        "avgpool1d_same_stride2",
        "avgpool2d_valid", "avgpool2d_same_stride2", "global_avg1d", "global_avg2d_keepdims",
        "global_avg2d_channels_first",
        "global_max1d", "global_max2d", "zeropad1d", "zeropad2d", "crop1d", "crop2d", "upsample1d", "upsample2d",
    ]
    /// `lib/case`; tf.keras 2 on CPU runs no channels_first layers.
    static let cases = ["k3", "tf2"].flatMap { lib in
        names.filter { lib == "k3" || !$0.contains("channels_first") }.map { "\(lib)/\($0)" }
    }

    static func file(_ name: String) throws -> URL {
        let dir = try #require(Bundle.module.url(forResource: "conv", withExtension: nil, subdirectory: "Resources"))
        return dir.appendingPathComponent(name)
    }

    static func configs(_ lib: String) throws -> [String: Any] {
        try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: file("conv_layers_\(lib).json"))) as? [String: Any])
    }

    @Test("the fixtures hold exactly the cases listed here", arguments: ["k3", "tf2"])
    func casesListed(lib: String) throws {
        #expect(
            Set(try Self.configs(lib).keys)
                == Set(Self.cases.filter { $0.hasPrefix(lib + "/") }.map { String($0.dropFirst(lib.count + 1)) }))
    }

    @Test("the layer's output equals Keras' within 1e-5", arguments: cases)
    func forwardEqualsKeras(id: String) throws {
        let parts = id.split(separator: "/").map(String.init)
        let (lib, name) = (parts[0], parts[1])
        let entry = try #require(try Self.configs(lib)[name] as? [String: Any])
        let cls = try #require(entry["class_name"] as? String)
        let config = try #require(entry["config"] as? [String: Any])
        let inputShape = try #require(entry["input_shape"] as? [Int])
        let converted = try KerasConfig.convert(
            KerasConfig.Entry(className: cls, name: name, config: config, inputRank: inputShape.count + 1))
        guard case .layer(var layer, let roles) = converted else {
            Issue.record("\(id): \(converted)")
            return
        }
        let npz = try Plugins.formats.read(try Self.file("conv_layers_\(lib).npz"))
        var p = LayerParams()
        var shapes: [ParameterRole: [Int]] = [:]
        for (i, role) in roles.enumerated() {
            let t = try npz.tensor(named: "\(name)/w/\(i)")
            p.values[role] = try t.floatValues()
            shapes[role] = t.shape
            layer.weights[role] = t.name
        }
        #expect(
            npz.tensors.filter { $0.name.hasPrefix("\(name)/w/") }.count == roles.count,
            "\(id): weights vs roles \(roles)")
        let op = try NetworkBuilder.spatialOp(for: layer)
        let xt = try npz.tensor(named: "\(name)/x")
        let yt = try npz.tensor(named: "\(name)/y")
        let x = Batch(rows: xt.shape[0], shape: Array(xt.shape.dropFirst()), data: try xt.floatValues())
        #expect(try op.outputShape([x.shape], params: shapes) == Array(yt.shape.dropFirst()), "\(id): output shape")
        var out = Batch()
        var cache = LayerCache()
        op.forward([x], p, output: &out, cache: &cache)
        if layer.activation != .linear {
            let act = ActivationOp(activation: layer.activation, slope: Float(layer.negativeSlope))
            var a = Batch()
            act.forward([out], p, output: &a, cache: &cache)
            out = a
        }
        let want = try yt.doubleValues()
        #expect(out.shape == Array(yt.shape.dropFirst()) && out.rows == yt.shape[0], "\(id): shape \(out.shape)")
        #expect(close(out.data.map(Double.init), want, rtol: 1e-5, atol: 1e-6), "\(id): output differs from Keras")
    }
}
