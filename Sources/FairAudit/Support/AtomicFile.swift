import Foundation

/// Writes an output file so that it is either complete and verified or not
/// there at all: the bytes go to a temporary file in the destination folder,
/// are flushed to disk, read back by `verify`, and only then renamed into place.
public enum AtomicFile {
    /// Produces `url` through `produce(temporaryURL)`, then `verify(temporaryURL)`,
    /// then renames. Refuses an existing `url` unless `overwrite`. On any
    /// error the temporary file is removed and nothing is left at `url`.
    public static func write(
        to url: URL, overwrite: Bool = false,
        produce: (URL) throws -> Void, verify: (URL) throws -> Void = { _ in }
    ) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: url.path) && !overwrite {
            throw FairAuditError.outputExists(path: url.path)
        }
        let dir = url.deletingLastPathComponent()
        // `.<name>.tmp-<pid>-<random>.<ext>`: hidden, unique, and keeping the
        // extension so a format that looks at it (a `.keras` zip) writes the same thing.
        let ext = url.pathExtension.isEmpty ? "" : "." + url.pathExtension
        let tmp = dir.appendingPathComponent(
            ".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))\(ext)")
        do {
            try produce(tmp)
            try sync(tmp)
            try verify(tmp)
            if rename(tmp.path, url.path) != 0 {
                throw FairAuditError.writeFailed(path: url.path, reason: String(cString: strerror(errno)))
            }
            let dfd = open(dir.path, O_RDONLY)
            if dfd >= 0 {
                fsync(dfd)
                close(dfd)
            }
        } catch {
            try? fm.removeItem(at: tmp)
            throw error
        }
    }

    /// Flushes the file's data to disk.
    static func sync(_ url: URL) throws {
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else {
            throw FairAuditError.writeFailed(path: url.path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        _ = fsync(fd)
    }
}
