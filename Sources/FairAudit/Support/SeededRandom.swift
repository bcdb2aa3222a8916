/// SplitMix64 (Steele, Lea, Flood 2014): `z = (s += 0x9E3779B97F4A7C15)`, then
/// `z = (z ^ z>>30)·0xBF58476D1CE4E5B9; z = (z ^ z>>27)·0x94D049BB133111EB; z ^ z>>31`.
/// Used to expand seeds; every stream is fully determined by its seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The running state.
    public var state: UInt64
    /// Starts the stream at `seed`.
    public init(seed: UInt64) { state = seed }

    /// Stream `stream` of `seed`: started at `seed ⊕ SplitMix64(stream·0xD1B54A32D192ED03).next()`,
    /// so round `k` of a permutation test or resample `k` of a bootstrap is
    /// the same on any thread and in any order.
    public init(seed: UInt64, stream: UInt64) {
        var mixer = SplitMix64(seed: stream &* 0xD1B5_4A32_D192_ED03)
        state = seed ^ mixer.next()
    }
    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Fisher–Yates shuffle of row indices or group ids: the generic
    /// shuffle's exact sequence, without unspecialized generic calls across
    /// modules (20 permutation rounds of 30,000 rows spent most of their time there).
    public mutating func shuffle(_ array: inout [Int]) {
        guard array.count > 1 else { return }
        array.withUnsafeMutableBufferPointer { a in
            for i in stride(from: a.count - 1, to: 0, by: -1) {
                let j = Int(bounded(UInt64(i + 1)))
                if i != j { a.swapAt(i, j) }
            }
        }
    }

    /// Fisher–Yates shuffle of `array` in place (from the last element down).
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            let j = Int(bounded(UInt64(i + 1)))
            if i != j { array.swapAt(i, j) }
        }
    }
}

/// xoshiro256** (Blackman, Vigna 2018), seeded through SplitMix64 from
/// `(seed, stream)`, so resample `k` of a bootstrap draws the same rows on any
/// thread and in any order.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// The generator for stream `stream` of `seed`: SplitMix64 started at
    /// `seed ⊕ mix(stream)` fills the four state words.
    public init(seed: UInt64, stream: UInt64 = 0) {
        var sm = SplitMix64(seed: seed, stream: stream)
        s0 = sm.next()
        s1 = sm.next()
        s2 = sm.next()
        s3 = sm.next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
    }

    /// The next 64 random bits: `rotl(s1·5, 7)·9`.
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }
}

extension RandomNumberGenerator {
    /// A uniform integer in `0..<bound` (`bound > 0`) by Lemire's
    /// multiply-and-reject method, without modulo bias: the high word of
    /// `next() × bound`, redrawn while the low word falls below `2⁶⁴ mod bound`.
    @inline(__always)
    public mutating func bounded(_ bound: UInt64) -> UInt64 {
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return m.high
    }
}
