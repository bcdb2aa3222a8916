import Foundation

/// What is wrong with a zip archive (or one of its members), as one sentence
/// naming the archive and, where there is one, the member.
public enum ZipError: Error, CustomStringConvertible, Equatable {
    /// The file could not be opened or mapped.
    case unreadable(archive: String, reason: String)
    /// No end-of-central-directory record: not a zip, or cut short.
    case notAZip(archive: String)
    /// A structure runs past the end of the file (or of its enclosing region).
    case truncated(archive: String, member: String?, what: String)
    /// A structure holds values that cannot be right.
    case corrupt(archive: String, member: String?, reason: String)
    /// Two members share one name.
    case duplicateMember(archive: String, member: String)
    /// Two members' bytes overlap (a classic zip-bomb trick).
    case overlappingMembers(archive: String, member: String, other: String)
    /// The member is encrypted.
    case encrypted(archive: String, member: String)
    /// The member uses a compression method other than stored (0) or deflate (8).
    case unsupportedMethod(archive: String, member: String, method: UInt16)
    /// The declared uncompressed size is more than deflate could produce from the compressed bytes.
    case suspiciousRatio(archive: String, member: String, compressed: Int, uncompressed: Int)
    /// The member's CRC-32 differs from the one the directory declares.
    case crcMismatch(archive: String, member: String, expected: UInt32, found: UInt32)
    /// Inflating gave a different number of bytes than the directory declares.
    case sizeMismatch(archive: String, member: String, expected: Int, found: Int)
    /// Not enough memory for the member's declared size.
    case outOfMemory(archive: String, member: String, bytes: Int)
    /// A member could not be written out to `path` (`ZipArchive.extract`).
    case extractFailed(archive: String, member: String, path: String, reason: String)
    /// zlib failed while compressing.
    case compressionFailed(member: String, code: Int32)
    /// The archive could not be written.
    case writeFailed(path: String, reason: String)

    /// One sentence naming the archive and member.
    public var description: String {
        func at(_ a: String, _ m: String?) -> String { m.map { "\(a): member '\($0)'" } ?? a }
        switch self {
        case .unreadable(let a, let r): return "\(a): cannot read the zip archive: \(r)"
        case .notAZip(let a): return "\(a): not a zip archive (no end-of-central-directory record; truncated?)"
        case .truncated(let a, let m, let w): return "\(at(a, m)): truncated: \(w) runs past the end of the file"
        case .corrupt(let a, let m, let r): return "\(at(a, m)): corrupt zip structure: \(r)"
        case .duplicateMember(let a, let m): return "\(a): member '\(m)' appears more than once"
        case .overlappingMembers(let a, let m, let o): return "\(a): members '\(m)' and '\(o)' overlap"
        case .encrypted(let a, let m): return "\(a): member '\(m)' is encrypted, which fairaudit does not read"
        case .unsupportedMethod(let a, let m, let k):
            return "\(a): member '\(m)' uses compression method \(k); only stored (0) and deflate (8) are read"
        case .suspiciousRatio(let a, let m, let c, let u):
            return
                "\(a): member '\(m)' declares \(u) bytes from \(c) compressed bytes, more than deflate can produce (zip bomb?)"
        case .crcMismatch(let a, let m, let e, let f):
            return
                "\(a): member '\(m)' fails its CRC-32 check (declared \(String(e, radix: 16)), computed \(String(f, radix: 16)))"
        case .sizeMismatch(let a, let m, let e, let f):
            return "\(a): member '\(m)' inflates to \(f == -1 ? "more than" : "\(f)") bytes, but declares \(e)"
        case .outOfMemory(let a, let m, let b):
            return "\(a): member '\(m)' needs \(b) bytes, more than can be allocated"
        case .extractFailed(let a, let m, let p, let r):
            return "\(a): member '\(m)' could not be extracted to \(p): \(r)"
        case .compressionFailed(let m, let c): return "member '\(m)' could not be compressed (zlib error \(c))"
        case .writeFailed(let p, let r): return "\(p): the zip archive could not be written: \(r)"
        }
    }
}
