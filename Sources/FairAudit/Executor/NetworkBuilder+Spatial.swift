import Foundation

extension NetworkBuilder {
    /// The op of a convolution, pooling, padding, cropping or up-sampling
    /// layer (its settings in ``Layer/spatial``), wrapped in
    /// ``ChannelsFirstOp`` for `channels_first` data. A convolution kernel
    /// is Keras' `(kh, kw, C/groups, out)` unless the layer's
    /// `kernelLayout` is `.outIn`: ONNX/PyTorch `(out, C/groups, kh, kw)`.
    static func spatialOp(for layer: Layer) throws -> any LayerOp {
        guard let o = layer.spatial, o.rank == 1 || o.rank == 2 else {
            throw unsupported(
                "\(layer.className) layer '\(layer.name)' has no window settings over 1 or 2 spatial axes")
        }
        let bias = layer.weights[.bias] != nil
        let op: any LayerOp
        switch layer.kind {
        case .convolution, .depthwiseConvolution:
            guard layer.weights[.kernel] != nil else {
                throw unsupported("\(layer.className) layer '\(layer.name)' names no kernel tensor")
            }
            op = ConvOp(
                options: o, depthwise: layer.kind == .depthwiseConvolution, useBias: bias, layout: layer.kernelLayout)
        case .separableConvolution:
            guard layer.weights[.depthwiseKernel] != nil, layer.weights[.pointwiseKernel] != nil else {
                throw unsupported("\(layer.className) layer '\(layer.name)' names no depthwise and pointwise kernels")
            }
            op = SeparableConvOp(options: o, useBias: bias)
        case .maxPooling: op = PoolOp(kind: .max, options: o)
        case .averagePooling: op = PoolOp(kind: .average, options: o)
        case .globalMaxPooling: op = GlobalPoolOp(kind: .max, rank: o.rank, keepDims: o.keepDims)
        case .globalAveragePooling: op = GlobalPoolOp(kind: .average, rank: o.rank, keepDims: o.keepDims)
        case .zeroPadding: op = SpatialMapOp(kind: .zeroPadding, rank: o.rank, amounts: o.amounts, size: o.size)
        case .cropping: op = SpatialMapOp(kind: .cropping, rank: o.rank, amounts: o.amounts, size: o.size)
        case .upSampling: op = SpatialMapOp(kind: .upSampling, rank: o.rank, amounts: o.amounts, size: o.size)
        default: throw unsupported("layer '\(layer.name)' (\(layer.className)) is not a spatial layer")
        }
        return o.dataFormat == .channelsFirst ? ChannelsFirstOp(inner: op) : op
    }
}
