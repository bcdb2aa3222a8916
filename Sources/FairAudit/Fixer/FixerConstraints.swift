import Foundation

/// Fairness targets as constraints of the fine-tuning (docs/method.md §5,
/// "Targets"): one Lagrange multiplier per constrained pair of group rates,
/// raised by the rates the gate counts and paid through a smooth surrogate of
/// them.
///
/// A rate of group g in stratum s (all rows, `y = 1` or `y = 0`) is the share
/// of its rows with `score ≥ t`. A difference target `max_g r − min_g r ≤ ε`
/// is the set of pair constraints `r_a − r_b − ε ≤ 0` over every ordered pair
/// of compared groups; a ratio target `min_g r / max_g r ≥ ρ` is
/// `ρ·r_b − r_a ≤ 0`. They are met by an augmented Lagrangian (PHR form)
/// with one multiplier `λ_c ≥ 0` per constraint:
///
/// - the model's step descends `ℓ + Σ_c w_c·c̃(θ)` with weight
///   `w_c = max(0, λ_c + μ·ĉ_c)`, where `c̃` replaces each rate by its smooth
///   surrogate `r̃ = mean σ(m_n / τ)` over the batch's rows of the cell
///   (`m_n = logit(p_n) − logit(t)`, the row's margin over the threshold), and
///   `ĉ_c` is the constraint measured with the thresholded rates the metric
///   counts, as running (exponential, β = 0.9) averages of the batch rates;
/// - at the end of each epoch the multipliers move by the constraint on the
///   thresholded rates counted over the whole epoch's batches,
///   `λ_c ← max(0, λ_c + μ·c̄_c)`: every training row once, so the step follows
///   the model's violation and not the noise of a few batches (a minority
///   group's positives are some 20 rows of a 256-row batch).
///
/// The aim `ε'_c` of each pair is moved by the validation split's offset
/// (``observeValidation(_:epoch:)``): the validation split judges the result,
/// and on a small cell it measures a rate gap a few hundredths away from the
/// training rows'. From the second epoch on, `o_c` is the mean over epochs of
/// the pair's constraint on validation minus on the epoch's training rates, and
/// training aims at `ε'_c − sign(o_c)·max(0, |o_c|/2 − m·ε/2)` (m the margin):
/// half the offset beyond a dead zone, so a split that disagrees with the
/// training rows by noise moves the model by half of it, not all.
///
/// The sharpness `1/τ` grows over the epochs (τ from 1 to 0.3, geometric), so
/// the surrogate starts smooth enough to move every row and ends close to
/// the step the metric counts. Constraints aim inside the limit by `margin`
/// (a difference at `(1 − margin)·ε`, a ratio at `1 − (1 − margin)(1 − ρ)`), as
/// the validation rows that judge the result are a noisy sample.
struct FixerConstraints {
    /// One pair constraint `p·r[s][x] − q·r[s][y] − ε ≤ 0`.
    struct Pair: Equatable {
        var stratum: Int?
        var x: Int, y: Int
        var p: Double, q: Double, epsilon: Double
        /// Offsets up to twice this leave the aim alone (`m·ε/2`, or `m·(1 − ρ)/2`).
        var deadZone: Double = 0
    }

    private(set) var pairs: [Pair] = []
    /// `λ_c`, one per pair.
    private(set) var multipliers: [Double] = []
    /// The penalty parameter μ of the augmented Lagrangian, also the
    /// multipliers' step: `3/(G − 1)` for G compared groups (with two groups
    /// a constraint violated by 0.05 weighs 0.15).
    var step: Double = 3
    /// τ at the last epoch (τ falls geometrically from 1).
    static let finalTemperature = 0.3
    /// The running averages' weight of the past.
    var decay: Double = 0.9
    /// The surrogate's temperature τ (set per epoch).
    var temperature: Double = 1
    /// `logit(t)`.
    let thresholdLogit: Double
    private var running: [Key: Double] = [:]
    /// Thresholded hits and rows per cell over the current epoch's batches.
    private var epochHits: [Key: Double] = [:]
    private var epochRows: [Key: Double] = [:]
    /// Each pair's constraint value on the last epoch's thresholded rates.
    var trainValues: [Double?] = []
    /// `o_c`: the mean over observed epochs of validation minus training constraint value.
    var offsets: [Double] = []
    var offsetSums: [Double] = []
    var offsetEpochs = 0

    private struct Key: Hashable { var stratum: Int, group: Int }

    /// Constraints for `targets` over `groups` (the compared group indices).
    init(targets: [FixTarget], groups: [Int], threshold: Double, margin: Double) {
        thresholdLogit = Foundation.log(threshold / (1 - threshold))
        for target in targets {
            for s in target.metric.strata {
                for a in groups {
                    for b in groups where b != a {
                        if target.metric.isRatio {
                            let rho = 1 - (1 - margin) * (1 - target.limit)
                            pairs.append(
                                Pair(
                                    stratum: s, x: b, y: a, p: rho, q: 1, epsilon: 0,
                                    deadZone: margin * (1 - target.limit) / 2))
                        } else if target.metric.isGap {
                            pairs.append(
                                Pair(
                                    stratum: s, x: a, y: b, p: 1, q: 1, epsilon: (1 - margin) * target.limit,
                                    deadZone: margin * target.limit / 2))
                        }
                    }
                }
            }
        }
        multipliers = [Double](repeating: 0, count: pairs.count)
        trainValues = [Double?](repeating: nil, count: pairs.count)
        offsets = [Double](repeating: 0, count: pairs.count)
        offsetSums = offsets
        // A group's rate takes part in 2(G − 1) pair constraints; scaling μ by
        // 1/(G − 1) keeps the pull on one group's rows the same for any G.
        step /= Double(max(groups.count - 1, 1))
    }

    /// The multipliers' update at the end of an epoch, `λ_c ← max(0, λ_c + μ·c̄_c)`,
    /// `c̄_c` the constraint (at the aim `epsilon(c)`) on the epoch's
    /// thresholded rates (the running rates for a cell the epoch did not see).
    mutating func endEpoch() {
        defer {
            epochHits = [:]
            epochRows = [:]
        }
        func rate(_ k: Key) -> Double? {
            if let n = epochRows[k], n > 0 { return (epochHits[k] ?? 0) / n }
            return running[k]
        }
        for (i, c) in pairs.enumerated() {
            let kx = Key(stratum: c.stratum ?? -1, group: c.x)
            let ky = Key(stratum: c.stratum ?? -1, group: c.y)
            guard let rx = rate(kx), let ry = rate(ky) else { continue }
            trainValues[i] = c.p * rx - c.q * ry
            multipliers[i] = max(0, multipliers[i] + step * (c.p * rx - c.q * ry - epsilon(i)))
        }
    }

    /// The aim of pair `i` in training: `ε'_c − sign(o_c)·max(0, |o_c|/2 − deadZone)`.
    func epsilon(_ i: Int) -> Double {
        let half = offsets[i] / 2
        let shift = half < 0 ? min(0, half + pairs[i].deadZone) : max(0, half - pairs[i].deadZone)
        return pairs[i].epsilon - shift
    }

    /// Whether any constraint is trained (targets on accuracy alone train none).
    var isEmpty: Bool { pairs.isEmpty }

    /// The temperature for epoch `e` of `E`: `τ = 0.3^{(e−1)/(E−1)}`.
    static func temperature(epoch: Int, of epochs: Int) -> Double {
        epochs <= 1
            ? finalTemperature
            : Foundation.pow(finalTemperature, Double(epoch - 1) / Double(epochs - 1))
    }

    /// One training step's part: updates the multipliers from this batch's
    /// thresholded rates and adds `Σ_c λ_c ∂c̃/∂m_n` for each row into
    /// `dMargin` (the gradient with respect to each row's margin `m_n`).
    /// `margins[n]` is `logit(p_n) − logit(t)`; returns `Σ_c λ_c·c̃`.
    mutating func apply(
        margins: [Double], labels: [Float], groups: [Int],
        into dMargin: inout [Double]
    ) -> Double {
        guard !pairs.isEmpty else { return 0 }
        // Batch cell counts, soft and hard rates.
        var count: [Key: Int] = [:]
        var soft: [Key: Double] = [:]
        var hard: [Key: Double] = [:]
        let strata = Set(pairs.map { $0.stratum ?? -1 })
        for n in margins.indices {
            let y = labels[n] >= 0.5 ? 1 : 0
            let s = 1 / (1 + Foundation.exp(-margins[n] / temperature))
            for st in strata where st == -1 || st == y {
                let k = Key(stratum: st, group: groups[n])
                count[k, default: 0] += 1
                soft[k, default: 0] += s
                hard[k, default: 0] += margins[n] >= 0 ? 1 : 0
            }
        }
        for (k, c) in count {
            epochRows[k, default: 0] += Double(c)
            epochHits[k, default: 0] += hard[k] ?? 0
            let rate = (hard[k] ?? 0) / Double(c)
            running[k] = running[k].map { decay * $0 + (1 - decay) * rate } ?? rate
        }
        // Augmented Lagrangian (PHR): each constraint's weight in the model's
        // step is `max(0, λ_c + μ·ĉ_c)`, with ĉ_c from the running
        // thresholded rates; `endEpoch` moves λ_c to that weight.
        var weight: [Key: Double] = [:]
        var value = 0.0
        for (i, c) in pairs.enumerated() {
            let kx = Key(stratum: c.stratum ?? -1, group: c.x)
            let ky = Key(stratum: c.stratum ?? -1, group: c.y)
            guard let rx = running[kx], let ry = running[ky] else { continue }
            let coef = max(0, multipliers[i] + step * (c.p * rx - c.q * ry - epsilon(i)))
            guard coef > 0, let nx = count[kx], let ny = count[ky], nx > 0, ny > 0 else { continue }
            weight[kx, default: 0] += coef * c.p
            weight[ky, default: 0] -= coef * c.q
            value += coef * (c.p * (soft[kx] ?? 0) / Double(nx) - c.q * (soft[ky] ?? 0) / Double(ny) - epsilon(i))
        }
        guard !weight.isEmpty else { return value }
        for n in margins.indices {
            let y = labels[n] >= 0.5 ? 1 : 0
            let s = 1 / (1 + Foundation.exp(-margins[n] / temperature))
            let ds = s * (1 - s) / temperature
            for st in strata where st == -1 || st == y {
                let k = Key(stratum: st, group: groups[n])
                if let w = weight[k], let c = count[k] { dMargin[n] += w * ds / Double(c) }
            }
        }
        return value
    }
}
