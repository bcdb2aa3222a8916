import FairAudit
import Foundation

extension Benchmark {
    /// The Python run by ``referenceKerasFit``: `keras.models.load_model`,
    /// Adam (1e-3) and binary cross-entropy (sparse categorical for a
    /// 2-unit softmax), `fit` on the rows given (float32, each input's
    /// values side by side, as fairaudit reads them; ids cast to the input's
    /// integer dtype), shuffled, batch as fairaudit's; prints the fastest
    /// epoch after the first (which compiles) as `seconds cpu_seconds version
    /// backend`, `missing` when Keras is not installed.
    static let kerasFitScript = """
        import os, sys, time
        os.environ.setdefault("KERAS_BACKEND", "jax")
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
        try:
            import numpy as np
            import keras
        except ImportError:
            print("missing", flush=True)
            sys.exit(0)
        path, features, labels, rows, batch, epochs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
        model = keras.models.load_model(path, compile=False)
        x = np.fromfile(features, dtype="<f4").reshape(rows, -1)
        y = np.fromfile(labels, dtype="<f4")
        inputs, at = [], 0
        for t in model.inputs:
            dims = [int(d) for d in t.shape[1:]]
            w = int(np.prod(dims)) if dims else 1
            a = x[:, at:at + w].reshape([rows] + dims)
            inputs.append(a.astype(np.int32) if "int" in str(t.dtype) else a)
            at += w
        two = int(model.outputs[0].shape[-1]) == 2
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy" if two else "binary_crossentropy")
        times = []
        class Timer(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self.t0, self.c0 = time.perf_counter(), time.process_time()
            def on_epoch_end(self, epoch, logs=None):
                times.append((time.perf_counter() - self.t0, time.process_time() - self.c0))
        model.fit(inputs if len(inputs) > 1 else inputs[0], y, batch_size=batch, epochs=epochs, shuffle=True, verbose=0, callbacks=[Timer()])
        wall, cpu = min(times[1:])
        print(wall, cpu, keras.__version__, keras.backend.backend(), flush=True)
        """

    /// Seconds per fine-tuning epoch of `fix` on `model` and `data` (every
    /// row trains: no validation split, so Keras fits exactly the same
    /// rows), each method, fastest of epochs 2–3; then Keras `fit` on the
    /// same rows in a child `python` (same machine, same cores, the batch
    /// size fairaudit uses), fastest epoch after the first.
    static func fitPaths(
        model: URL, data url: URL, columns: CSVDataOptions, python: String?, dir: URL,
        record: (Measurement) -> Void
    ) throws {
        let graph = try Plugins.formats.read(model)
        let data = try DataLoading.load(from: url, options: columns, network: try Network(graph: graph))
        let input = url.lastPathComponent + " + " + model.lastPathComponent
        var options = FixOptions()
        options.validationFraction = 0
        options.epochs = 3
        options.maxAccuracyDrop = 1
        for method in [FixOptions.Method.neutralizedLowrank, .finetune] {
            options.method = method
            var epoch = Double.infinity
            var cpu = Double.infinity
            var lastCPU = Double.nan
            let result = try Fixer.fix(
                graph: graph, data: data, options: options,
                progress: { log in
                    let now = cpuNow()
                    if lastCPU.isFinite, log.seconds < epoch { cpu = now - lastCPU }
                    if lastCPU.isFinite { epoch = min(epoch, log.seconds) }
                    lastCPU = now
                })
            record(
                Measurement(
                    name: "fix epoch (\(method.rawValue), batch \(options.batchSize))", seconds: epoch,
                    cpuSeconds: cpu, amount: Double(result.trainRows), unit: "rows/s", input: input))
        }
        guard let python else { return }
        if let m = referenceKerasFit(
            python: python, model: model, data: data, batch: options.batchSize, dir: dir, input: input)
        {
            record(m)
        }
    }

    /// Keras `fit` (``kerasFitScript``) on every row of `data`; a note on
    /// stderr when Python or Keras is missing.
    static func referenceKerasFit(
        python: String, model: URL, data: LabeledData, batch: Int, dir: URL, input: String
    ) -> Measurement? {
        let features = dir.appendingPathComponent("fit-features-\(getpid()).f32")
        let labels = dir.appendingPathComponent("fit-labels-\(getpid()).f32")
        defer {
            try? FileManager.default.removeItem(at: features)
            try? FileManager.default.removeItem(at: labels)
        }
        guard (try? data.features.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: features)) != nil,
            (try? data.labels.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: labels)) != nil
        else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python.contains("/") ? python : "/usr/bin/env")
        process.arguments =
            (python.contains("/") ? [] : [python]) + [
                "-c", kerasFitScript, model.path, features.path, labels.path, String(data.rowCount), String(batch),
                "4",
            ]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            FileHandle.standardError.write(Data("note: Keras fit not timed: cannot run \(python)\n".utf8))
            return nil
        }
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        guard process.terminationStatus == 0, words.count == 4, let wall = Double(words[0]), let cpu = Double(words[1])
        else {
            FileHandle.standardError.write(
                Data(
                    "note: Keras fit not timed: \(python) lacks Keras or failed (--keras-python PATH names another)\n"
                        .utf8))
            return nil
        }
        return Measurement(
            name: "Keras \(words[2]) fit epoch (\(words[3]), batch \(batch))", seconds: wall, cpuSeconds: cpu,
            amount: Double(data.rowCount), unit: "rows/s", input: input,
            referenceFor: "fix epoch (\(FixOptions.Method.finetune.rawValue), batch \(batch))")
    }
}
