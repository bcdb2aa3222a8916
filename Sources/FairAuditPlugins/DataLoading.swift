import FairAudit
import FormatNPZ
import Foundation

/// Labeled rows for a network, from a CSV or an `.npz`.
public enum DataLoading {
    /// The rows of `url` laid out for `network`'s inputs.
    ///
    /// An `.npz` (told by its zip magic, not its name) holds one array per
    /// model input named as the input layer (`x` for a single input), shaped
    /// `(N, …)`, and 1-D label and group arrays of length N named by
    /// `options.label`/`options.groups` (numbers, bools or numpy strings).
    /// A CSV takes its feature columns from ``csvOptions(_:network:source:)``.
    public static func load(from url: URL, options: CSVDataOptions, network: Network) throws -> LabeledData {
        if isZip(url) {
            let inputs = zip(network.inputNames, network.inputShapes).map { (name: $0, shape: $1) }
            return try LabeledData.fromArrays(NPZData.arrays(url), source: url.path, options: options, inputs: inputs)
        }
        return try LabeledData.load(from: url, options: try csvOptions(options, network: network, source: url.path))
    }

    /// `options` with the feature columns of a CSV for `network` resolved.
    ///
    /// Explicit `features` are kept. Otherwise, for a model of several
    /// inputs or with `inputColumns` given, the columns map by input: the
    /// input named `cat` with k values takes `inputColumns["cat"]` when
    /// given (k columns, in the input's value order), else the columns
    /// `cat`, `cat_1`, …, `cat_{k−1}` (one value: the column `cat`); the
    /// inputs' columns follow each other in model-input order. Throws,
    /// naming `source`, when a mapping names no model input or lists the
    /// wrong number of columns.
    public static func csvOptions(_ options: CSVDataOptions, network: Network, source: String) throws -> CSVDataOptions
    {
        var o = options
        let given = options.inputColumns
        guard o.features == nil, network.inputNames.count > 1 || !given.isEmpty else { return o }
        if let unknown = given.keys.sorted().first(where: { !network.inputNames.contains($0) }) {
            throw FairAuditError.invalidInput(
                path: source,
                reason:
                    "--input \(unknown)=… names no model input (the model's inputs: \(network.inputNames.joined(separator: ", ")))"
            )
        }
        o.features = try zip(network.inputNames, network.inputShapes).flatMap { name, shape -> [String] in
            let k = shape.reduce(1, *)
            guard let columns = given[name] else {
                return k == 1 ? [name] : (0..<k).map { $0 == 0 ? name : "\(name)_\($0)" }
            }
            guard columns.count == k else {
                throw FairAuditError.invalidInput(
                    path: source,
                    reason:
                        "--input \(name)=… lists \(columns.count) column\(columns.count == 1 ? "" : "s"), but the model input '\(name)' takes \(k) values per row"
                )
            }
            return columns
        }
        return o
    }

    /// Reads the rows of `url` as ``load(from:options:network:)`` lays them
    /// out, but hands them to `body` a chunk at a time and keeps none of
    /// them: a CSV in parsed blocks (``LabeledData/foldCSV(from:options:tuning:body:)``),
    /// an `.npz` `arrayChunkRows` rows at a time, each array streamed from
    /// its member (``NPZRowStream``; an array in Fortran order over several
    /// dimensions is read whole first). Groups of an `.npz` keep the order
    /// they first appear in, as ``load(from:options:network:)`` names them.
    public static func fold(
        from url: URL, options: CSVDataOptions, network: Network,
        tuning: CSVReadTuning = CSVReadTuning(), arrayChunkRows: Int = 8192,
        body: (RowChunk) throws -> Void
    ) throws -> FoldedData {
        guard isZip(url) else {
            return try LabeledData.foldCSV(
                from: url, options: try csvOptions(options, network: network, source: url.path),
                tuning: tuning, body: body)
        }
        let inputs = zip(network.inputNames, network.inputShapes).map { (name: $0, shape: $1) }
        let wanted =
            inputs.map(\.name) + (inputs.count == 1 ? ["x"] : []) + [options.label].compactMap { $0 } + options.groups
        guard let stream = try NPZRowStream.open(url, names: wanted) else {
            return try LabeledData.foldArrays(
                .whole(NPZData.arrays(url)), source: url.path, options: options, inputs: inputs,
                chunkRows: arrayChunkRows, body: body)
        }
        let source = ArraySource(
            names: stream.names, shape: { stream.shape($0) }, holdsStrings: { stream.holdsStrings($0) },
            next: { try stream.next($0, rows: $1) })
        let folded = try LabeledData.foldArrays(
            source, source: url.path, options: options, inputs: inputs,
            chunkRows: arrayChunkRows, body: body)
        try stream.finish()
        return folded
    }

    /// True when the file starts with a zip local header (an npz of data).
    static func isZip(_ url: URL) -> Bool { ZipArchive.isZip(url) }
}
