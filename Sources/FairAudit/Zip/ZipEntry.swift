import Foundation

/// One member of a zip archive, as its central directory and local header describe it.
public struct ZipEntry: Sendable, Equatable {
    /// The member's path inside the archive.
    public let name: String
    /// Compression method: 0 stored, 8 deflate.
    public let method: UInt16
    /// General-purpose flags (bit 3: sizes in a data descriptor; bit 11: UTF-8 name).
    public let flags: UInt16
    /// CRC-32 of the uncompressed bytes.
    public let crc32: UInt32
    /// Bytes the member takes in the archive.
    public let compressedSize: Int
    /// Bytes the member has once inflated.
    public let uncompressedSize: Int
    /// Offset of the member's local header in the archive.
    public let localHeaderOffset: Int
    /// Offset of the first compressed byte.
    public let dataOffset: Int
    /// Offset just past the member's record (data and any data descriptor).
    public let recordEnd: Int
    /// MS-DOS modification time and date, as stored.
    public let modTime: UInt16, modDate: UInt16
    /// "Version made by" and "version needed to extract", as stored in the central directory.
    public let versionMadeBy: UInt16, versionNeeded: UInt16
    /// Internal and external file attributes from the central directory.
    public let internalAttributes: UInt16, externalAttributes: UInt32
    /// Central-directory extra fields other than ZIP64 (0x0001), as stored.
    public let centralExtra: Data
    /// The member's comment bytes.
    public let comment: Data
    /// True when the local header carries a ZIP64 extra field (numpy writes one on every member).
    public let localZip64: Bool
}
