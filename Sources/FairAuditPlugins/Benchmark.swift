import FairAudit
import Foundation

/// Throughput of the hot paths: reading every tensor of generated files
/// (npz stored and deflated, HDF5 contiguous and gzip-chunked, safetensors,
/// a torch.save checkpoint) or of given
/// files, tensor statistics, CSV parsing (a generated Adult-shaped CSV and
/// its `.gz`, side by side with `pandas.read_csv`), the forward pass, per-group Fisher,
/// the fairness metrics with bootstrap, one fine-tuning epoch — on synthetic
/// rows, and on a real dataset and model when given.
public enum Benchmark {
    /// One measured path.
    public struct Measurement: Sendable {
        /// What was timed, e.g. `read npz (deflated)`.
        public var name: String
        /// Wall-clock seconds (the best of the repeats where repeated; per run of
        /// the best sample where timed in samples).
        public var seconds: Double
        /// Megabytes (10⁶ bytes of decoded values) or rows processed.
        public var amount: Double
        /// `MB/s` or `rows/s`.
        public var unit: String
        /// Where the input came from (a file path, `synthetic`, …).
        public var input: String
        /// CPU seconds (user + system, all threads) of the same run; on a
        /// busy machine a steadier yardstick than the wall clock.
        public var cpuSeconds: Double
        /// For a reference library's measurement (onnxruntime, Keras, JAX): the
        /// name of fairaudit's measurement on the same input it is set beside
        /// (``ratio(of:in:)``); nil for fairaudit's own.
        public var referenceFor: String?
        /// `amount / seconds`.
        public var throughput: Double { amount / max(seconds, 1e-9) }

        /// Creates a measurement.
        public init(
            name: String, seconds: Double, cpuSeconds: Double = .nan, amount: Double, unit: String,
            input: String = "synthetic", referenceFor: String? = nil
        ) {
            self.name = name
            self.seconds = seconds
            self.cpuSeconds = cpuSeconds
            self.amount = amount
            self.unit = unit
            self.input = input
            self.referenceFor = referenceFor
        }
    }

    /// What to run.
    public struct Options: Sendable {
        /// Megabytes of float32 tensors in the generated npz files (0 skips them).
        public var npzMegabytes = 512
        /// Megabytes of float32 tensors in the generated HDF5 files (0 skips them).
        public var hdf5Megabytes = 1024
        /// Megabytes of float32 tensors in the generated `.safetensors` and `.pt` files (0 skips them).
        public var checkpointMegabytes = 512
        /// Synthetic rows of 80 features for the model paths (0 skips them).
        public var rows = 100_000
        /// Existing files to time reading every tensor of.
        public var files: [URL] = []
        /// Keep the generated files here (for timing them with numpy/h5py)
        /// instead of a temporary folder that is removed afterwards.
        public var keepDirectory: URL? = nil
        /// A labeled CSV (label `income`, group `sex`, ignored `race` by
        /// default) and a model, for the model paths on real data.
        public var dataFile: URL? = nil
        /// The model for `dataFile`.
        public var modelFile: URL? = nil
        /// The data's label, group and ignored columns.
        public var dataColumns = CSVDataOptions(label: "income", groups: ["sex"], ignore: ["race"])
        /// Timed runs of each read path, the fastest counting; samples of the
        /// forward pass, each repeated to at least 0.2 s of CPU, the least CPU per run counting.
        public var repeats = 3
        /// Models and their labeled rows (paired in order) whose fine-tuning
        /// epoch is timed beside Keras `fit` on the same rows.
        public var fitModels: [URL] = []
        public var fitData: [URL] = []
        /// The Python whose Keras `fit` is timed beside `fix`, and whose Keras 3
        /// `predict` and JAX `vmap(grad)` Fisher beside fairaudit's on a Keras
        /// `modelFile` (nil skips them).
        public var kerasPython: String? = nil
        /// Rows per `jit(vmap(grad))` call of the JAX Fisher reference (summed per
        /// group), so an image model's per-sample gradients fit in memory.
        public var kerasFisherChunk = 1024
        /// Repeat (or cut) the rows of `dataFile` to exactly this many, in order, before timing.
        public var dataRows: Int? = nil
        /// Rows of the generated Adult-shaped CSV (83 columns) and its `.gz` (0 skips them).
        public var csvRows = 1_000_000
        /// The Python whose `pandas.read_csv` (and `safetensors`/`torch.load`) is
        /// timed on the same generated files (nil skips it).
        public var python: String? = "python3"
        /// On `dataFile`/`modelFile`, time only the forward pass (and
        /// onnxruntime's on an ONNX model), not Fisher, metrics or fine-tuning.
        public var forwardOnly = false

        /// Every path with the defaults.
        public init() {}
    }

    /// Runs what `options` asks for, telling `report` each result as it comes.
    public static func run(_ options: Options, report: (Measurement) -> Void = { _ in }) throws -> [Measurement] {
        var out: [Measurement] = []
        func record(_ m: Measurement) {
            out.append(m)
            report(m)
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("fairaudit-bench-\(getpid())")
        let dir = options.keepDirectory ?? scratch
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { if options.keepDirectory == nil { try? FileManager.default.removeItem(at: scratch) } }

        for url in options.files {
            try readPaths(url, label: url.lastPathComponent, repeats: options.repeats, stats: false).forEach(record)
        }
        if options.npzMegabytes > 0 {
            try npzPaths(
                megabytes: options.npzMegabytes, dir: dir, keep: options.keepDirectory != nil,
                repeats: options.repeats, record: record)
        }
        if options.hdf5Megabytes > 0 {
            try hdf5Paths(
                megabytes: options.hdf5Megabytes, dir: dir, keep: options.keepDirectory != nil,
                repeats: options.repeats, record: record)
        }
        if options.checkpointMegabytes > 0 {
            try checkpointPaths(
                megabytes: options.checkpointMegabytes, dir: dir, keep: options.keepDirectory != nil,
                repeats: options.repeats, python: options.python, record: record)
        }
        if options.csvRows > 0 {
            try csvPaths(
                rows: options.csvRows, dir: dir, keep: options.keepDirectory != nil, repeats: options.repeats,
                python: options.python, record: record)
        }
        if options.rows > 0 {
            try syntheticModelPaths(rows: options.rows, dir: dir, record: record)
        }
        if let data = options.dataFile, let model = options.modelFile {
            try realModelPaths(data: data, model: model, options: options, dir: dir, record: record)
        }
        for (model, data) in zip(options.fitModels, options.fitData) {
            try fitPaths(
                model: model, data: data, columns: options.dataColumns, python: options.kerasPython, dir: dir,
                record: record)
        }
        return out
    }

    /// Wall-clock and CPU (user + system, all threads) seconds of one run.
    struct Timing {
        var wall: Double, cpu: Double
    }

    /// Process CPU seconds so far (user + system).
    static func cpuNow() -> Double {
        var u = rusage()
        #if os(Linux)
            getrusage(RUSAGE_SELF.rawValue, &u)
        #else
            getrusage(RUSAGE_SELF, &u)
        #endif
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    }

    /// How long `body` takes.
    static func time(_ body: () throws -> Void) throws -> Timing {
        let start = DispatchTime.now().uptimeNanoseconds
        let cpu = cpuNow()
        try body()
        return Timing(wall: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, cpu: cpuNow() - cpu)
    }

    /// The least CPU time of one run of `body` over `samples` samples, each
    /// sample running `body` again until at least `minCPU` seconds of CPU
    /// have passed (at least once) and dividing by the runs: a forward pass of
    /// a few milliseconds is timed over many runs, not one clock tick.
    /// The Keras/JAX reference (``kerasReferenceScript``) times Keras and JAX by the same rule.
    static func perRun(_ samples: Int, minCPU: Double = 0.2, _ body: () throws -> Void) throws -> Timing {
        var fastest = Timing(wall: .infinity, cpu: .infinity)
        for _ in 0..<max(1, samples) {
            var runs = 0
            var total = Timing(wall: 0, cpu: 0)
            repeat {
                let t = try time(body)
                total = Timing(wall: total.wall + t.wall, cpu: total.cpu + t.cpu)
                runs += 1
            } while total.cpu < minCPU
            if total.cpu / Double(runs) < fastest.cpu {
                fastest = Timing(wall: total.wall / Double(runs), cpu: total.cpu / Double(runs))
            }
        }
        return fastest
    }

    /// The fastest (wall-clock) of `repeats` runs of `body`.
    static func best(_ repeats: Int, _ body: () throws -> Void) throws -> Timing {
        var fastest = Timing(wall: .infinity, cpu: .infinity)
        for _ in 0..<max(1, repeats) {
            let t = try time(body)
            if t.wall < fastest.wall { fastest = t }
        }
        return fastest
    }

    /// fairaudit's speed over a reference library's on the same rows.
    public struct Ratio: Sendable {
        /// fairaudit's measurement the reference stands beside.
        public var ours: Measurement
        /// `(a/c_a) / (r/c_r)`: fairaudit's rows per CPU second over the reference's.
        public var cpu: Double
        /// `(a/s_a) / (r/s_r)`: the same per wall-clock second.
        public var wall: Double
    }

    /// fairaudit's speed over `reference`'s (``Ratio``), against the measurement named
    /// `reference.referenceFor` on the same input (`a`, `r` the amounts, `c` the CPU and `s`
    /// the wall-clock seconds); nil when `reference` is no reference or fairaudit's
    /// measurement is not in `results`.
    public static func ratio(of reference: Measurement, in results: [Measurement]) -> Ratio? {
        guard let name = reference.referenceFor,
            let ours = results.first(where: {
                $0.name == name && $0.input == reference.input && $0.referenceFor == nil
            })
        else { return nil }
        let cpu = (ours.amount / ours.cpuSeconds) / (reference.amount / reference.cpuSeconds)
        return Ratio(ours: ours, cpu: cpu, wall: ours.throughput / reference.throughput)
    }

    /// The results as one JSON array of `{"name","input","seconds","cpu_seconds","amount","unit","throughput"}`;
    /// a reference measurement adds `"reference_for"` (the name of fairaudit's measurement
    /// it stands beside), `"ratio_cpu"` and `"ratio_wall"` (fairaudit's rows per CPU and per
    /// wall-clock second over the reference's, ``ratio(of:in:)``; null when not known).
    public static func json(_ results: [Measurement]) -> JSONValue {
        .array(
            results.map { m in
                var fields: [(String, JSONValue)] = [
                    ("name", .string(m.name)), ("input", .string(m.input)), ("seconds", .number(m.seconds)),
                    ("cpu_seconds", .finite(m.cpuSeconds)),
                    ("amount", .number(m.amount)), ("unit", .string(m.unit)), ("throughput", .number(m.throughput)),
                ]
                if let name = m.referenceFor {
                    let r = ratio(of: m, in: results)
                    fields += [
                        ("reference_for", .string(name)), ("ratio_cpu", .finite(r?.cpu ?? .nan)),
                        ("ratio_wall", .finite(r?.wall ?? .nan)),
                    ]
                }
                return .object(fields)
            })
    }
}
