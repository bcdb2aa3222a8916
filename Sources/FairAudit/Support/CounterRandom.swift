import Foundation

/// A counter-based generator: the random bits for `(seed, stream, counter)`
/// are a fixed function of the three, with no state carried from one draw to
/// the next, so a row's draw in replicate `b` is the same whichever machine,
/// shard, thread or order computes it.
///
/// `bits = f(f(seed ⊕ 0x9E3779B97F4A7C15·(stream+1)) ⊕ counter·0xD1B54A32D192ED03 ⊕ 0xD6E8FEB86659FD93)`,
/// where `f` is SplitMix64's output function (a bijection of 64-bit words):
/// `z = (z ⊕ z≫30)·0xBF58476D1CE4E5B9; z = (z ⊕ z≫27)·0x94D049BB133111EB; z ⊕ z≫31`.
public enum CounterRandom {
    /// SplitMix64's finalizer.
    @inline(__always)
    public static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The key of `stream` under `seed` (computed once per replicate).
    @inline(__always)
    public static func key(seed: UInt64, stream: UInt64) -> UInt64 {
        mix(seed ^ (0x9E37_79B9_7F4A_7C15 &* (stream &+ 1)))
    }

    /// 64 random bits for `counter` under a `key`.
    @inline(__always)
    public static func bits(key: UInt64, counter: UInt64) -> UInt64 {
        mix(key ^ (counter &* 0xD1B5_4A32_D192_ED03) ^ 0xD6E8_FEB8_6659_FD93)
    }

    /// 64 random bits for `(seed, stream, counter)`.
    public static func bits(seed: UInt64, stream: UInt64, counter: UInt64) -> UInt64 {
        bits(key: key(seed: seed, stream: stream), counter: counter)
    }

    /// `P(K ≤ k)` for `K ~ Poisson(1)`, `e⁻¹ Σ_{j≤k} 1/j!`, scaled to 2⁶⁴ and
    /// rounded down; the last entry is `UInt64.max` (k = 19 and beyond
    /// together have probability below 2⁻⁶⁴·10⁴).
    public static let poissonOneCDF: [UInt64] = {
        var out: [UInt64] = []
        var term = exp(-1.0)
        var sum = 0.0
        for k in 0..<19 {
            sum += term
            term /= Double(k + 1)
            out.append(sum >= 1 ? UInt64.max : UInt64(sum * 18_446_744_073_709_551_616.0))
        }
        out.append(UInt64.max)
        return out
    }()

    /// A Poisson(1) draw by inversion of `bits`: the least `k` with
    /// `bits < 2⁶⁴·P(K ≤ k)`.
    @inline(__always)
    public static func poissonOne(_ bits: UInt64, cdf: UnsafeBufferPointer<UInt64>) -> Int {
        var k = 0
        while k < cdf.count - 1 && bits >= cdf[k] { k += 1 }
        return k
    }

    /// A row id for text: FNV-1a 64 of its UTF-8 bytes
    /// (`h = (h ⊕ byte)·0x100000001B3` from `0xCBF29CE484222325`).
    public static func fnv1a(_ text: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return h
    }

    /// FNV-1a 64 continued over `bytes`.
    public static func fnv1a(_ bytes: UnsafeRawBufferPointer, into h: inout UInt64) {
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
    }
}
