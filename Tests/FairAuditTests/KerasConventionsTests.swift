import Foundation
import Testing

@testable import FairAudit

/// The ways Keras 2 and Keras 3 write the same config, read as one.
@Suite struct KerasConventionsTests {
    /// A Sequential config: an input of `inputShape` (JSON), then `layers` (JSON objects).
    static func sequential(
        inputShape: String = "[null, 4]", inputKey: String = "batch_shape", _ layers: [String]
    ) -> String {
        """
        {"class_name": "Sequential", "config": {"name": "s", "layers": [
          {"class_name": "InputLayer", "config": {"\(inputKey)": \(inputShape), "dtype": "float32", "name": "in"}},
          \(layers.joined(separator: ",\n  "))]}}
        """
    }

    static func norm(_ cls: String, axis: String) -> String {
        #"{"class_name": "\#(cls)", "config": {"name": "n", "axis": \#(axis), "epsilon": 0.001, "center": true, "scale": true}}"#
    }

    static let normWeights = ["n": ["n/gamma", "n/beta", "n/moving_mean", "n/moving_variance"]]
    static let lnWeights = ["n": ["n/gamma", "n/beta"]]

    static func architecture(
        _ json: String, weights: [String: [String]] = [:], width: Int = 4
    ) throws -> KerasArchitecture {
        var shapes: [String: [Int]] = [:]
        for names in weights.values { for n in names { shapes[n] = [width] } }
        return try KerasConfig.architecture(fromJSON: json, weights: weights, shapes: shapes)
    }

    /// Every spelling of "the last axis" of a (batch, features) input: Keras 3's
    /// `-1`, tf.keras 2's `[1]`, a bare `1`, `[-1]`, a tuple record, and absent.
    @Test(arguments: [
        "-1", "[1]", "1", "[-1]", #"{"class_name": "__tuple__", "items": [1]}"#,
        #"{"class_name": "ListWrapper", "config": [-1]}"#, "null",
    ])
    func lastAxisOfARank2InputIsAccepted(axis: String) throws {
        for (cls, weights) in [("BatchNormalization", Self.normWeights), ("LayerNormalization", Self.lnWeights)] {
            let arch = try Self.architecture(Self.sequential([Self.norm(cls, axis: axis)]), weights: weights)
            let layers = try #require(arch.layers, "\(cls) axis \(axis): \(arch.note ?? "")")
            #expect(layers.last?.kind == (cls == "BatchNormalization" ? .batchNormalization : .layerNormalization))
            #expect(layers.last?.weights[.gamma] == "n/gamma")
        }
    }

    /// The axis is resolved against the layer's input rank: `[2]` is the
    /// last axis of a (batch, 3, 4) input, `[1]` and `[1, 2]` are axes of it
    /// too (the executor normalizes along any); `[0]` (the batch) and `[2]`
    /// of a rank-2 input are not and are named; after Flatten the rank is 2 again.
    @Test(
        arguments: [
            ("[null, 3, 4]", "[2]", nil),
            ("[null, 3, 4]", "-1", nil),
            ("[null, 2, 3, 4]", "[3]", nil),
            ("[null, 3, 4]", "[1]", nil),
            ("[null, 3, 4]", "[1, 2]", nil),
            ("[null, 4]", "[0]", "normalizes axis 0 of its rank-2 input"),
            ("[null, 4]", "[2]", "has axis [2], which is not an axis of its rank-2 input"),
            ("[null, 4]", "\"features\"", "has axis of an unknown form"),
        ] as [(String, String, String?)])
    func axisIsResolvedAgainstTheInputRank(shape: String, axis: String, refusal: String?) throws {
        let json = Self.sequential(inputShape: shape, [Self.norm("LayerNormalization", axis: axis)])
        let entries = try KerasConfig.entries(fromJSON: json)
        #expect(entries.last?.inputRank == shape.split(separator: ",").count)
        let last = try #require(entries.last)
        let note = KerasConfig.axisNote(last)
        if let refusal {
            #expect(note?.contains(refusal) == true, "\(note ?? "no note")")
            // Refused before any weight is looked at, naming the layer.
            let arch = try Self.architecture(json)
            #expect(arch.layers == nil && arch.note == note)
            #expect(arch.note?.contains("LayerNormalization layer 'n'") == true)
        } else {
            #expect(note == nil, "\(note ?? "")")
            let arch = try Self.architecture(json, weights: Self.lnWeights, width: 4)
            let layer = try #require(arch.layers?.last, "\(arch.note ?? "")")
            let rank = shape.split(separator: ",").count
            #expect(
                layer.axes == (axis == "[1]" ? [1] : axis == "[1, 2]" ? [1, 2] : [-1]), "rank \(rank) axis \(axis)")
        }
        let flattened = Self.sequential(
            inputShape: shape,
            [
                #"{"class_name": "Flatten", "config": {"name": "f"}}"#,
                Self.norm("BatchNormalization", axis: "[1]"),
            ])
        let after = try KerasConfig.entries(fromJSON: flattened)
        #expect(after.last?.inputRank == 2)
        #expect(after.last.flatMap(KerasConfig.axisNote) == nil)
    }

    /// tf.keras 2's `batch_input_shape` (on the InputLayer or the first layer,
    /// with no InputLayer), TensorShape and tuple records, and Keras 3's
    /// Sequential `build_input_shape` all give the input width.
    static let dense6 = #"{"class_name": "Dense", "config": {"name": "d", "units": 2}}"#

    @Test(arguments: [
        KerasConventionsTests.sequential(inputShape: "[null, 6]", inputKey: "batch_input_shape", [dense6]),
        KerasConventionsTests.sequential(inputShape: #"{"class_name": "__tuple__", "items": [null, 6]}"#, [dense6]),
        KerasConventionsTests.sequential(
            inputShape: #"{"class_name": "TensorShape", "items": [null, 6]}"#,
            inputKey: "batch_input_shape", [dense6]),
        KerasConventionsTests.sequential(inputShape: "[6]", inputKey: "shape", [dense6]),
        #"{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"name": "d", "units": 2, "batch_input_shape": [null, 6]}}]}}"#,
        #"{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"name": "d", "units": 2}}], "build_input_shape": [null, 6]}}"#,
    ])
    func inputShapeConventions(json: String) throws {
        let arch = try KerasConfig.architecture(
            fromJSON: json, weights: ["d": ["d/kernel", "d/bias"]],
            shapes: ["d/kernel": [6, 2], "d/bias": [2]])
        #expect(arch.inputWidth == 6, "\(json)")
        #expect(arch.layers?.last?.units == 2)
        // The declared width is checked against the kernel: 6 inputs, not 5.
        #expect(throws: FairAuditError.self) {
            try KerasConfig.architecture(
                fromJSON: json, weights: ["d": ["d/kernel", "d/bias"]],
                shapes: ["d/kernel": [5, 2], "d/bias": [2]])
        }
    }

    /// Layer dtypes: tf.keras 2's strings and mixed-precision `Policy`, Keras
    /// 3's `DTypePolicy` record run; a quantized policy is refused by name.
    @Test(
        arguments: [
            (#""float32""#, nil),
            (
                #"{"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}"#,
                nil
            ),
            (#"{"class_name": "Policy", "config": {"name": "mixed_float16"}}"#, nil),
            (
                #"{"module": "keras", "class_name": "QuantizedDTypePolicy", "config": {"name": "int8_from_float32"}}"#,
                "quantized (dtype policy 'int8_from_float32')"
            ),
            (#""int32""#, "dtype policy 'int32'"),
        ] as [(String, String?)])
    func dtypePolicies(dtype: String, refusal: String?) throws {
        let json = Self.sequential([
            #"{"class_name": "Dense", "config": {"name": "d", "units": 2, "dtype": \#(dtype)}}"#
        ])
        let arch = try KerasConfig.architecture(
            fromJSON: json, weights: ["d": ["d/kernel", "d/bias"]],
            shapes: ["d/kernel": [4, 2], "d/bias": [2]])
        if let refusal {
            #expect(arch.layers == nil && arch.note?.contains(refusal) == true, "\(arch.note ?? "")")
            #expect(arch.note?.contains("'d'") == true)
        } else {
            #expect(arch.layers?.count == 2, "\(arch.note ?? "")")
        }
    }

    /// `module` / `registered_name`: Keras' own classes (Keras 3's
    /// `keras.layers`, tf.keras 2's none) run; a user's class named `Dense`
    /// (its own module, or a registered name) is refused, named.
    @Test(arguments: [
        (#""module": "keras.layers", "registered_name": null"#, true),
        (#""module": "keras.src.layers.core.dense", "registered_name": "Dense""#, true),
        ("", true),
        (#""module": "my_project.layers", "registered_name": "MyProject>Dense""#, false),
        (#""module": "keras.layers", "registered_name": "Custom>Dense""#, false),
    ])
    func userClassesAreNotKerasClasses(keys: String, runs: Bool) throws {
        let extra = keys.isEmpty ? "" : keys + ", "
        let json = Self.sequential([#"{\#(extra)"class_name": "Dense", "config": {"name": "d", "units": 2}}"#])
        let arch = try KerasConfig.architecture(
            fromJSON: json, weights: ["d": ["d/kernel", "d/bias"]],
            shapes: ["d/kernel": [4, 2], "d/bias": [2]])
        #expect((arch.layers != nil) == runs, "\(arch.note ?? "")")
        if !runs { #expect(arch.note?.contains("'d'") == true && arch.note?.contains("outside Keras") == true) }
    }

    /// Functional chains under every class name and inbound form: tf.keras 2's
    /// `Functional` / older `Model` with nested lists, Keras 3's records.
    @Test(arguments: ["Functional", "Model"], [true, false])
    func functionalChainsInBothInboundForms(className: String, keras2Nodes: Bool) throws {
        func inbound(_ from: String) -> String {
            keras2Nodes
                ? #"[[["\#(from)", 0, 0, {}]]]"#
                : #"[{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4], "dtype": "float32", "keras_history": ["\#(from)", 0, 0]}}], "kwargs": {}}]"#
        }
        let json = """
            {"class_name": "\(className)", "config": {"name": "m", "layers": [
              {"class_name": "InputLayer", "name": "x", "config": {"batch_input_shape": [null, 4], "name": "x"}, "inbound_nodes": []},
              {"class_name": "Dense", "name": "d", "config": {"name": "d", "units": 3, "activation": "relu"}, "inbound_nodes": \(inbound("x"))},
              {"class_name": "Dense", "name": "o", "config": {"name": "o", "units": 1, "activation": "sigmoid"}, "inbound_nodes": \(inbound("d"))}
            ], "input_layers": [["x", 0, 0]], "output_layers": [["o", 0, 0]]}}
            """
        let arch = try KerasConfig.architecture(
            fromJSON: json, weights: ["d": ["d/kernel", "d/bias"], "o": ["o/kernel", "o/bias"]],
            shapes: ["d/kernel": [4, 3], "d/bias": [3], "o/kernel": [3, 1], "o/bias": [1]])
        let layers = try #require(arch.layers, "\(arch.note ?? "")")
        #expect(layers.map(\.name) == ["x", "d", "o"])
        #expect(arch.inputWidth == 4)
        // Not a chain: a graph, each layer naming its inbound layers, the output last.
        let skip = json.replacingOccurrences(of: inbound("d"), with: inbound("x"))
        let branched = try KerasConfig.architecture(
            fromJSON: skip, weights: ["d": ["d/kernel", "d/bias"], "o": ["o/kernel", "o/bias"]],
            shapes: ["d/kernel": [4, 3], "d/bias": [3], "o/kernel": [4, 1], "o/bias": [1]])
        let graph = try #require(branched.layers, "\(branched.note ?? "")")
        #expect(graph.map(\.name) == ["x", "d", "o"] && graph.last?.inbound == ["x"])
    }

    /// Ranks follow the layers that change them: Reshape to its target plus
    /// the batch, Embedding and RepeatVector one more, Flatten and global
    /// pooling back to 2.
    @Test(arguments: [
        (#"{"class_name": "Reshape", "config": {"name": "r", "target_shape": [2, 3]}}"#, 3),
        (
            #"{"class_name": "Reshape", "config": {"name": "r", "target_shape": {"class_name": "__tuple__", "items": [6]}}}"#,
            2
        ),
        (#"{"class_name": "Embedding", "config": {"name": "e", "input_dim": 10, "output_dim": 4}}"#, 3),
        (#"{"class_name": "RepeatVector", "config": {"name": "v", "n": 3}}"#, 3),
        (#"{"class_name": "GlobalAveragePooling1D", "config": {"name": "g"}}"#, 2),
    ])
    func ranksFollowShapeChangingLayers(layer: String, rank: Int) throws {
        let entries = try KerasConfig.entries(
            fromJSON: Self.sequential(inputShape: "[null, 6]", [layer, Self.norm("LayerNormalization", axis: "-1")]))
        #expect(entries.last?.inputRank == rank)
    }

    @Test func functionalLayersTakeTheirInboundLayersRank() throws {
        let functional = """
            {"class_name": "Functional", "config": {"layers": [
              {"class_name": "InputLayer", "name": "x", "config": {"batch_shape": [null, 2, 3], "name": "x"}, "inbound_nodes": []},
              {"class_name": "Flatten", "name": "f", "config": {"name": "f"}, "inbound_nodes": [[["x", 0, 0, {}]]]},
              {"class_name": "LayerNormalization", "name": "n", "config": {"name": "n", "axis": [2]}, "inbound_nodes": [[["x", 0, 0, {}]]]}
            ]}}
            """
        // The normalization is fed by the rank-3 input, not by the Flatten listed before it.
        let fn = try KerasConfig.entries(fromJSON: functional)
        #expect(fn.map(\.inputRank) == [3, 3, 3])
        #expect(fn.last.flatMap(KerasConfig.axisNote) == nil)
    }
}
