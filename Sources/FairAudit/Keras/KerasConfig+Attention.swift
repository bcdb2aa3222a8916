import Foundation

extension KerasConfig {
    /// Converts `MultiHeadAttention` and `EinsumDense` entries; nil for other classes.
    static func attentionLayer(_ e: Entry) throws -> Converted? {
        switch e.className {
        case "MultiHeadAttention": return try multiHeadAttention(e)
        case "EinsumDense": return try einsumDense(e)
        default: return nil
        }
    }

    private static func int(_ v: Any?) -> Int? { (v as? NSNumber)?.intValue }

    /// Keras 3 and tf.keras 2 write the same settings: `num_heads`,
    /// `key_dim`, `value_dim` (null: `key_dim`), `output_shape` (null, `5`
    /// or `[5]`), `use_bias`; attention over the positions of a
    /// `(batch, T, d)` input only, no gate, no sliding window, no mask.
    static func multiHeadAttention(_ e: Entry) throws -> Converted {
        let c = e.config
        let what = "MultiHeadAttention layer '\(e.name)'"
        if let note = maskNote(e) { return .unsupported(note) }
        guard let heads = int(c["num_heads"]), heads > 0, let keyDim = int(c["key_dim"]), keyDim > 0 else {
            throw FairAuditError.invalidInput(
                path: "model config", reason: "\(what) has no positive num_heads and key_dim")
        }
        let valueDim = int(c["value_dim"]) ?? keyDim
        guard valueDim > 0 else {
            throw FairAuditError.invalidInput(path: "model config", reason: "\(what) has value_dim \(valueDim)")
        }
        var outputDim: Int?
        if let n = int(c["output_shape"]) {
            outputDim = n
        } else if let dims = shape(c["output_shape"]) {
            guard dims.count == 1, let n = dims[0] else {
                return .unsupported(
                    "\(what) has output_shape \(dims.map { $0.map(String.init) ?? "None" }); fairaudit runs one output size"
                )
            }
            outputDim = n
        }
        if c["use_gate"] as? Bool == true {
            return .unsupported("\(what) uses a gate (use_gate), which fairaudit does not run")
        }
        if let w = c["sliding_window"], !(w is NSNull) {
            return .unsupported("\(what) uses a sliding window, which fairaudit does not run")
        }
        guard e.inputRank == 3 else {
            return .unsupported(
                "\(what) attends over a rank-\(e.inputRank) input; fairaudit runs attention over (batch, positions, "
                    + "features)"
            )
        }
        if let raw = c["attention_axes"], !(raw is NSNull), axes(raw, rank: 3) != [1] {
            return .unsupported(
                "\(what) attends over axes \(raw); fairaudit runs attention over the positions (axis 1)")
        }
        let useBias = c["use_bias"] as? Bool ?? true
        var layer = Layer(name: e.name, kind: .multiHeadAttention, className: e.className)
        layer.attention = AttentionSpec(
            heads: heads, keyDim: keyDim, valueDim: valueDim, outputDim: outputDim, useBias: useBias)
        let roles: [ParameterRole] =
            useBias
            ? [.queryKernel, .queryBias, .keyKernel, .keyBias, .valueKernel, .valueBias, .outputKernel, .outputBias]
            : [.queryKernel, .keyKernel, .valueKernel, .outputKernel]
        return .layer(layer, roles: roles)
    }

    /// Why a call of an attention layer cannot be run: a mask given or asked
    /// for (`attention_mask`, `use_causal_mask`, `query_mask`, …) or the
    /// scores returned beside the output; nil otherwise.
    static func maskNote(_ e: Entry) -> String? {
        for key in e.callKeywords.keys.sorted() {
            guard let v = e.callKeywords[key], !(v is NSNull), (v as? NSNumber)?.boolValue ?? true else { continue }
            if key.hasSuffix("mask") {
                return "\(e.className) layer '\(e.name)' is called with \(key), which fairaudit does not run (no masks)"
            }
            if key == "return_attention_scores" {
                return "\(e.className) layer '\(e.name)' returns its attention scores, which fairaudit does not run"
            }
        }
        return nil
    }

    /// `EinsumDense` with an equation ``EinsumPlan`` reads, a bias over the
    /// kernel's own output axes or none, no LoRA.
    static func einsumDense(_ e: Entry) throws -> Converted {
        let c = e.config
        let what = "EinsumDense layer '\(e.name)'"
        guard let equation = c["equation"] as? String else {
            throw FairAuditError.invalidInput(path: "model config", reason: "\(what) has no equation")
        }
        guard let plan = EinsumPlan(equation) else {
            return .unsupported(
                "\(what) has equation '\(equation)', which fairaudit does not run (it runs projections that "
                    + "contract the input's last axes with the kernel's first, such as abc,cd->abd)"
            )
        }
        let bias = (c["bias_axes"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        if let bias, bias != plan.kernelOwn {
            return .unsupported(
                "\(what) has bias_axes '\(bias)' for equation '\(equation)'; fairaudit runs a bias over "
                    + "'\(plan.kernelOwn)' or none"
            )
        }
        if let rank = int(c["lora_rank"]), rank > 0 {
            return .unsupported("\(what) has LoRA weights (lora_rank \(rank)), which fairaudit does not run")
        }
        var out = shape(c["output_shape"]) ?? []
        if let n = int(c["output_shape"]) { out = [n] }
        guard let act = activation(c["activation"]) else {
            return .unsupported(
                "\(what) uses activation \(c["activation"].map { "\($0)" } ?? "?"), which fairaudit does not run")
        }
        var layer = Layer(
            name: e.name, kind: .einsumDense, activation: act.0, negativeSlope: act.1, className: e.className)
        layer.einsum = EinsumSpec(equation: equation, biasAxes: bias, outputShape: out)
        return .layer(layer, roles: bias == nil ? [.kernel] : [.kernel, .bias])
    }

    /// The rank (batch included) of an `EinsumDense` output: its equation's
    /// output letters, plus the elided axes of an input of `rank`.
    static func einsumOutputRank(_ c: [String: Any], inputRank rank: Int) -> Int {
        guard let eq = c["equation"] as? String, let plan = EinsumPlan(eq) else { return rank }
        return plan.elided
            ? rank - plan.contracted.count + plan.kernelOwn.count : plan.free.count + plan.kernelOwn.count
    }

    /// The keyword arguments of a layer's call in a functional config:
    /// Keras 3's `{"args": …, "kwargs": {…}}` nodes, tf.keras 2's
    /// `[name, 0, 0, {…}]` entries; merged over every node.
    static func callKeywords(_ nodes: Any?) -> [String: Any] {
        var out: [String: Any] = [:]
        func walk(_ v: Any, depth: Int) {
            guard depth < 6 else { return }
            if let d = v as? [String: Any], let kw = d["kwargs"] as? [String: Any] {
                out.merge(kw) { a, _ in a }
            } else if let a = v as? [Any] {
                if a.count >= 4, a[0] is String, a[1] is NSNumber, let kw = a[3] as? [String: Any] {
                    out.merge(kw) { a, _ in a }
                } else {
                    for x in a { walk(x, depth: depth + 1) }
                }
            }
        }
        if let nodes { walk(nodes, depth: 0) }
        return out
    }

    /// Where a Keras 3 weight `layers/<layer>/<sublayer>/vars/<i>` comes in
    /// its layer's own order: attention's query, key, value and output
    /// projections (by the sublayer's `vars@name`), then the index.
    static func nestedVarOrder(_ name: String, meta: [String: String]) -> (Int, String, Int) {
        let parts = name.split(separator: "/").map(String.init)
        let index = Int(parts.last ?? "") ?? 0
        guard parts.count == 5 else { return (0, "", index) }
        let sub = meta["layers/\(parts[1])/\(parts[2])/vars@name"] ?? parts[2]
        return (sublayerRank(sub), sub, index)
    }

    /// Where a sublayer's weights come in its layer's order: attention's
    /// `query`, `key`, `value`, `attention_output`, then any other.
    public static func sublayerRank(_ name: String) -> Int {
        ["query", "key", "value", "attention_output"].firstIndex(of: name) ?? 4
    }
}
