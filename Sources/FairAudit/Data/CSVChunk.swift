import Foundation

/// The rows parsed from one slice of a CSV file (a run of whole records),
/// before they are joined to the others: features row-major, and group and
/// label cells as ids into this chunk's own interners. Chunks are parsed on
/// separate threads and merged in file order by ``CSVRowsBuilder``.
final class CSVChunk: @unchecked Sendable {
    let width: Int
    /// `rows × width` floats (malloc'd, grown by doubling).
    private(set) var features: UnsafeMutablePointer<Float>
    private var capacityRows: Int
    /// Rows kept.
    private(set) var rows = 0
    /// Each row's id in ``groups``.
    var groupIDs: [Int32] = []
    /// Each row's id in ``labels`` (-1 without a label column).
    var labelIDs: [Int32] = []
    /// Kept columns' cells, one array per column.
    var kept: [[String]]
    /// Distinct group keys: the single group cell, or each part's length
    /// (4 bytes, little-endian) and bytes for an intersection.
    var groups = ByteInterner()
    /// Distinct label cells.
    var labels = ByteInterner()
    /// Per label id: the line offset (newlines before its record in the chunk) of its first row.
    var labelLines: [Int] = []
    /// Rows skipped for an empty group cell.
    var skipped = 0
    /// Line ends in the records parsed (the next chunk's first line offset).
    var newlines = 0
    /// Where the chunk starts in the block, and where parsing stopped: after the last whole record.
    var start = 0, consumed = 0
    /// True when the region ended inside a record (it continues in the next block).
    var incomplete = false
    /// The first bad record: its line offset and the message for its absolute line.
    var failure: (line: Int, message: @Sendable (Int) -> String)?
    /// Scratch for an intersection key.
    var keyScratch: [UInt8] = []

    init(width: Int, keptColumns: Int, estimatedRows: Int) {
        self.width = width
        capacityRows = max(estimatedRows, 16)
        features = malloc(max(capacityRows * width, 1) * MemoryLayout<Float>.stride)!.assumingMemoryBound(
            to: Float.self)
        kept = Array(repeating: [], count: keptColumns)
        groupIDs.reserveCapacity(capacityRows)
    }

    deinit { free(features) }

    /// The feature row being filled (row `rows`), growing the buffer when full.
    @inline(__always)
    func openRow() -> UnsafeMutablePointer<Float> {
        if rows == capacityRows {
            capacityRows *= 2
            features = realloc(features, max(capacityRows * width, 1) * MemoryLayout<Float>.stride)!
                .assumingMemoryBound(to: Float.self)
        }
        return features + rows * width
    }

    /// Keeps the open row.
    @inline(__always)
    func commitRow(group: Int, label: Int) {
        rows += 1
        groupIDs.append(Int32(truncatingIfNeeded: group))
        labelIDs.append(Int32(truncatingIfNeeded: label))
    }

    /// Records the first bad record and stops the chunk there.
    func fail(line: Int, _ message: @escaping @Sendable (Int) -> String) {
        failure = (line, message)
    }
}
