import FairAudit
import Foundation

extension TorchTensorRef {
    /// Elements the view has: the product of `shape`.
    var elementCount: Int { shape.reduce(1, *) }

    /// True when the view is the C-order run `offset ..< offset + count` of its storage.
    var isContiguous: Bool {
        var expected = 1
        for (d, s) in zip(shape, stride).reversed() where d != 1 {
            if s != expected { return false }
            expected *= d
        }
        return true
    }

    /// Checks the view stays inside its storage: sizes, strides and offset
    /// non-negative, as many strides as sizes, and the last element reached,
    /// `offset + Σ (sizeₖ − 1)·strideₖ`, below the storage's `numel`.
    func validate(name: String, file: String) throws {
        func bad(_ r: String) -> PyTorchError { .badTensor(file: file, tensor: name, reason: r) }
        guard shape.count == stride.count else { throw bad("\(shape.count) sizes but \(stride.count) strides") }
        guard offset >= 0, shape.allSatisfy({ $0 >= 0 }), stride.allSatisfy({ $0 >= 0 }) else {
            throw bad("a negative size, stride or storage offset (size \(shape), stride \(stride), offset \(offset))")
        }
        var count = 1
        var last = offset
        for (d, s) in zip(shape, stride) {
            let (c, o1) = count.multipliedReportingOverflow(by: d)
            guard !o1 else { throw bad("the size \(shape) overflows") }
            count = c
            guard d > 0 else { continue }
            let (step, o2) = (d - 1).multipliedReportingOverflow(by: s)
            let (l, o3) = last.addingReportingOverflow(step)
            guard !o2, !o3 else { throw bad("the stride \(stride) overflows") }
            last = l
        }
        let (_, o) = count.multipliedReportingOverflow(by: storage.dtype.byteSize)
        guard !o else { throw bad("the size \(shape) overflows") }
        if count > 0, last >= storage.numel {
            throw bad(
                "reaches storage element \(last) (offset \(offset), size \(shape), stride \(stride)) but storage '\(storage.key)' holds \(storage.numel)"
            )
        }
    }

    /// The view's values in C order, from its storage's bytes: a zero-copy
    /// slice when contiguous, else gathered element by element.
    func materialize(_ storageData: Data) -> Data {
        let size = storage.dtype.byteSize
        let count = elementCount
        if isContiguous {
            return storageData.subdata(
                in: storageData.startIndex + offset * size..<storageData.startIndex + (offset + count) * size)
        }
        var out = Data(count: count * size)
        storageData.withUnsafeBytes { (src: UnsafeRawBufferPointer) in
            out.withUnsafeMutableBytes { (dst: UnsafeMutableRawBufferPointer) in
                forEachElement { c, s in
                    for b in 0..<size { dst[c * size + b] = src[s * size + b] }
                }
            }
        }
        return out
    }

    /// Writes `values` (C order, `elementCount` elements) into `storageData` at the view's places.
    func scatter(_ values: Data, into storageData: inout Data) {
        let size = storage.dtype.byteSize
        values.withUnsafeBytes { (src: UnsafeRawBufferPointer) in
            storageData.withUnsafeMutableBytes { (dst: UnsafeMutableRawBufferPointer) in
                forEachElement { c, s in
                    for b in 0..<size { dst[s * size + b] = src[c * size + b] }
                }
            }
        }
    }

    /// Calls `body(cIndex, storageIndex)` for every element, in C order.
    func forEachElement(_ body: (Int, Int) -> Void) {
        let count = elementCount
        guard count > 0 else { return }
        let n = shape.count
        if n == 0 {
            body(0, offset)
            return
        }
        var index = [Int](repeating: 0, count: n)
        var s = offset
        for c in 0..<count {
            body(c, s)
            var k = n - 1
            while k >= 0 {
                index[k] += 1
                s += stride[k]
                if index[k] < shape[k] { break }
                s -= stride[k] * shape[k]
                index[k] = 0
                k -= 1
            }
        }
    }
}
