import AuditFairness
import AuditFisher
import FairAudit
import Foundation

extension AuditPartial {
    /// The partial as one JSON object (version 2):
    ///
    ///     {"format": "fairaudit-partial", "version": 1,
    ///      "model": {"hash", "path", "format", "layout"},
    ///      "data": {"sources", "label", "positive", "group_columns", "features"},
    ///      "options": {"threshold", "bootstrap", "confidence", "seed", "min_group_size"},
    ///      "rows", "row_ids": [["lo", "hi"], …],
    ///      "fairness": {"groups": [{"name", "parts", "cells": [TN, FP, FN, TP], "score_sum"}],
    ///                   "bootstrap_cells": [[4·groups counts] per replicate]},
    ///      "fisher": null | {…}}   (``FisherPartial/json(top:)``)
    ///
    /// Version 2 added the Fisher section; other versions are refused.
    ///
    /// Seeds and row ids are decimal strings (they may exceed 2⁵³); score sums
    /// are strings in Swift's shortest round-trip form, so they read back bit
    /// for bit (a JSON number need not).
    public var json: JSONValue {
        let f = fairness
        let g = f.groupNames.count
        let groups: [JSONValue] = (0..<g).map { j in
            .object([
                ("name", .string(f.groupNames[j])), ("parts", .array(f.groupParts[j].map { .string($0) })),
                ("cells", .array((0..<4).map { .int(f.cells[4 * j + $0]) })),
                ("score_sum", .string("\(f.scoreSums[j])")),
            ])
        }
        let replicates: [JSONValue] = (0..<f.resamples).map { b in
            .array(f.bootstrapCells[(b * 4 * g)..<((b + 1) * 4 * g)].map { .int($0) })
        }
        return .object([
            ("format", .string(Self.formatTag)), ("version", .int(Self.version)),
            (
                "model",
                .object([
                    ("hash", .string(modelHash)), ("path", .string(model)), ("format", .string(modelFormat)),
                    ("layout", .string(modelLayout.rawValue)),
                ])
            ),
            (
                "data",
                .object([
                    ("sources", .array(dataSources.map { .string($0) })), ("label", .string(label)),
                    ("positive", positive.map { .string($0) } ?? .null),
                    ("group_columns", .array(groupColumns.map { .string($0) })),
                    ("features", .array(featureNames.map { .string($0) })),
                ])
            ),
            (
                "options",
                .object([
                    ("threshold", .number(options.threshold)), ("bootstrap", .int(options.bootstrap)),
                    ("confidence", .number(options.confidence)), ("seed", .string(String(options.seed))),
                    ("min_group_size", .int(options.minGroupSize)),
                ])
            ),
            ("rows", .int(rows)),
            (
                "row_ids",
                .array(rowIDs.ranges.map { .array([.string(String($0.lowerBound)), .string(String($0.upperBound))]) })
            ),
            ("fairness", .object([("groups", .array(groups)), ("bootstrap_cells", .array(replicates))])),
            ("fisher", fisher.map { $0.json(top: fisherTop) } ?? .null),
        ])
    }

    /// Reads a partial written by ``json``; `path` names the file in errors.
    public static func read(_ bytes: Data, path: String) throws -> AuditPartial {
        func bad(_ reason: String) -> FairAuditError { .invalidInput(path: path, reason: reason) }
        guard let doc = (try? JSONSerialization.jsonObject(with: bytes)) as? [String: Any],
            doc["format"] as? String == formatTag
        else {
            throw bad("is not a fairaudit partial result (write one with fairaudit audit --partial FILE)")
        }
        guard let v = doc["version"] as? Int, v == version else {
            throw bad(
                "is a partial of version \(doc["version"].map { "\($0)" } ?? "?"); this fairaudit reads version \(version)"
            )
        }
        func obj(_ d: [String: Any], _ k: String) throws -> [String: Any] {
            guard let o = d[k] as? [String: Any] else { throw bad("has no \"\(k)\" object") }
            return o
        }
        func str(_ d: [String: Any], _ k: String) throws -> String {
            guard let s = d[k] as? String else { throw bad("has no \"\(k)\" string") }
            return s
        }
        func num(_ d: [String: Any], _ k: String) throws -> Double {
            guard let x = (d[k] as? NSNumber)?.doubleValue else { throw bad("has no \"\(k)\" number") }
            return x
        }
        func int(_ x: Any?, _ what: String) throws -> Int {
            guard let n = x as? NSNumber, let i = Int(exactly: n.doubleValue) else {
                throw bad("\(what) is not an integer")
            }
            return i
        }
        func strings(_ x: Any?, _ what: String) throws -> [String] {
            guard let a = x as? [String] else { throw bad("\(what) is not a list of strings") }
            return a
        }
        let model = try obj(doc, "model")
        let data = try obj(doc, "data")
        let opts = try obj(doc, "options")
        var options = AuditOptions()
        options.threshold = try num(opts, "threshold")
        options.bootstrap = try int(opts["bootstrap"], "options.bootstrap")
        options.confidence = try num(opts, "confidence")
        guard let seed = UInt64(try str(opts, "seed")) else { throw bad("options.seed is not an unsigned integer") }
        options.seed = seed
        options.minGroupSize = try int(opts["min_group_size"], "options.min_group_size")
        guard let idPairs = doc["row_ids"] as? [[String]] else { throw bad("has no \"row_ids\" list") }
        var ranges: [ClosedRange<UInt64>] = []
        for pair in idPairs {
            guard pair.count == 2, let lo = UInt64(pair[0]), let hi = UInt64(pair[1]), lo <= hi,
                ranges.last.map({ $0.upperBound < lo }) ?? true
            else { throw bad("row_ids has a bad range \(pair)") }
            ranges.append(lo...hi)
        }
        let fair = try obj(doc, "fairness")
        guard let groups = fair["groups"] as? [[String: Any]], let reps = fair["bootstrap_cells"] as? [[Any]] else {
            throw bad("fairness has no groups or bootstrap_cells list")
        }
        var names: [String] = []
        var parts: [[String]] = []
        var cells: [Int] = []
        var sums: [Double] = []
        for (j, g) in groups.enumerated() {
            names.append(try str(g, "name"))
            parts.append(try strings(g["parts"], "fairness.groups[\(j)].parts"))
            guard let c = g["cells"] as? [Any], c.count == 4 else {
                throw bad("fairness.groups[\(j)].cells is not 4 counts")
            }
            cells += try c.map { try int($0, "fairness.groups[\(j)].cells") }
            guard let sum = Double(try str(g, "score_sum")) else {
                throw bad("fairness.groups[\(j)].score_sum is not a number")
            }
            sums.append(sum)
        }
        var boot: [Int] = []
        boot.reserveCapacity(reps.count * 4 * names.count)
        for (b, r) in reps.enumerated() {
            guard r.count == 4 * names.count else {
                throw bad("fairness.bootstrap_cells[\(b)] has \(r.count) counts, expected \(4 * names.count)")
            }
            boot += try r.map { try int($0, "fairness.bootstrap_cells[\(b)]") }
        }
        guard reps.count == options.bootstrap else {
            throw bad("has \(reps.count) bootstrap replicates, options say \(options.bootstrap)")
        }
        let fairness: FairnessPartial
        do {
            fairness = try FairnessPartial(
                groupNames: names, groupParts: parts, cells: cells, scoreSums: sums,
                threshold: options.threshold, resamples: options.bootstrap, seed: seed,
                bootstrapCells: boot)
        } catch { throw bad("\(error)") }
        let positive = data["positive"] as? String
        var fisher: (FisherPartial, Int)?
        if let section = doc["fisher"] as? [String: Any] {
            fisher = try FisherPartial.read(section, bad: bad)
        } else if doc["fisher"] == nil {
            throw bad("has no \"fisher\" entry (null when audited with --no-fisher)")
        }
        let layoutName = try str(model, "layout")
        guard let layout = ModelLayout(rawValue: layoutName) else {
            throw bad("names an unknown model layout \"\(layoutName)\"")
        }
        var partial = AuditPartial(
            modelHash: try str(model, "hash"), model: try str(model, "path"),
            modelFormat: try str(model, "format"), modelLayout: layout,
            dataSources: try strings(data["sources"], "data.sources"), label: try str(data, "label"),
            positive: positive, groupColumns: try strings(data["group_columns"], "data.group_columns"),
            featureNames: try strings(data["features"], "data.features"), options: options,
            rowIDs: RowIDRanges(ranges: ranges), fairness: fairness)
        partial.fisher = fisher?.0
        partial.fisherTop = fisher?.1 ?? 10
        return partial
    }
}
