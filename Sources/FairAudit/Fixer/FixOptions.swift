import Foundation

/// Everything `Fixer.fix` can be told (docs/method.md §3–5); the defaults are the
/// method's defaults.
public struct FixOptions: Sendable, Equatable {
    /// Which fine-tuning to run.
    public enum Method: String, Sendable, CaseIterable {
        /// Fisher-weighted low-rank factors from neutralized importance (the default).
        case neutralizedLowrank = "neutralized-lowrank"
        /// Plain truncated SVD factors (`s ≡ 1`), then the same fine-tuning.
        case lowrank
        /// Plain full fine-tuning of every dense kernel and bias.
        case finetune
    }

    /// How per-group Fisher information becomes one importance (docs/method.md §3).
    public enum Neutralize: String, Sendable, CaseIterable {
        /// `I = (1/G) Σ_g P_g` with `P_g` each group's Fisher at unit mass per tensor.
        case mean
        /// `I = min_g P_g`.
        case min
        /// The pooled Fisher over all rows, at unit mass per tensor.
        case none
    }

    /// A fairness penalty added to the loss, `λ · Σ gaps²` (docs/method.md §5).
    public enum Penalty: String, Sendable, CaseIterable {
        /// Gap: mean positive probability of a group minus that of the rest of the batch.
        case dp
        /// The same gaps computed within `y = 1` and within `y = 0`.
        case eo
    }

    /// Which Fisher information to use (docs/method.md §1): the audit's and the fixer's are one.
    public typealias FisherKind = FairAudit.FisherKind

    /// The method; default `neutralizedLowrank`.
    public var method: Method = .neutralizedLowrank
    /// The neutralization of the importance; default `mean`.
    public var neutralize: Neutralize = .mean
    /// Rank of every factorized kernel; default 8 (ignored when `energy` is set).
    public var rank: Int = 8
    /// When set, each kernel's rank is the smallest keeping this share of `Σσ²`.
    public var energy: Double? = nil
    /// Passes over the training split; default 5.
    public var epochs: Int = 5
    /// Rows per mini-batch; default 256.
    public var batchSize: Int = 256
    /// Adam's step size; default 1e-3 (β1 0.9, β2 0.999, ε 1e-8).
    public var learningRate: Double = 1e-3
    /// Share of rows held out (stratified by group × label) to pick the best epoch; default 0.2
    /// (the command's default with targets is 0.3: they are judged there).
    public var validationFraction: Double = 0.2
    /// Weight each group to equal total weight in the loss.
    public var balance: Bool = false
    /// The fairness penalty, if any.
    public var penalty: Penalty? = nil
    /// The penalty's weight λ; default 1.
    public var lambda: Double = 1
    /// Seed of the validation split and the shuffles.
    public var seed: UInt64 = 0
    /// Keep layers that are not factorized fixed (their biases still train).
    public var freezeUnfactorized: Bool = false
    /// Which Fisher information; default `empirical`.
    public var fisherKind: FisherKind = .empirical
    /// Limits the written epoch must meet on the validation split; the
    /// fairness ones are also trained as constraints (docs/method.md §5).
    public var targets: [FixTarget] = []
    /// How far inside a fairness limit the constraints aim, as a share of the
    /// limit's slack; default 0.5 (a difference limit ε is trained at ε/2).
    public var targetMargin: Double = 0.5
    /// Predicted positive when the score is at least this; default 0.5.
    public var threshold: Double = 0.5
    /// Groups with fewer rows are left out of the gaps (as in the audit); default 30.
    public var minGroupSize: Int = 30
    /// Without targets, the largest validation accuracy drop that may be
    /// written; default 0.01.
    public var maxAccuracyDrop: Double = 0.01

    /// Replace the output layer with a new one for a new label (docs/method.md §5, "New head").
    public var newHead: NewHead? = nil
    /// Train only the output layer (a linear probe of the body's features).
    public var freezeBody: Bool = false
    /// Factorize embedding tables too (by default they train whole).
    public var factorizeEmbeddings: Bool = false
    /// When set, only these layers (by name) train; a new head always does.
    public var layers: [String]? = nil
    /// Layers (by name) whose parameters stay as they are.
    public var freeze: [String] = []

    /// The default options.
    public init() {}

    /// Checks the numbers are usable; names the first bad one.
    public func validate() throws {
        func bad(_ reason: String) -> FairAuditError { .invalidInput(path: "fix options", reason: reason) }
        guard rank >= 1 else { throw bad("--rank must be at least 1, got \(rank)") }
        if let energy, !(energy > 0 && energy <= 1) { throw bad("--energy must be in (0, 1], got \(energy)") }
        guard epochs >= 1 else { throw bad("--epochs must be at least 1, got \(epochs)") }
        guard batchSize >= 1 else { throw bad("--batch-size must be at least 1, got \(batchSize)") }
        guard learningRate > 0, learningRate.isFinite else {
            throw bad("--learning-rate must be positive, got \(learningRate)")
        }
        guard validationFraction >= 0, validationFraction < 1 else {
            throw bad("--validation must be in [0, 1), got \(validationFraction)")
        }
        guard lambda >= 0, lambda.isFinite else { throw bad("--lambda must be non-negative, got \(lambda)") }
        guard threshold > 0, threshold < 1 else { throw bad("--threshold must be in (0, 1), got \(threshold)") }
        guard targetMargin >= 0, targetMargin < 1 else {
            throw bad("the target margin must be in [0, 1), got \(targetMargin)")
        }
        guard maxAccuracyDrop >= 0 else {
            throw bad("--max-accuracy-drop must be non-negative, got \(maxAccuracyDrop)")
        }
        if !targets.isEmpty && validationFraction <= 0 {
            throw bad("targets are judged on the validation split; --validation must be above 0")
        }
    }
}
