import Foundation

/// Keras `Conv1D`, `Conv2D` and `DepthwiseConv2D` on channels-last samples:
/// `z[p, o] = b[o] + Σ_{tap, ci} x[p·s − pad + tap·d, g(o)·Cg + ci] · K[tap, ci, o]`,
/// through the patch matrix (``Im2Col``) and one SGEMM per channel group.
///
/// The kernel is stored as Keras writes it: `(kh, kw, C/groups, out)`
/// (`(k, C/groups, out)` for 1-D); a depthwise kernel `(kh, kw, C, mult)`
/// is the grouped kernel with `groups = C`, output channel `c·mult + m`.
/// With `layout: .outIn` it is stored as ONNX and PyTorch write it,
/// `(out, C/groups, kh, kw)`, and read (and its gradients written) in that
/// order. The activation runs as its own node after this one; in the forward
/// pass for scores, it and the batch normalizations and `Add` that only read
/// this output run on each chunk of it instead (``ConvEpilogue``).
struct ConvOp: LayerOp {
    /// Window, strides, dilation, padding and groups (`window` is the kernel size).
    var options: SpatialOptions
    /// A depthwise kernel `(…, C, mult)`: one group per input channel.
    var depthwise = false
    var useBias: Bool
    /// `.inOut`: Keras `(kh, kw, C/groups, out)`; `.outIn`: ONNX/PyTorch `(out, C/groups, kh, kw)`.
    var layout: KernelLayout = .inOut

    var className: String { depthwise ? "DepthwiseConv\(options.rank)D" : "Conv\(options.rank)D" }
    var roles: [ParameterRole] { useBias ? [.kernel, .bias] : [.kernel] }

    /// ``plan(_:kernelCount:)`` on a shape the network checked when it was
    /// built (``outputShape(_:params:)``): a failure here is a bug, not bad input.
    func checkedPlan(_ shape: [Int], kernelCount: Int) -> (geometry: ConvGeometry, groups: Int, out: Int) {
        do { return try plan(shape, kernelCount: kernelCount) } catch {
            preconditionFailure("\(className) on \(shape) with \(kernelCount) kernel values: \(error)")
        }
    }

    /// The geometry, channel groups and output channels on input `shape`
    /// with a kernel of `kernelCount` values.
    func plan(_ shape: [Int], kernelCount: Int) throws -> (geometry: ConvGeometry, groups: Int, out: Int) {
        let g = try ConvGeometry(shape: shape, options: options)
        let groups = depthwise ? g.c : options.groups
        guard groups >= 1, g.c % groups == 0 else {
            throw ShapeError("has \(groups) groups, which do not divide its \(g.c) input channels")
        }
        let rows = g.kh * g.kw * (g.c / groups)
        guard rows > 0, kernelCount % rows == 0, kernelCount / rows % groups == 0, kernelCount > 0 else {
            throw ShapeError(
                "has a kernel of \(kernelCount) values, which does not fit \(g.c) input channels in \(groups) groups")
        }
        return (g, groups, kernelCount / rows)
    }

    func outputShape(_ inputs: [[Int]], params: [ParameterRole: [Int]]) throws -> [Int] {
        try ShapeError.inputs(inputs, 1)
        guard let k = params[.kernel], k.count == options.rank + 2 else {
            throw ShapeError("its kernel has shape \(params[.kernel] ?? []), not \(options.rank + 2)-D")
        }
        let window = layout == .inOut ? Array(k.prefix(options.rank)) : Array(k.suffix(options.rank))
        guard window == options.window else {
            throw ShapeError("has kernel_size \(options.window) but its kernel has shape \(k)")
        }
        let c = inputs[0].last ?? 0
        let perGroup = layout == .inOut ? k[options.rank] : k[1]
        if depthwise, perGroup != c {
            throw ShapeError("takes \(perGroup) channels but the previous layer gives \(c)")
        }
        if !depthwise, perGroup * options.groups != c {
            throw ShapeError("takes \(perGroup * options.groups) channels but the previous layer gives \(c)")
        }
        let (g, _, out) = try plan(inputs[0], kernelCount: k.reduce(1, *))
        if let filters = options.filters, !depthwise, filters != out {
            throw ShapeError("has \(filters) filters but its kernel gives \(out)")
        }
        if let b = params[.bias], b.reduce(1, *) != out {
            throw ShapeError("its bias has \(b.reduce(1, *)) values, expected \(out)")
        }
        return g.outputShape(rank: options.rank, channels: out)
    }

    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        forward(inputs[0], p, steps: [], addend: nil, output: &output, cache: &cache)
    }

    /// The convolution of `x` a chunk of output positions at a time: the
    /// chunk's patch rows (from a padded copy of the batch, ``Im2Col/gatherPadded``,
    /// for one group without column dilation), one SGEMM per group, then
    /// while the chunk is in cache the bias (no `steps`) or `steps`
    /// (``ConvEpilogue``, the bias among them, coefficients in `cache.hidden`,
    /// `addend` the values an `.add` step adds).
    func forward(
        _ x: Batch, _ p: LayerParams, steps: [ConvEpilogue.Step], addend: Batch?, output: inout Batch,
        cache: inout LayerCache
    ) {
        let (g, groups, out) = checkedPlan(x.shape, kernelCount: p[.kernel].count)
        let kernel = spatialFirst(p[.kernel], g, out)
        let m = x.rows * g.outPositions
        output.resize(rows: x.rows, shape: g.outputShape(rank: options.rank, channels: out))
        let bias = p.has(.bias) ? p[.bias] : []
        let k = Im2Col.width(g)
        let kg = k / groups
        let og = out / groups
        let chunk = Im2Col.chunkRows(g)
        let scratch = cache.scratch
        Buffers.resize(&scratch.patches, min(chunk, m) * k)
        let runs = groups == 1 && g.dw == 1
        let padded = runs && !Im2Col.needsNoPadding(g)
        if padded {
            let (hp, wp) = Im2Col.paddedExtent(g)
            Buffers.resize(&scratch.padded, x.rows * hp * wp * g.c)
        }
        let addend = addend?.data ?? []
        guard x.data.count >= x.rows * g.inPositions * g.c, bias.isEmpty || bias.count >= out,
            !steps.contains(.add) || addend.count >= m * out,
            cache.hidden.count >= ConvEpilogue.coefficientCount(steps, channels: out)
        else { return }
        x.data.withUnsafeBufferPointer { px in
            kernel.withUnsafeBufferPointer { pk in
                scratch.patches.withUnsafeMutableBufferPointer { pc in
                    scratch.padded.withUnsafeMutableBufferPointer { pp in
                        output.data.withUnsafeMutableBufferPointer { po in
                            bias.withUnsafeBufferPointer { pb in
                                cache.hidden.withUnsafeBufferPointer { pe in
                                    addend.withUnsafeBufferPointer { pa in
                                        guard let xs = px.baseAddress, let ks = pk.baseAddress,
                                            let cs = pc.baseAddress, let os = po.baseAddress
                                        else { return }
                                        var source = xs
                                        if padded, let ps = pp.baseAddress {
                                            Im2Col.pad(xs, g, rows: x.rows, into: ps)
                                            source = UnsafePointer(ps)
                                        }
                                        var q0 = 0
                                        while q0 < m {
                                            let q1 = min(q0 + chunk, m)
                                            if runs {
                                                Im2Col.gatherPadded(source, g, range: q0..<q1, into: cs)
                                            } else {
                                                Im2Col.gather(xs, g, groups: groups, range: q0..<q1, into: cs)
                                            }
                                            for gi in 0..<groups {
                                                gemm(
                                                    transA: false, transB: false, m: q1 - q0, n: og, k: kg,
                                                    a: cs + gi * kg, lda: k, b: ks + gi * og, ldb: out, beta: 0,
                                                    c: os + q0 * out + gi * og, ldc: out)
                                            }
                                            // The bias, or the layers after, on the chunk's outputs while they
                                            // are still in cache.
                                            if !steps.isEmpty {
                                                ConvEpilogue.apply(
                                                    steps, coefficients: pe.baseAddress,
                                                    addend: pa.baseAddress.map { $0 + q0 * out },
                                                    to: os + q0 * out, rows: q1 - q0, channels: out)
                                            } else if pb.count >= out, let b = pb.baseAddress {
                                                // (an empty array may have an address)
                                                for q in q0..<q1 {
                                                    let row = os + q * out
                                                    for o in 0..<out { row[o] += b[o] }
                                                }
                                            }
                                            q0 = q1
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `∂ℓ/∂K_g = Σ_chunks P_gᵀ G_g`, `∂ℓ/∂b = Σ_p G[p]`, and
    /// `∂ℓ/∂x` = the patch gradients `G_g K_gᵀ` scattered back (col2im).
    func backward(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        needInputs: Bool, wantParams: Bool
    ) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        let x = inputs[0]
        let (g, groups, out) = checkedPlan(x.shape, kernelCount: p[.kernel].count)
        let kernel = spatialFirst(p[.kernel], g, out)
        let m = x.rows * g.outPositions
        let k = Im2Col.width(g)
        let kg = k / groups
        let og = out / groups
        let chunk = Im2Col.chunkRows(g)
        var grads: [ParameterRole: [Float]] = [:]
        var dk = [Float](repeating: 0, count: wantParams ? kernel.count : 0)
        var dx = [Float](repeating: 0, count: needInputs ? x.data.count : 0)
        let scratch = cache.scratch
        Buffers.resize(&scratch.patches, min(chunk, m) * k)
        x.data.withUnsafeBufferPointer { px in
            gradOut.data.withUnsafeBufferPointer { pd in
                kernel.withUnsafeBufferPointer { pk in
                    scratch.patches.withUnsafeMutableBufferPointer { pc in
                        dk.withUnsafeMutableBufferPointer { pdk in
                            dx.withUnsafeMutableBufferPointer { pdx in
                                guard let xs = px.baseAddress, let ds = pd.baseAddress, let ks = pk.baseAddress,
                                    let cs = pc.baseAddress
                                else { return }
                                var q0 = 0
                                while q0 < m {
                                    let q1 = min(q0 + chunk, m)
                                    let rows = q1 - q0
                                    let dq = ds + q0 * out
                                    if wantParams, let dks = pdk.baseAddress {
                                        Im2Col.gather(xs, g, groups: groups, range: q0..<q1, into: cs)
                                        for gi in 0..<groups {
                                            gemm(
                                                transA: true, transB: false, m: kg, n: og, k: rows, a: cs + gi * kg,
                                                lda: k,
                                                b: dq + gi * og, ldb: out, beta: 1, c: dks + gi * og, ldc: out)
                                        }
                                    }
                                    if needInputs, let dxs = pdx.baseAddress {
                                        for gi in 0..<groups {
                                            gemm(
                                                transA: false, transB: true, m: rows, n: kg, k: og, a: dq + gi * og,
                                                lda: out,
                                                b: ks + gi * og, ldb: out, beta: 0, c: cs + gi * kg, ldc: k)
                                        }
                                        Im2Col.scatter(cs, g, groups: groups, range: q0..<q1, into: dxs)
                                    }
                                    q0 = q1
                                }
                            }
                        }
                    }
                }
            }
        }
        if wantParams {
            grads[.kernel] = stored(dk, g, out)
            if useBias { grads[.bias] = Dense.columnSums(gradOut.data, rows: m, width: out) }
        }
        return ([needInputs ? Batch(rows: x.rows, shape: x.shape, data: dx) : nil], grads)
    }

    /// The kernel as the GEMMs read it, `(taps, C/groups, out)`: as stored
    /// for `.inOut`, transposed from `(out, C/groups, taps)` for `.outIn`.
    func spatialFirst(_ k: [Float], _ g: ConvGeometry, _ out: Int) -> [Float] {
        layout == .inOut ? k : Self.reorder(k, taps: g.kh * g.kw, out: out, toSpatialFirst: true)
    }

    /// A gradient in the GEMMs' order, written in the stored layout.
    func stored(_ k: [Float], _ g: ConvGeometry, _ out: Int) -> [Float] {
        layout == .inOut ? k : Self.reorder(k, taps: g.kh * g.kw, out: out, toSpatialFirst: false)
    }

    /// `(out, cg, taps)` ↔ `(taps, cg, out)` for a kernel of `taps · cg · out` values.
    static func reorder(_ k: [Float], taps: Int, out: Int, toSpatialFirst: Bool) -> [Float] {
        var r = [Float](repeating: 0, count: k.count)
        let cg = k.count / max(taps * out, 1)
        for o in 0..<out {
            for ci in 0..<cg {
                for t in 0..<taps {
                    let a = (o * cg + ci) * taps + t
                    let b = (t * cg + ci) * out + o
                    if toSpatialFirst { r[b] = k[a] } else { r[a] = k[b] }
                }
            }
        }
        return r
    }
}
