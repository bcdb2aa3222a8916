import FairAudit
import Foundation

extension Benchmark {
    /// The Python run by ``referenceCheckpointReads``: best of N
    /// `safetensors.numpy.load_file` (every tensor copied into a numpy array)
    /// on a `.safetensors` and `torch.load(weights_only=True)` on a `.pt`,
    /// printed as `seconds cpu_seconds bytes` lines, `missing` when the
    /// library is not installed.
    static let checkpointReferenceScript = """
        import sys, time
        reps = int(sys.argv[1])
        def timed(read):
            best, cpu, n = float("inf"), 0.0, 0
            for _ in range(reps):
                t0, c0 = time.perf_counter(), time.process_time()
                got = read()
                wall = time.perf_counter() - t0
                if wall < best:
                    best, cpu, n = wall, time.process_time() - c0, got
            return best, cpu, n
        for path in sys.argv[2:]:
            try:
                if path.endswith(".safetensors"):
                    from safetensors.numpy import load_file
                    r = timed(lambda: sum(a.nbytes for a in load_file(path).values()))
                else:
                    import torch
                    r = timed(lambda: sum(t.numel() * t.element_size() for t in torch.load(path, weights_only=True).values()))
                print(*r, flush=True)
            except ImportError:
                print("missing", flush=True)
        """

    /// `safetensors.numpy.load_file` and `torch.load` on `files` in a child
    /// `python` process (the same files and page cache, in the same run);
    /// a note on stderr for a library that Python lacks.
    static func referenceCheckpointReads(python: String, files: [URL], repeats: Int) -> [Measurement] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python.contains("/") ? python : "/usr/bin/env")
        process.arguments =
            (python.contains("/") ? [] : [python]) + ["-c", checkpointReferenceScript, String(repeats)]
            + files.map(\.path)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            FileHandle.standardError.write(
                Data("note: safetensors/torch reading not timed: cannot run \(python)\n".utf8))
            return []
        }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let lines = output.split(separator: "\n")
        guard process.terminationStatus == 0, lines.count == files.count else {
            FileHandle.standardError.write(
                Data("note: safetensors/torch reading not timed: \(python) failed (--python PATH names another)\n".utf8)
            )
            return []
        }
        return zip(files, lines).compactMap { url, line in
            let name =
                url.pathExtension == "safetensors" ? "safetensors.numpy.load_file" : "torch.load(weights_only=True)"
            let v = line.split(separator: " ").compactMap { Double($0) }
            guard v.count == 3 else {
                FileHandle.standardError.write(
                    Data("note: \(name) not timed: \(python) lacks the library (--python PATH names another)\n".utf8))
                return nil
            }
            return Measurement(
                name: name, seconds: v[0], cpuSeconds: v[1], amount: v[2] / 1e6, unit: "MB/s", input: url.path)
        }
    }
}
