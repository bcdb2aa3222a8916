import Foundation

extension KerasConfig {
    /// Converts convolution, pooling, padding, cropping and up-sampling
    /// layers (Keras 3 and tf.keras 2 write the same keys); nil for another class.
    ///
    /// Keys read: `kernel_size`, `pool_size`, `strides` (pooling: `null` is
    /// the pool size), `padding` (`valid`, `same`, `causal`; ZeroPadding's
    /// amounts), `dilation_rate`, `groups`, `depth_multiplier`, `filters`,
    /// `use_bias`, `activation`, `data_format`, `keepdims`, `cropping`,
    /// `size`, `interpolation` (only `nearest`). A size may be an integer
    /// or a list, as Keras accepts.
    static func spatialLayer(_ e: Entry) throws -> Converted? {
        let c = e.config
        let cls = e.className
        guard let rank = spatialRank(cls) else { return nil }
        func bad(_ what: String) -> FairAuditError {
            .invalidInput(path: "model config", reason: "\(cls) layer '\(e.name)' has \(what)")
        }
        func sizes(_ key: String, _ dflt: Int?) throws -> [Int]? {
            let v = c[key]
            if v == nil || v is NSNull { return dflt.map { [Int](repeating: $0, count: rank) } }
            if let n = v as? NSNumber { return [Int](repeating: n.intValue, count: rank) }
            guard let a = v as? [Any], a.count == rank else { throw bad("a '\(key)' of an unknown form") }
            let out = a.compactMap { ($0 as? NSNumber)?.intValue }
            guard out.count == rank, out.allSatisfy({ $0 >= 1 }) else {
                throw bad("a '\(key)' that is not \(rank) positive sizes")
            }
            return out
        }
        var o = SpatialOptions(rank: rank)
        switch c["data_format"] as? String {
        case nil, "channels_last": break
        case "channels_first": o.dataFormat = .channelsFirst
        case let other?: throw bad("data_format '\(other)'")
        }
        var kind: Layer.Kind
        var roles: [ParameterRole] = []
        let bias = c["use_bias"] as? Bool ?? true
        switch cls {
        case "Conv1D", "Conv2D", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D":
            guard let window = try sizes("kernel_size", nil) else { throw bad("no 'kernel_size'") }
            o.window = window
            o.strides = try sizes("strides", 1) ?? o.strides
            o.dilation = try sizes("dilation_rate", 1) ?? o.dilation
            o.groups = (c["groups"] as? NSNumber)?.intValue ?? 1
            o.depthMultiplier = (c["depth_multiplier"] as? NSNumber)?.intValue ?? 1
            o.filters = (c["filters"] as? NSNumber)?.intValue
            guard o.groups >= 1, o.depthMultiplier >= 1 else { throw bad("groups or depth_multiplier below 1") }
            o.padding = try convPadding(c["padding"], e)
            if cls.hasPrefix("Separable") {
                kind = .separableConvolution
                roles = [.depthwiseKernel, .pointwiseKernel]
            } else {
                kind = cls.hasPrefix("Depthwise") ? .depthwiseConvolution : .convolution
                roles = [.kernel]
            }
            if bias { roles.append(.bias) }
        case "MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D":
            o.window = try sizes("pool_size", 2) ?? o.window
            o.strides = try sizes("strides", nil) ?? o.window
            o.padding = try convPadding(c["padding"], e)
            guard o.padding != .causal else { throw bad("padding 'causal'") }
            kind = cls.hasPrefix("Max") ? .maxPooling : .averagePooling
        case "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D":
            o.keepDims = c["keepdims"] as? Bool ?? false
            kind = cls.hasPrefix("GlobalMax") ? .globalMaxPooling : .globalAveragePooling
        case "ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D":
            let padding = cls.hasPrefix("Zero")
            guard let amounts = borderAmounts(c[padding ? "padding" : "cropping"], rank: rank) else {
                throw bad("a '\(padding ? "padding" : "cropping")' of an unknown form")
            }
            o.amounts = amounts
            kind = padding ? .zeroPadding : .cropping
        default:  // UpSampling1D, UpSampling2D
            if let interpolation = c["interpolation"] as? String, interpolation != "nearest" {
                return .unsupported(
                    "\(cls) layer '\(e.name)' uses \(interpolation) interpolation; fairaudit runs nearest")
            }
            o.size = try sizes("size", 2) ?? o.size
            kind = .upSampling
        }
        var layer = Layer(name: e.name, kind: kind, className: cls)
        if c["activation"] != nil {
            guard let act = activation(c["activation"]) else {
                return .unsupported("layer '\(e.name)' uses an activation fairaudit does not run")
            }
            (layer.activation, layer.negativeSlope) = act
        }
        layer.spatial = o
        return .layer(layer, roles: roles)
    }

    /// 1 or 2 for the spatial classes fairaudit runs, nil for any other class.
    static func spatialRank(_ cls: String) -> Int? {
        let bases = [
            "Conv", "DepthwiseConv", "SeparableConv", "MaxPooling", "AveragePooling", "GlobalAveragePooling",
            "GlobalMaxPooling", "ZeroPadding", "Cropping", "UpSampling",
        ]
        for base in bases {
            if cls == base + "1D" { return 1 }
            if cls == base + "2D" { return 2 }
        }
        return nil
    }

    /// `valid` (also the default), `same` or `causal`.
    static func convPadding(_ v: Any?, _ e: Entry) throws -> SpatialPadding {
        switch (v as? String)?.lowercased() {
        case nil, "valid": return .valid
        case "same": return .same
        case "causal" where e.className.hasSuffix("1D"): return .causal
        default:
            throw FairAuditError.invalidInput(
                path: "model config", reason: "\(e.className) layer '\(e.name)' has padding \(v.map { "\($0)" } ?? "?")"
            )
        }
    }

    /// `(before, after)` per axis from an integer, one pair (1-D), one
    /// symmetric size per axis (`[a, b]` in 2-D) or a pair per axis.
    static func borderAmounts(_ v: Any?, rank: Int) -> [[Int]]? {
        func ints(_ x: Any) -> [Int]? {
            if let n = x as? NSNumber { return [n.intValue] }
            guard let a = x as? [Any] else { return nil }
            let out = a.compactMap { ($0 as? NSNumber)?.intValue }
            return out.count == a.count ? out : nil
        }
        var out: [[Int]]?
        if let n = v as? NSNumber {
            out = [[Int]](repeating: [n.intValue, n.intValue], count: rank)
        } else if let a = v as? [Any], a.count == (rank == 1 ? 2 : rank) {
            if rank == 1 {
                out = ints(a).map { [$0] }
            } else {
                let parts = a.compactMap(ints)
                guard parts.count == rank else { return nil }
                out = parts.map { $0.count == 1 ? [$0[0], $0[0]] : $0 }
            }
        }
        guard let out, out.allSatisfy({ $0.count == 2 && $0.allSatisfy { $0 >= 0 } }) else { return nil }
        return out
    }
}
