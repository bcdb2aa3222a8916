import Foundation

/// The ways Keras 2 (tf.keras) and Keras 3 write the same setting, read as one.
extension KerasConfig {
    /// A list as it was serialized: a JSON array, Keras 3's tuple record
    /// (`{"class_name": "__tuple__", "items": [...]}`), or tf.keras 2's wrapped
    /// lists (`ListWrapper`, `TensorShape`, with `items` or `config`); nil for anything else.
    static func list(_ v: Any?) -> [Any]? {
        if let a = v as? [Any] { return a }
        guard let d = v as? [String: Any], let cls = d["class_name"] as? String,
            ["__tuple__", "__list__", "ListWrapper", "TensorShape"].contains(cls)
        else { return nil }
        return (d["items"] ?? d["config"]) as? [Any]
    }

    /// A shape (`[null, 80]`, a tuple record, a `TensorShape`): each dimension
    /// a size or nil (unknown); nil when it is not a list of sizes and nulls.
    static func shape(_ v: Any?) -> [Int?]? {
        guard let dims = list(v) else { return nil }
        var out: [Int?] = []
        for d in dims {
            if d is NSNull {
                out.append(nil)
            } else if let n = d as? NSNumber {
                out.append(n.intValue)
            } else if let inner = d as? [String: Any], inner["value"] is NSNull {
                out.append(nil)
            }  // TF1 Dimension(None)
            else if let inner = d as? [String: Any], let n = inner["value"] as? NSNumber {
                out.append(n.intValue)
            } else {
                return nil
            }
        }
        return out
    }

    /// The axes a normalization `axis` names, resolved against an input of
    /// `rank` dimensions (batch included): `-1`, `[-1]`, `1`, `[1]` (tf.keras 2
    /// for a (batch, features) input), `[3]` (after a 4-D layer) and lists of
    /// several axes all become non-negative indices; nil when an entry is not
    /// an integer or lies outside the rank. Absent means the last axis.
    static func axes(_ v: Any?, rank: Int) -> [Int]? {
        if v == nil || v is NSNull { return [rank - 1] }
        let raw: [Any]
        if let n = v as? NSNumber { raw = [n] } else if let a = list(v) { raw = a } else { return nil }
        var out: [Int] = []
        for item in raw {
            guard let n = item as? NSNumber else { return nil }
            let a = n.intValue < 0 ? n.intValue + rank : n.intValue
            guard a >= 0, a < rank else { return nil }
            if !out.contains(a) { out.append(a) }
        }
        return out.isEmpty ? nil : out.sorted()
    }

    /// Why a normalization layer's `axis` is not an axis of its input, or
    /// nil when it is.
    static func axisNote(_ e: Entry) -> String? {
        let rank = e.inputRank
        let raw = e.config["axis"]
        guard let resolved = axes(raw, rank: rank) else {
            return
                "\(e.className) layer '\(e.name)' has axis \(describeAxis(raw)), which is not an axis of its rank-\(rank) input"
        }
        guard resolved.contains(0) else { return nil }
        return
            "\(e.className) layer '\(e.name)' normalizes axis 0 of its rank-\(rank) input, the batch axis, which fairaudit does not run"
    }

    private static func describeAxis(_ v: Any?) -> String {
        if let n = v as? NSNumber { return "\(n)" }
        if let a = list(v) { return "[" + a.map { "\($0)" }.joined(separator: ", ") + "]" }
        return "of an unknown form"
    }

    /// The dtype policy's name: a string (`"float32"`, tf.keras 2 and Keras 3
    /// InputLayer), Keras 3's `DTypePolicy` record (`{"class_name":
    /// "DTypePolicy", "config": {"name": "float32"}}`) or tf.keras 2's mixed
    /// precision `Policy` record; nil when absent.
    static func dtypePolicy(_ v: Any?) -> String? {
        if let s = v as? String { return s }
        guard let d = v as? [String: Any] else { return nil }
        if let cfg = d["config"] as? [String: Any], let n = cfg["name"] as? String { return n }
        return d["class_name"] as? String
    }

    /// Why a layer's dtype policy cannot be run (a quantized or non-float
    /// policy), or nil for float policies, mixed precision included.
    static func dtypeNote(_ e: Entry) -> String? {
        guard let policy = dtypePolicy(e.config["dtype"]) else { return nil }
        let floats = [
            "float16", "float32", "float64", "bfloat16", "half", "float", "double",
            "mixed_float16", "mixed_bfloat16",
        ]
        if floats.contains(policy) { return nil }
        if let cls = (e.config["dtype"] as? [String: Any])?["class_name"] as? String,
            cls.contains("Quantized") || policy.contains("int")
        {
            return "layer '\(e.name)' is quantized (dtype policy '\(policy)'), which fairaudit does not run"
        }
        return "layer '\(e.name)' has dtype policy '\(policy)', which fairaudit does not run"
    }

    /// True when a layer entry names a Keras class: no `module` or one of
    /// Keras' own (`keras.layers`, `keras.src…`, `tf_keras…`), and no
    /// `registered_name` other than the class itself. A user's class that
    /// happens to be called `Dense` is not Keras' Dense.
    static func isKerasClass(_ d: [String: Any], className: String) -> Bool {
        if let module = d["module"] as? String,
            !(module == "keras" || module.hasPrefix("keras.") || module == "tf_keras" || module.hasPrefix("tf_keras.")
                || module.hasPrefix("tensorflow.python.keras") || module.hasPrefix("tensorflow.keras"))
        {
            return false
        }
        if let registered = d["registered_name"] as? String, registered != className { return false }
        return !className.contains(">")
    }

    /// The rank (batch included) of the model's input: the first
    /// `batch_shape` / `batch_input_shape` (InputLayer or first layer), an
    /// InputLayer's `shape` plus the batch, or Sequential's
    /// `build_input_shape`; nil when the config does not say.
    static func inputShape(_ entries: [Entry], root: [String: Any]?) -> [Int?]? {
        for e in entries {
            for key in ["batch_shape", "batch_input_shape"] {
                if let s = shape(e.config[key]), s.count >= 1 { return s }
            }
            if e.className == "InputLayer", let s = shape(e.config["shape"] ?? e.config["input_shape"]) {
                return [nil] + s
            }
            if e.className != "InputLayer" { break }
        }
        if let s = shape(root?["build_input_shape"]), !s.isEmpty { return s }
        return nil
    }

    /// Sets each entry's `inputRank`: the rank of the output feeding it (a
    /// Functional layer's first inbound layer, else the entry before), from
    /// the model input's rank (2, a (batch, features) input, when the config
    /// gives no shape). Flatten and global pooling give 2, Reshape one more
    /// than its target shape, Embedding and RepeatVector one more than their
    /// input; every other layer keeps its input's rank.
    static func assignRanks(_ entries: inout [Entry], inputRank: Int?) {
        let start = max(inputRank ?? 2, 1)
        var outputRank: [String: Int] = [:]
        var previous = start
        for i in entries.indices {
            let e = entries[i]
            let rank = e.className == "InputLayer" ? start : (e.inbound?.first.flatMap { outputRank[$0] } ?? previous)
            entries[i].inputRank = rank
            let out: Int
            switch e.className {
            case "Flatten":
                out = 2
            case "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D":
                out = e.config["keepdims"] as? Bool == true ? rank : 2
            case "Reshape":
                out = (shape(e.config["target_shape"])?.count).map { $0 + 1 } ?? rank
            case "Embedding", "RepeatVector":
                out = rank + 1
            case "EinsumDense":
                out = einsumOutputRank(e.config, inputRank: rank)
            default:
                out = rank
            }
            outputRank[e.name] = out
            previous = out
        }
    }
}
