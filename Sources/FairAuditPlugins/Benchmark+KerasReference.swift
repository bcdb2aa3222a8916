import FairAudit
import FormatNPZ
import Foundation

extension Benchmark {
    /// Names of the two measurements ``referenceKeras(python:model:data:inputNames:inputShapes:options:dir:input:)``
    /// records, and the fairaudit measurement each is the reference for.
    public static let kerasPredictName = "Keras 3 predict (JAX)"
    /// The JAX per-sample Fisher's measurement name.
    public static let jaxFisherName = "JAX vmap(grad) per-group Fisher"

    /// The Python run by ``referenceKeras(python:model:data:inputNames:inputShapes:options:dir:input:)``:
    /// `keras.models.load_model` (Keras 3, JAX backend, CPU) of the model, the
    /// rows of the npz ``writeReferenceRows(_:inputNames:inputShapes:to:)``
    /// wrote (ids cast to the model input's integer dtype), then
    ///
    /// - `model.predict` (batch 4096) of every row, and
    /// - the per-group diagonal Fisher `F_g = (1/N_g) Σ_{n∈g} (∇_θ ℓ_n)²` of every
    ///   trainable tensor by `jit(vmap(grad))`, `chunk` rows a call, the squares summed per
    ///   group (an einsum with the rows' one-hot groups) and divided by the group counts;
    ///   `ℓ_n` the binary cross-entropy `−(y log p + (1−y) log(1−p))` of a one-unit
    ///   head, the categorical negative log-likelihood `−log p_y` of a softmax head —
    ///   the loss fairaudit's Fisher uses on the logits (docs/method.md), for the
    ///   sigmoid or softmax heads the zoo has;
    ///
    /// each timed as `Benchmark.perRun` times fairaudit's: after a warm-up run (which
    /// compiles), `samples` samples, each repeating the pass until at least `min_cpu`
    /// seconds of process CPU (every thread's) have passed, the least CPU per run counting.
    /// Prints `predict wall cpu`, `fisher wall cpu` (unless `fisher` is 0) and
    /// `versions keras jax`; `missing NAME` when a module is not installed.
    static let kerasReferenceScript = """
        import os, sys, time
        os.environ["KERAS_BACKEND"] = "jax"
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
        try:
            import numpy as np
            import jax
            import jax.numpy as jnp
            import keras
        except ImportError as e:
            print("missing", e.name, flush=True)
            sys.exit(0)
        path, rows_file = sys.argv[1], sys.argv[2]
        samples, min_cpu, chunk, fisher, groups = int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), sys.argv[6] == "1", int(sys.argv[7])
        names = sys.argv[8:]
        model = keras.models.load_model(path, compile=False)
        d = np.load(rows_file)
        label, group = d["label"], d["group"]
        n = len(label)
        knames = [t.name.split(":")[0] for t in model.inputs]
        order = knames if sorted(knames) == sorted(names) else names
        inputs = []
        for t, name in zip(model.inputs, order):
            a = d["input_%d" % names.index(name)]
            inputs.append(a.astype(np.int32) if "int" in str(t.dtype) else a)

        def best(f):
            f()
            per_run = []
            for _ in range(samples):
                runs, wall, cpu = 0, 0.0, 0.0
                while runs == 0 or cpu < min_cpu:
                    t, c = time.perf_counter(), time.process_time()
                    f()
                    wall, cpu, runs = wall + time.perf_counter() - t, cpu + time.process_time() - c, runs + 1
                per_run.append((cpu / runs, wall / runs))
            cpu, wall = min(per_run)
            return wall, cpu

        wall, cpu = best(lambda: model.predict(inputs, batch_size=4096, verbose=0))
        print("predict", wall, cpu, flush=True)
        if fisher:
            tv = [v.value for v in model.trainable_variables]
            ntv = [v.value for v in model.non_trainable_variables]
            softmax = int(model.outputs[0].shape[-1]) > 1

            def loss(tv, x, y):
                out, _ = model.stateless_call(tv, ntv, [a[None] for a in x], training=False)
                p = out[0]
                if not softmax:
                    return -(y * jnp.log(p[0]) + (1 - y) * jnp.log(1 - p[0]))
                return -jnp.log(p[y])

            @jax.jit
            def sq_sums(x, y, onehot):
                g = jax.vmap(jax.grad(loss), in_axes=(None, 0, 0))(tv, x, y)
                return [jnp.einsum("n...,ng->g...", gi * gi, onehot) for gi in g]

            def per_group(x, y, onehot):
                sums = None
                for s in range(0, n, chunk):
                    part = sq_sums([a[s:s + chunk] for a in x], y[s:s + chunk], onehot[s:s + chunk])
                    sums = part if sums is None else [a + b for a, b in zip(sums, part)]
                count = jnp.maximum(onehot.sum(0), 1)
                return [v / count.reshape((-1,) + (1,) * (v.ndim - 1)) for v in sums]

            onehot = jnp.asarray(np.eye(groups, dtype="float32")[group])
            jx = [jnp.asarray(a) for a in inputs]
            jy = jnp.asarray(label.astype(np.int32) if softmax else label.astype(np.float32))
            wall, cpu = best(lambda: jax.block_until_ready(per_group(jx, jy, onehot)))
            print("fisher", wall, cpu, flush=True)
        print("versions", keras.__version__, jax.__version__, flush=True)
        """

    /// True for a model file `keras.models.load_model` reads: a Keras 3
    /// `.keras` bundle or a legacy (tf.keras 2) `.h5` with its config.
    static func isKerasModel(_ graph: ModelGraph) -> Bool {
        graph.layout == .kerasBundle || graph.layout == .kerasLegacy
    }

    /// Writes the rows of `data` as the child of ``referenceKeras(python:model:data:inputNames:inputShapes:options:dir:input:)``
    /// reads them: an npz (stored, as `np.savez` writes) with `input_k`, float32
    /// of shape `(N, inputShapes[k]…)` — model input k's values, cut from each
    /// row's features where fairaudit lays them side by side in input order —
    /// `label` (float32, length N) and `group` (int32, each row's index into
    /// `data.groupNames`). Throws when the features do not hold the inputs' widths.
    public static func writeReferenceRows(
        _ data: LabeledData, inputNames: [String], inputShapes: [[Int]], to url: URL
    ) throws {
        let rows = data.rowCount
        let widths = inputShapes.map { $0.reduce(1, *) }
        guard inputNames.count == inputShapes.count, widths.reduce(0, +) == data.featureCount,
            data.features.count == rows * data.featureCount, data.rowGroups.count == rows
        else {
            throw FairAuditError.invalidInput(
                path: data.source,
                reason:
                    "the rows hold \(data.featureCount) values each, the model's inputs \(widths.reduce(0, +))")
        }
        func npy<T>(_ values: [T], descr: String, shape: [Int]) -> Data {
            var out = NPYHeader.preamble(descr: descr, fortranOrder: false, shape: shape)
            values.withUnsafeBytes { out.append(contentsOf: $0) }
            return out
        }
        var writer = ZipWriter()
        var offset = 0
        let d = data.featureCount
        for (k, width) in widths.enumerated() {
            var values = [Float]()
            values.reserveCapacity(rows * width)
            if width == d {
                values = data.features
            } else {
                for r in 0..<rows {
                    values.append(contentsOf: data.features[(r * d + offset)..<(r * d + offset + width)])
                }
            }
            try writer.add(name: "input_\(k).npy", data: npy(values, descr: "<f4", shape: [rows] + inputShapes[k]))
            offset += width
        }
        try writer.add(name: "label.npy", data: npy(data.labels, descr: "<f4", shape: [rows]))
        try writer.add(name: "group.npy", data: npy(data.rowGroups.map { Int32($0) }, descr: "<i4", shape: [rows]))
        try writer.write(to: url)
    }

    /// Keras 3 `predict` (JAX backend, CPU) and JAX `jit(vmap(grad))` per-group
    /// Fisher (``kerasReferenceScript``) of the Keras `model` on exactly the rows of
    /// `data` fairaudit timed, in a child `python` (same machine and cores, the same
    /// timing rule), the Fisher skipped when `options.forwardOnly`. The rows go through
    /// a temporary npz in `dir`, removed afterwards. A missing Python, Keras or JAX is
    /// one note on stderr and no measurement; so is a failing child (the note names the
    /// Python, the model and the child's last line on stderr).
    static func referenceKeras(
        python: String, model: URL, data: LabeledData, inputNames: [String], inputShapes: [[Int]],
        options: Options, dir: URL, input: String
    ) -> [Measurement] {
        let what = "note: Keras predict and JAX Fisher not timed"
        func note(_ s: String) { FileHandle.standardError.write(Data("\(what): \(s)\n".utf8)) }
        let rowsFile = dir.appendingPathComponent("keras-rows-\(getpid()).npz")
        let errFile = dir.appendingPathComponent("keras-stderr-\(getpid()).txt")
        defer {
            try? FileManager.default.removeItem(at: rowsFile)
            try? FileManager.default.removeItem(at: errFile)
        }
        do {
            try writeReferenceRows(data, inputNames: inputNames, inputShapes: inputShapes, to: rowsFile)
        } catch {
            note("cannot write the rows for \(python): \(error)")
            return []
        }
        let fisher = !options.forwardOnly
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python.contains("/") ? python : "/usr/bin/env")
        process.arguments =
            (python.contains("/") ? [] : [python]) + [
                "-c", kerasReferenceScript, model.path, rowsFile.path, String(max(options.repeats, 5)), "0.2",
                String(options.kerasFisherChunk), fisher ? "1" : "0", String(max(data.groupNames.count, 1)),
            ] + inputNames
        var environment = ProcessInfo.processInfo.environment
        environment["KERAS_BACKEND"] = "jax"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
        process.standardError = (try? FileHandle(forWritingTo: errFile)) ?? FileHandle.nullDevice
        do { try process.run() } catch {
            note("cannot run \(python) (--keras-python PATH names a Python with keras and jax)")
            return []
        }
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        var lines: [String: [String]] = [:]
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ").map(String.init)
            if let key = words.first { lines[key] = Array(words.dropFirst()) }
        }
        if let missing = lines["missing"] {
            note("\(python) lacks \(missing.first ?? "keras or jax") (--keras-python PATH names another)")
            return []
        }
        func timing(_ key: String) -> Timing? {
            guard let v = lines[key], v.count == 2, let wall = Double(v[0]), let cpu = Double(v[1]) else { return nil }
            return Timing(wall: wall, cpu: cpu)
        }
        guard process.terminationStatus == 0, let predict = timing("predict"), !fisher || timing("fisher") != nil
        else {
            let err = (try? String(contentsOf: errFile, encoding: .utf8)) ?? ""
            let last = err.split(separator: "\n").last.map { ": \($0)" } ?? ""
            note("\(python) failed on \(model.path) (exit \(process.terminationStatus))\(last)")
            return []
        }
        let rows = Double(data.rowCount)
        var out = [
            Measurement(
                name: kerasPredictName, seconds: predict.wall, cpuSeconds: predict.cpu, amount: rows, unit: "rows/s",
                input: input, referenceFor: "forward")
        ]
        if fisher, let t = timing("fisher") {
            out.append(
                Measurement(
                    name: jaxFisherName, seconds: t.wall, cpuSeconds: t.cpu, amount: rows, unit: "rows/s",
                    input: input, referenceFor: "per-group Fisher"))
        }
        return out
    }

    /// `data`'s rows repeated in order (row i of the result is row `i mod N`)
    /// or cut to exactly `rows` rows: a few hundred zoo rows tiled to 50,000.
    public static func tiledRows(_ data: LabeledData, rows: Int) -> LabeledData {
        guard rows != data.rowCount, data.rowCount > 0 else { return data }
        var out = data.subset((0..<rows).map { $0 % data.rowCount })
        out.source = data.source
        return out
    }
}
