import FairAudit
import Foundation

extension Benchmark {
    /// The Python run by ``pandasReadCSV``: best of N `pandas.read_csv` (C
    /// engine, defaults) per file, printed as `seconds cpu_seconds rows` lines.
    static let pandasScript = """
        import sys, time
        import pandas as pd
        reps = int(sys.argv[1])
        for path in sys.argv[2:]:
            best, cpu, rows = float("inf"), 0.0, 0
            for _ in range(reps):
                t0, c0 = time.perf_counter(), time.process_time()
                df = pd.read_csv(path)
                wall = time.perf_counter() - t0
                if wall < best:
                    best, cpu, rows = wall, time.process_time() - c0, len(df)
                del df
            print(best, cpu, rows, flush=True)
        """

    /// `pandas.read_csv` on each of `files` in a child `python` process (the
    /// same page cache, the same run); empty, with a note on stderr, when
    /// that Python has no pandas.
    static func pandasReadCSV(python: String, files: [URL], repeats: Int, megabytes: Double) -> [Measurement] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python.contains("/") ? python : "/usr/bin/env")
        process.arguments =
            (python.contains("/") ? [] : [python]) + ["-c", pandasScript, String(repeats)] + files.map(\.path)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            FileHandle.standardError.write(Data("note: pandas.read_csv not timed: cannot run \(python)\n".utf8))
            return []
        }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let lines = output.split(separator: "\n")
        guard process.terminationStatus == 0, lines.count == files.count else {
            FileHandle.standardError.write(
                Data("note: pandas.read_csv not timed: \(python) has no pandas (--python PATH names another)\n".utf8))
            return []
        }
        return zip(files, lines).compactMap { url, line in
            let v = line.split(separator: " ").compactMap { Double($0) }
            guard v.count == 3 else { return nil }
            let label = url.pathExtension == "gz" ? "csv.gz" : "csv"
            return Measurement(
                name: "pandas.read_csv \(label) (\(Int(v[2]) / 1000)k rows)", seconds: v[0], cpuSeconds: v[1],
                amount: megabytes, unit: "MB/s", input: url.path)
        }
    }
}
