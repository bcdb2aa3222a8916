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
    /// A CSV for a model of several inputs, without `options.features`,
    /// maps by name: an input of k values named `cat` takes the columns
    /// `cat`, `cat_1`, …, `cat_{k−1}` (one value: the column `cat`).
    public static func load(from url: URL, options: CSVDataOptions, network: Network) throws -> LabeledData {
        if isZip(url) {
            let inputs = zip(network.inputNames, network.inputShapes).map { (name: $0, shape: $1) }
            return try LabeledData.fromArrays(NPZData.arrays(url), source: url.path, options: options, inputs: inputs)
        }
        var o = options
        if network.inputNames.count > 1, o.features == nil {
            o.features = zip(network.inputNames, network.inputShapes).flatMap { name, shape in
                let k = shape.reduce(1, *)
                return k == 1 ? [name] : (0..<k).map { $0 == 0 ? name : "\(name)_\($0)" }
            }
        }
        return try LabeledData.load(from: url, options: o)
    }

    /// True when the file starts with a zip local header (an npz of data).
    static func isZip(_ url: URL) -> Bool { ZipArchive.isZip(url) }
}
