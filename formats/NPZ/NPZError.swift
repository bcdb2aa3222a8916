import FairAudit
import Foundation

/// What is wrong with an `.npz` or `.npy` file, as one sentence naming the
/// file and, inside an archive, the member.
public enum NPZError: Error, CustomStringConvertible {
    /// The zip layer refused the archive (truncated, bad CRC, duplicate member, zip bomb, …).
    case zip(ZipError)
    /// The bytes are not an `.npy` array (bad magic or version).
    case notNPY(file: String, member: String?, reason: String)
    /// An archive member whose name does not end in `.npy`.
    case notNPYMember(file: String, member: String)
    /// The header dictionary cannot be parsed or lacks a key.
    case badHeader(file: String, member: String?, reason: String)
    /// The header is longer than the 10,000 bytes numpy itself accepts.
    case headerTooLarge(file: String, member: String?, bytes: Int)
    /// A dtype fairaudit refuses (object/pickle, structured, strings, complex, …).
    case unsupportedDType(file: String, member: String?, descr: String, reason: String)
    /// The header's shape needs more bytes than the file or member holds.
    case dataTooShort(file: String, member: String?, declared: Int, available: Int)
    /// The graph cannot be written as npz/npy.
    case cannotWrite(file: String, reason: String)
    /// The file written does not read back as the graph.
    case verifyFailed(file: String, member: String, reason: String)

    /// One sentence naming the file and member.
    public var description: String {
        func at(_ f: String, _ m: String?) -> String { m.map { "\(f): member '\($0)'" } ?? f }
        switch self {
        case .zip(let e): return e.description
        case .notNPY(let f, let m, let r): return "\(at(f, m)): not a NumPy .npy array: \(r)"
        case .notNPYMember(let f, let m): return "\(f): member '\(m)' is not a .npy array, so the file is not an npz"
        case .badHeader(let f, let m, let r): return "\(at(f, m)): bad .npy header: \(r)"
        case .headerTooLarge(let f, let m, let n):
            return "\(at(f, m)): the .npy header is \(n) bytes, over the 10000-byte limit"
        case .unsupportedDType(let f, let m, let d, let r):
            return "\(at(f, m)): dtype \(d) is refused: \(r)"
        case .dataTooShort(let f, let m, let d, let a):
            return "\(at(f, m)): the header's shape needs \(d) bytes but only \(a) follow it"
        case .cannotWrite(let f, let r): return "\(f): cannot write as npz: \(r)"
        case .verifyFailed(let f, let m, let r): return "\(f): member '\(m)' did not read back as written: \(r)"
        }
    }

    /// Runs `body`, turning a `ZipError` into `NPZError.zip`.
    static func wrap<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as ZipError { throw NPZError.zip(e) }
    }
}
