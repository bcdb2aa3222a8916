import FairAudit
import Foundation

extension Benchmark {
    /// The Python run by ``referenceONNXForward``: onnxruntime's CPU session
    /// on the model with `threads` intra-op threads, fed the same rows
    /// (float32, each input's columns side by side, as fairaudit reads them),
    /// the output fairaudit scores timed best of N, printed as
    /// `seconds cpu_seconds`, `missing` when onnxruntime is not installed.
    static let onnxReferenceScript = """
        import sys, time
        try:
            import numpy as np
            import onnxruntime as ort
        except ImportError:
            print("missing", flush=True)
            sys.exit(0)
        path, features, rows, threads, reps, output = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
        o = ort.SessionOptions()
        o.intra_op_num_threads = threads
        o.inter_op_num_threads = 1
        s = ort.InferenceSession(path, o, providers=["CPUExecutionProvider"])
        x = np.fromfile(features, dtype="<f4").reshape(rows, -1)
        feeds, at = {}, 0
        types = {"tensor(float)": np.float32, "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(double)": np.float64}
        for i in s.get_inputs():
            dims = [int(d) for d in i.shape[1:]]
            w = int(np.prod(dims)) if dims else 1
            feeds[i.name] = np.ascontiguousarray(x[:, at:at + w].reshape([rows] + dims).astype(types[i.type]))
            at += w
        best, cpu = float("inf"), 0.0
        for _ in range(reps):
            t0, c0 = time.perf_counter(), time.process_time()
            s.run([output], feeds)
            wall = time.perf_counter() - t0
            if wall < best:
                best, cpu = wall, time.process_time() - c0
        print(best, cpu, flush=True)
        """

    /// onnxruntime's forward pass over `data`'s rows of the ONNX `model`
    /// (the output fairaudit scores) in a child `python`, with as many
    /// intra-op threads as fairaudit's predict uses (2); a note on stderr
    /// when Python or onnxruntime is missing.
    static func referenceONNXForward(
        python: String, model: URL, graph: ModelGraph, data: LabeledData,
        dir: URL, repeats: Int, input: String
    ) -> Measurement? {
        let output = graph.metadata.first { $0.key == "output" }?.value ?? ""
        let features = dir.appendingPathComponent("onnx-features-\(getpid()).f32")
        defer { try? FileManager.default.removeItem(at: features) }
        let bytes = data.features.withUnsafeBufferPointer { Data(buffer: $0) }
        guard (try? bytes.write(to: features)) != nil else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python.contains("/") ? python : "/usr/bin/env")
        process.arguments =
            (python.contains("/") ? [] : [python]) + [
                "-c", onnxReferenceScript, model.path, features.path,
                String(data.rowCount), "2", String(repeats), output,
            ]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            FileHandle.standardError.write(Data("note: onnxruntime not timed: cannot run \(python)\n".utf8))
            return nil
        }
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let v = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Double($0) }
        guard process.terminationStatus == 0, v.count == 2 else {
            FileHandle.standardError.write(
                Data(
                    "note: onnxruntime not timed: \(python) lacks onnxruntime or failed (--python PATH names another)\n"
                        .utf8))
            return nil
        }
        return Measurement(
            name: "onnxruntime forward (2 threads)", seconds: v[0], cpuSeconds: v[1], amount: Double(data.rowCount),
            unit: "rows/s", input: input, referenceFor: "forward")
    }
}
