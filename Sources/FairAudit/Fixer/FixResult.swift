import Foundation

/// One epoch of fine-tuning, as the progress callback and the result report it.
public struct EpochLog: Sendable, Equatable {
    /// 1-based epoch number.
    public var epoch: Int
    /// Mean training objective over the epoch's mini-batches (loss + penalty).
    public var trainLoss: Double
    /// Objective on the validation split after the epoch (NaN without a split).
    public var validationLoss: Double
    /// Wall-clock seconds the epoch's training took.
    public var seconds: Double
    /// The fairness metrics on the validation split after the epoch (nil without a split).
    public var validation: FairnessSnapshot?

    /// Creates an epoch record.
    public init(
        epoch: Int, trainLoss: Double, validationLoss: Double, seconds: Double,
        validation: FairnessSnapshot? = nil
    ) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.validationLoss = validationLoss
        self.seconds = seconds
        self.validation = validation
    }
}

/// Whether `fix` should write what it trained, and why (docs/method.md §5).
public enum FixOutcome: Sendable, Equatable {
    /// No targets; the written epoch is not worse than the input on validation.
    case notWorse
    /// The written epoch meets every target on the validation split.
    case targetsMet
    /// No epoch met every target; the result holds the best trade-off reached.
    /// The text lists each target's value against its limit.
    case targetsMissed(String)
    /// No targets, and the best epoch is worse than the input on validation
    /// (the text names the numbers).
    case worse(String)

    /// Whether the result may be written without an override.
    public var shouldWrite: Bool {
        switch self {
        case .notWorse, .targetsMet: return true
        case .targetsMissed, .worse: return false
        }
    }
}

/// What `Fixer.fix` hands back.
public struct FixResult: Sendable {
    /// The input graph with every trained kernel and bias replaced in place
    /// (same names, shapes, dtypes, orientation; factorized kernels as `A·B`).
    public var graph: ModelGraph
    /// Parameters the method trained (factors, biases, unfrozen whole layers).
    public var trainableParameters: Int
    /// Parameters full fine-tuning trains: every dense kernel and bias.
    public var fullFineTuneParameters: Int
    /// One record per epoch.
    public var epochs: [EpochLog]
    /// The epoch whose weights were kept (lowest validation objective; the last without a split).
    public var chosenEpoch: Int
    /// Rank of each factorized kernel, by kernel tensor name.
    public var ranks: [String: Int]
    /// The validation objective of the input model, before any change.
    public var pretrainedValidationLoss: Double
    /// The validation objective after factorization, before the first step
    /// (the truncation's cost; equals `pretrainedValidationLoss` for `finetune`).
    public var factorizedValidationLoss: Double
    /// Rows used to train, and held out to validate.
    public var trainRows: Int, validationRows: Int
    /// Row indices (into the input data) of the validation split.
    public var validationIndices: [Int]
    /// Things the user should know (layers left whole, …), one sentence each.
    public var warnings: [String]
    /// The input model's fairness metrics on the validation split (nil without a split).
    public var validationBefore: FairnessSnapshot? = nil
    /// Whether the result should be written; see `FixOutcome`.
    public var outcome: FixOutcome = .notWorse
    /// The targets the epochs were judged by.
    public var targets: [FixTarget] = []
    /// The multipliers of the trained target constraints at the end (one per
    /// pair of group rates), for reports; empty without targets.
    public var multipliers: [Double] = []
}
