import ArgumentParser
import FairAudit
import Foundation

/// How `fix` fine-tunes.
struct TrainingOptions: ParsableArguments {
    @Option(help: "neutralized-lowrank (default), lowrank (unweighted SVD) or finetune (all weights).")
    var method: FixOptions.Method?

    @Option(help: "How group Fisher becomes importance: mean (default), min or none (pooled).")
    var neutralize: FixOptions.Neutralize?

    @Option(help: "Rank of each factorized kernel (default 8).")
    var rank: Int?

    @Option(help: "Pick each kernel's rank to keep this share of Σσ² instead of --rank (0 < e ≤ 1).")
    var energy: Double?

    @Option(help: "Training epochs (default 5; 30 with targets, as each epoch is a candidate).")
    var epochs: Int?

    @Option(help: "Mini-batch size (default 256).")
    var batchSize: Int?

    @Option(help: "Adam learning rate (default 0.001).")
    var learningRate: Double?

    @Option(help: "Share of rows held out for validation, stratified by group × label (default 0.2; 0.3 with targets).")
    var validation: Double?

    @Flag(help: "Weight each group to equal total weight in the loss.")
    var balance = false

    @Option(help: "Add a fairness penalty: dp (demographic parity) or eo (equalized odds).")
    var penalty: FixOptions.Penalty?

    @Option(name: .customLong("lambda"), help: "Weight λ of the penalty (default 1).")
    var lambda: Double?

    @Option(help: "Seed of the split, shuffles and everything random (default 0).")
    var seed: UInt64?

    @Flag(help: "Train only the factors and biases; keep kernels that were not factorized frozen.")
    var freezeUnfactorized = false

    @Option(
        name: .customLong("target"),
        help: ArgumentHelp(
            "A limit the written model must meet on the validation split, as the gate writes it: max_<gap>=v or min_<metric>=v (repeatable). Fairness gaps and ratios are trained as constraints; default: the [gate] limits of fairaudit.toml.",
            valueName: "key=value"))
    var targets: [String] = []

    @Option(
        help: ArgumentHelp(
            "How far inside each fairness limit training aims, as a share of it (default 0.5: a gap limit ε is trained at ε/2).",
            valueName: "share"))
    var targetMargin: Double?

    @Option(
        help: ArgumentHelp(
            "Without targets, refuse to write a model whose validation accuracy fell by more than this (default 0.01).",
            valueName: "drop"))
    var maxAccuracyDrop: Double?

    @Flag(
        help:
            "Transfer to a new task: replace the output layer with a new one for --label (1 sigmoid unit, Glorot uniform from --seed, zero bias), train it whole and the body as --method says."
    )
    var newHead = false

    @Option(
        help: ArgumentHelp(
            "With a new head: cut the model after this layer; the next dense layer becomes the head, later layers are dropped (implies --new-head).",
            valueName: "layer"))
    var newHeadFrom: String?

    @Option(
        help: ArgumentHelp(
            "With a new head: 2 gives a softmax head of 2 units (class 1 the positive label) instead of 1 sigmoid unit. Labels and fairness metrics are binary, so k is 1 or 2.",
            valueName: "k"))
    var classes: Int?

    @Flag(
        help: "Train only the output layer, the body frozen (with --new-head: a linear probe of the body's features).")
    var freezeBody = false

    @Flag(
        help:
            "Factorize embedding tables too (vocabulary × dimension), as dense kernels are; by default they train whole."
    )
    var factorizeEmbeddings = false

    @Option(
        help: ArgumentHelp(
            "Train only these layers (comma-separated names as `inspect` lists them; a new head always trains). Default: every layer, matrices through their low-rank factors.",
            valueName: "name,…"))
    var layers: String?

    @Option(help: ArgumentHelp("Keep these layers as they are (comma-separated names).", valueName: "name,…"))
    var freeze: String?

    /// The fixer's options: flags, then the policy's [fix] table, then defaults.
    func fixOptions(policy: Policy?) throws -> FixOptions {
        var o = FixOptions()
        let table = policy?.fix ?? [:]
        func value<T>(_ flag: T?, _ key: String, _ parse: (String) -> T?) throws -> T? {
            if let flag { return flag }
            guard let raw = table[key] else { return nil }
            guard let v = parse(raw) else {
                throw FairAuditError.policy(
                    file: policy?.source ?? "fairaudit.toml", line: 0, reason: "[fix] \(key) = \(raw) is not valid")
            }
            return v
        }
        if let v = try value(method, "method", FixOptions.Method.init(rawValue:)) { o.method = v }
        if let v = try value(neutralize, "neutralize", FixOptions.Neutralize.init(rawValue:)) { o.neutralize = v }
        if let v = try value(rank, "rank", { Int($0) }) { o.rank = v }
        o.energy = try value(energy, "energy", { Double($0) })
        if let v = try value(epochs, "epochs", { Int($0) }) { o.epochs = v }
        if let v = try value(batchSize, "batch_size", { Int($0) }) { o.batchSize = v }
        if let v = try value(learningRate, "learning_rate", { Double($0) }) { o.learningRate = v }
        if let v = try value(validation, "validation", { Double($0) }) { o.validationFraction = v }
        o.balance = balance || table["balance"] == "true"
        o.penalty = try value(penalty, "penalty", FixOptions.Penalty.init(rawValue:))
        if let v = try value(lambda, "lambda", { Double($0) }) { o.lambda = v }
        if let v = try value(seed, "seed", { UInt64($0) }) { o.seed = v }
        o.freezeUnfactorized = freezeUnfactorized || table["freeze_unfactorized"] == "true"
        if let v = try value(nil as FixOptions.FisherKind?, "fisher", FixOptions.FisherKind.init(rawValue:)) {
            o.fisherKind = v
        }
        if let v = try value(targetMargin, "target_margin", { Double($0) }) { o.targetMargin = v }
        if let v = try value(maxAccuracyDrop, "max_accuracy_drop", { Double($0) }) { o.maxAccuracyDrop = v }
        if let classes {
            guard newHead || newHeadFrom != nil else {
                throw FairAuditError.invalidInput(path: "--classes", reason: "sizes a new head; add --new-head")
            }
            guard classes == 1 || classes == 2 else {
                throw FairAuditError.invalidInput(
                    path: "--classes",
                    reason:
                        "\(classes) classes: labels are read as binary (0/1, or --positive) and the fairness metrics compare binary decisions, so k is 1 (sigmoid) or 2 (softmax)"
                )
            }
        }
        if newHead || newHeadFrom != nil {
            o.newHead =
                (classes ?? 1) == 2
                ? NewHead(units: 2, activation: .softmax, after: newHeadFrom) : NewHead(after: newHeadFrom)
        }
        o.freezeBody = freezeBody
        o.factorizeEmbeddings = factorizeEmbeddings || table["factorize_embeddings"] == "true"
        func names(_ text: String?) -> [String]? {
            text.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        }
        o.layers = names(layers)
        o.freeze = names(freeze) ?? []
        o.targets = try targets.map { try FixTarget.parse($0) }
        if targets.isEmpty, let policy {
            // The policy's gate limits, less those fix cannot judge (Fisher metrics).
            o.targets = try policy.limits.compactMap { limit in
                guard FixTarget.Metric(rawValue: limit.metric) != nil else {
                    note("fix: the gate's \(limit.key) is not a fix target (it is judged by audit only)")
                    return nil
                }
                return try FixTarget.make(key: limit.key, limit: limit.bound, source: policy.source)
            }
        }
        if !o.targets.isEmpty && epochs == nil && table["epochs"] == nil { o.epochs = 30 }
        // Targets are judged on the validation split: a larger one measures a small cell's rate closer.
        if !o.targets.isEmpty && validation == nil && table["validation"] == nil { o.validationFraction = 0.3 }
        if let t = policy?.threshold { o.threshold = t }
        if let m = policy?.minGroupSize { o.minGroupSize = m }
        try o.validate()  // a FairAuditError: one line on stderr, exit 2
        return o
    }
}
