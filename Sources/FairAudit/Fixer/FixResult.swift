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

    /// Creates an epoch record.
    public init(epoch: Int, trainLoss: Double, validationLoss: Double, seconds: Double) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.validationLoss = validationLoss
        self.seconds = seconds
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
}
