import Foundation

/// Which columns of a `groups.csv` are the label, the groups and the features.
public struct CSVDataOptions: Sendable, Equatable {
    /// The binary label column; nil for rows that are only scored (every
    /// label is then NaN).
    public var label: String?
    /// The group columns; several give intersection groups.
    public var groups: [String]
    /// Columns that are neither features nor label nor group.
    public var ignore: [String]
    /// The feature columns in model-input order; `nil` means every column
    /// except label, groups and ignored ones, in file order.
    public var features: [String]?
    /// The label value that means positive (1); `nil` accepts 0/1, 0.0/1.0
    /// and true/false.
    public var positive: String?
    /// The model's input width; the feature count must equal it.
    public var expectedFeatureCount: Int?
    /// The text joining the parts of an intersection group name.
    public var groupSeparator: String
    /// The longest record accepted, in bytes.
    public var maxLineBytes: Int
    /// Columns read as text and carried along (``LabeledData/kept``), such as
    /// an id to join scores back on; they may also be features or ignored.
    public var keep: [String] = []
    /// Read the rows from standard input instead of the file (`--data -`).
    public var standardInput = false
    /// The column names when the rows come without a header line; the
    /// first line is then a data row.
    public var header: [String]?
    /// The columns of named model inputs (`--input cat=a,b,c`), in each
    /// input's value order; an input not listed takes the columns named
    /// after it (``features`` excludes this).
    public var inputColumns: [String: [String]] = [:]
    /// Set for one chunk of a longer stream: checks that need every row are left to the caller.
    var partOfStream = false

    /// Creates options.
    public init(
        label: String?, groups: [String], ignore: [String] = [], features: [String]? = nil,
        positive: String? = nil, expectedFeatureCount: Int? = nil, groupSeparator: String = " & ",
        maxLineBytes: Int = 1 << 20
    ) {
        self.label = label
        self.groups = groups
        self.ignore = ignore
        self.features = features
        self.positive = positive
        self.expectedFeatureCount = expectedFeatureCount
        self.groupSeparator = groupSeparator
        self.maxLineBytes = maxLineBytes
    }
}
