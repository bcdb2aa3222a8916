import AuditFairness
import FairAudit
import Foundation

extension FixComparison {
    /// The self-contained HTML page of a fix: accuracy and every gap before
    /// and after, per-group rates before and after side by side, and per
    /// layer the rank kept and the share of its weights trained.
    public var html: String {
        var page = HTMLReport(
            title: "fairaudit fix: " + (output.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "nothing written"))
        let share = Double(result.trainableParameters) / Double(max(result.fullFineTuneParameters, 1))
        let lead =
            "<p class=\"muted\">\(Markup.escape(options.method.rawValue)) on \(Markup.escape(evalSource)): "
            + "\(before.overall.count) rows, threshold \(Format.g(before.threshold)); trained "
            + "\(BarChart.count(result.trainableParameters)) "
            + "of \(BarChart.count(result.fullFineTuneParameters)) parameters (\(Format.f(share * 100, 1))%), "
            + "kept epoch \(result.chosenEpoch) of \(result.epochs.count) (\(Markup.escape(choice))); outcome "
            + "\(outcomeName)"
            + (output == nil ? ", nothing written" : "") + ".</p>"
        var targets = ""
        if !result.targets.isEmpty {
            let v = result.epochs.first { $0.epoch == result.chosenEpoch }?.validation
            targets =
                "<p>Targets on the validation split: "
                + "\(Markup.escape(Fixer.describeTargets(result.targets, in: v)))</p>\n"
        }
        page.add("Before and after", targets + metricsTable)
        let reports = [before.json(), after.json()]
        if let chart = FairnessHTML.rateChart(
            reports, series: ["before", "after"], title: "Per-group rates before and after the fix")
        {
            page.add(
                "Groups",
                HTMLReport.figure(
                    chart.canvas(width: 1100),
                    caption:
                        "One row per group (sorted by selection rate before), with its number of rows; light bars "
                        + "before, dark bars after; "
                        + "dashed line: all rows after the fix.") + "\n" + groupTable)
        }
        page.add("Layers", layerTable + epochTable)
        if !result.warnings.isEmpty {
            page.add("Notes", "<ul>" + result.warnings.map { "<li>\(Markup.escape($0))</li>" }.joined() + "</ul>")
        }
        return page.rendered(lead: lead)
    }

    /// Whether a smaller value of `metric` is fairer (differences) or a larger (ratios, accuracy).
    static func lowerIsBetter(_ metric: String) -> Bool { metric.hasSuffix("difference") }

    /// Accuracy and every gap: before, after, change, and whether it improved.
    var metricsTable: String {
        let onValidation = evalSource == "validation split"
        let validation = onValidation ? nil : validationRows
        let held = onValidation ? "validation" : "eval"
        var headers = ["metric"]
        if validation != nil { headers += ["validation before", "after"] }
        headers += ["\(held) before", "after", "change", ""]
        var t = HTMLTable(
            caption: validation == nil
                ? "Accuracy and gaps on the same held-out rows"
                : "Accuracy and gaps on the validation split (which chose the epoch) and on the eval rows",
            headers: headers, id: "fix-metrics")
        for (i, (name, b, a)) in rows.enumerated() {
            let d = a - b
            let better = Self.lowerIsBetter(name) ? d < 0 : d > 0
            let verdict = !d.isFinite || abs(d) < 5e-4 ? "same" : better ? "better" : "worse"
            var cells: [HTMLTable.Cell] = [HTMLTable.Cell(name.replacingOccurrences(of: "_", with: " "))]
            if let v = validation?[i] { cells += [.number(Format.f(v.0, 3)), .number(Format.f(v.1, 3))] }
            cells += [
                .number(Format.f(b, 3)), .number(Format.f(a, 3)), .number((d >= 0 ? "+" : "") + Format.f(d, 3)),
                HTMLTable.Cell(verdict, cls: verdict == "better" ? "pass" : verdict == "worse" ? "fail" : ""),
            ]
            t.add(cells)
        }
        return t.html
    }

    /// Each group's rates before → after.
    var groupTable: String {
        var t = HTMLTable(
            caption: "Per group, before → after", headers: ["group", "rows"] + FairnessHTML.rates.map(\.1),
            id: "fix-groups")
        let after = Dictionary(self.after.groups.map { ($0.group, $0) }, uniquingKeysWith: { a, _ in a })
        for g in before.groups.sorted(by: {
            ($0.small ? 1 : 0, -$0.selectionRate) < ($1.small ? 1 : 0, -$1.selectionRate)
        }) {
            let h = after[g.group]
            func cell(_ b: Double, _ a: Double?) -> HTMLTable.Cell {
                .number("\(Format.f(b, 3)) → \(a.map { Format.f($0, 3) } ?? "—")")
            }
            t.add(
                [
                    HTMLTable.Cell(g.group + (g.small ? " (too small to compare)" : "")),
                    .number(BarChart.count(g.count)),
                    cell(g.selectionRate, h?.selectionRate), cell(g.tpr, h?.tpr), cell(g.fpr, h?.fpr),
                    cell(g.accuracy, h?.accuracy),
                ],
                cls: g.small ? "small" : "")
        }
        return t.html
    }

    /// Per dense layer: kernel shape, rank kept (of the most it could have),
    /// parameters trained and their share of the layer.
    var layerTable: String {
        var t = HTMLTable(
            caption: "What was trained, per layer",
            headers: ["layer", "kernel shape", "rank", "trained", "of", "share"], id: "fix-layers")
        let graph = result.graph
        let layers = (graph.layers ?? []).filter { $0.weights[.kernel] != nil }
        for layer in layers {
            guard let k = layer.weights[.kernel], let kernel = try? graph.tensor(named: k), kernel.shape.count == 2
            else { continue }
            let (m, n) = (kernel.shape[0], kernel.shape[1])
            let bias = layer.weights[.bias].flatMap { try? graph.tensor(named: $0) }?.elementCount ?? 0
            let full = m * n + bias
            let rank = result.ranks[k]
            let whole = options.method == .finetune || (rank == nil && !options.freezeUnfactorized)
            let trained = rank.map { $0 * (m + n) + bias } ?? (whole ? full : bias)
            let share = Double(trained) / Double(max(full, 1))
            let bar =
                "<span class=\"bar\" style=\"width:\(Int((share * 80).rounded()))px\"></span> "
                + "\(Format.f(share * 100, 1))%"
            t.add([
                HTMLTable.Cell(layer.name), .number(Format.shape(kernel.shape)),
                .number(rank.map { "\($0) of \(min(m, n))" } ?? (whole ? "whole" : "frozen")),
                .number(BarChart.count(trained)), .number(BarChart.count(full)), HTMLTable.Cell(markup: bar, cls: "n"),
            ])
        }
        return t.html
            + "<p class=\"note\">A factorized kernel trains r·(in + out) weights for its in × out, plus the bias; "
            + "a kernel left whole trains all of them, a frozen one none.</p>\n"
    }

    /// Training and validation objective per epoch, the kept one marked.
    var epochTable: String {
        var t = HTMLTable(
            caption: "Loss per epoch",
            headers: ["epoch", "train loss", "validation loss", "seconds"], id: "fix-epochs")
        t.add([
            HTMLTable.Cell("before fine-tuning"), .number("—"), .number(Format.f(result.pretrainedValidationLoss, 4)),
            .number(""),
        ])
        for e in result.epochs {
            t.add(
                [
                    HTMLTable.Cell(e.epoch == result.chosenEpoch ? "\(e.epoch) (kept: \(choice))" : "\(e.epoch)"),
                    .number(Format.f(e.trainLoss, 4)), .number(Format.f(e.validationLoss, 4)),
                    .number(Format.f(e.seconds, 2)),
                ],
                cls: e.epoch == result.chosenEpoch ? "kept" : "")
        }
        return t.html
    }
}
