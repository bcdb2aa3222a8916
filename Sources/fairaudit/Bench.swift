import ArgumentParser
import FairAudit
import FairAuditPlugins
import Foundation

extension FairAuditCommand {
    /// `fairaudit benchmark` (alias `bench`): throughput of the hot paths.
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "benchmark",
            abstract: "Measure the throughput of reading tensors, CSV, forward, Fisher, metrics and fine-tuning.",
            discussion: """
                Build with -c release for meaningful numbers: swift run -c release fairaudit bench. \
                The default run writes a 512 MB npz (stored and deflated), a 1 GB HDF5 file \
                (contiguous and gzip-chunked), a 512 MB .safetensors and torch.save .pt (timed beside \
                safetensors.numpy.load_file and torch.load from --python) and a 1M-row Adult-shaped CSV with its .gz \
                (timed beside pandas.read_csv from --python) to a temporary folder (--keep DIR keeps them, to time \
                them with numpy/h5py: see scripts/bench/), and runs the model paths on 100,000 \
                synthetic rows; --data and --model add the same paths on a real file (an ONNX --model is also \
                run by onnxruntime from --python on the same rows, 2 intra-op threads as fairaudit's predict). \
                A Keras --model (.keras, or a tf.keras 2 .h5 with its config) is also run by Keras 3 \
                from --keras-python (KERAS_BACKEND=jax, CPU) on exactly the rows fairaudit timed: model.predict \
                beside the forward pass and the per-group Fisher by JAX jit(vmap(grad)) (--keras-fisher-chunk rows \
                a call) beside fairaudit's, each timed by fairaudit's rule (after a warm-up, the least CPU per run \
                over 5 samples of at least 0.2 s of CPU); the ratios fairaudit/reference are printed (rows per CPU \
                second and per second) and, with --json, carried by each reference ("reference_for", "ratio_cpu", \
                "ratio_wall"). A Python without keras or jax is one note on stderr; fairaudit's own numbers stay. \
                --data-rows N repeats the --data rows to N (scripts/bench/zoo.sh tiles the zoo's rows this way). \
                --fit-model M --fit-data D (repeatable) times one fine-tuning epoch of fix on every row of D \
                beside Keras 3 model.fit (JAX backend, --keras-python) of M on the same rows and batch size.
                """,
            aliases: ["bench"])

        @Option(name: .customLong("file"), help: "Time reading every tensor of this file (repeatable).")
        var files: [String] = []

        @Option(help: "Megabytes of float32 tensors in the generated npz files (0 skips them).")
        var npzMegabytes = 512

        @Option(
            name: .customLong("h5-megabytes"),
            help: "Megabytes of float32 tensors in the generated HDF5 files (0 skips them).")
        var hdf5Megabytes = 1024

        @Option(
            help: "Megabytes of float32 tensors in the generated .safetensors and torch.save .pt files (0 skips them).")
        var checkpointMegabytes = 512

        @Option(help: "Synthetic rows of 80 features for the model paths (0 skips them).")
        var rows = 100_000

        @Option(
            name: .customLong("csv-rows"),
            help: "Rows of the generated Adult-shaped CSV (83 columns) read as .csv and .csv.gz (0 skips them).")
        var csvRows = 1_000_000

        @Option(
            help:
                "The Python whose pandas.read_csv, safetensors.numpy.load_file and torch.load are timed on the same files ('none' skips it)."
        )
        var python = "python3"

        @Option(help: "Keep the generated files in this folder.")
        var keep: String?

        @Option(
            help:
                "Labeled rows (a CSV, .csv.gz, or an npz of input, label and group arrays) for the model paths on real data; needs --model."
        )
        var data: String?

        @Option(help: "The model for --data.")
        var model: String?

        @Option(help: "The label column of --data.")
        var label = "income"

        @Option(help: "The group column of --data (repeatable).")
        var group: [String] = ["sex"]

        @Option(help: "A column of --data that is not a feature (repeatable).")
        var ignore: [String] = ["race"]

        @Option(
            help:
                "Timed runs of each read path, the fastest counting; samples of the forward pass (each at least 0.2 s of CPU), the least CPU per run counting."
        )
        var repeats = 3

        @Option(
            help: ArgumentHelp(
                "A Keras model whose fine-tuning epoch is timed beside Keras fit on --fit-data (repeatable, paired in order).",
                valueName: "file"))
        var fitModel: [String] = []

        @Option(
            help: ArgumentHelp(
                "The labeled rows (CSV or npz, columns as --label/--group/--ignore name them) of each --fit-model.",
                valueName: "file"))
        var fitData: [String] = []

        @Option(
            help: ArgumentHelp(
                "The Python (with keras 3 and jax) whose model.fit is timed on the --fit-data rows, and whose model.predict and jit(vmap(grad)) per-group Fisher are timed on the --data rows of a Keras --model ('none' skips them; default --python).",
                valueName: "python"))
        var kerasPython: String?

        @Option(
            help: ArgumentHelp(
                "Rows per jit(vmap(grad)) call of the JAX per-group Fisher reference, summed per group (keeps image models' memory bounded).",
                valueName: "n"))
        var kerasFisherChunk = 1024

        @Option(
            help: ArgumentHelp(
                "Repeat (or cut) the --data rows to exactly n rows, in order, before timing (row i is row i mod N of the file).",
                valueName: "n"))
        var dataRows: Int?

        @Flag(
            help:
                "Only the paths asked for by --file, --data/--model, --fit-model (no generated files, no synthetic rows)."
        )
        var only = false

        @Flag(
            help:
                "On --data/--model, time only the forward pass as predict runs it (and onnxruntime's on an ONNX model), not Fisher, metrics or fine-tuning."
        )
        var forwardOnly = false

        @Flag(help: "Print one JSON array.")
        var json = false

        func validate() throws {
            guard (0...16384).contains(npzMegabytes), (0...16384).contains(hdf5Megabytes),
                (0...16384).contains(checkpointMegabytes)
            else {
                throw ValidationError("--npz-megabytes, --h5-megabytes and --checkpoint-megabytes must be 0…16384.")
            }
            guard rows == 0 || (1000...10_000_000).contains(rows) else {
                throw ValidationError("--rows must be 0 or 1000…10000000.")
            }
            guard (data == nil) == (model == nil) else { throw ValidationError("--data and --model go together.") }
            guard csvRows == 0 || (1000...100_000_000).contains(csvRows) else {
                throw ValidationError("--csv-rows must be 0 or 1000…100000000.")
            }
            guard fitModel.count == fitData.count else {
                throw ValidationError(
                    "--fit-model and --fit-data go in pairs (\(fitModel.count) models, \(fitData.count) data files).")
            }
            guard (1...100).contains(repeats) else { throw ValidationError("--repeats must be 1…100.") }
            guard (1...1_000_000).contains(kerasFisherChunk) else {
                throw ValidationError("--keras-fisher-chunk must be 1…1000000.")
            }
            if let dataRows {
                guard data != nil else { throw ValidationError("--data-rows needs --data.") }
                guard (1...100_000_000).contains(dataRows) else {
                    throw ValidationError("--data-rows must be 1…100000000.")
                }
            }
        }

        func run() throws {
            var options = Benchmark.Options()
            options.files = files.map { URL(fileURLWithPath: $0) }
            options.npzMegabytes = only ? 0 : npzMegabytes
            options.hdf5Megabytes = only ? 0 : hdf5Megabytes
            options.checkpointMegabytes = only ? 0 : checkpointMegabytes
            options.rows = only ? 0 : rows
            options.csvRows = only ? 0 : csvRows
            options.python = python == "none" ? nil : python
            options.keepDirectory = keep.map { URL(fileURLWithPath: $0, isDirectory: true) }
            options.dataFile = data.map { URL(fileURLWithPath: $0) }
            options.modelFile = model.map { URL(fileURLWithPath: $0) }
            options.dataColumns = CSVDataOptions(label: label, groups: group, ignore: ignore)
            options.repeats = repeats
            options.forwardOnly = forwardOnly
            options.fitModels = fitModel.map { URL(fileURLWithPath: $0) }
            options.fitData = fitData.map { URL(fileURLWithPath: $0) }
            let keras = kerasPython ?? python
            options.kerasPython = keras == "none" ? nil : keras
            options.kerasFisherChunk = kerasFisherChunk
            options.dataRows = dataRows
            let results = try Benchmark.run(options) { m in
                if !json {
                    FileHandle.standardError.write(Data("  \(m.name): \(Format.g(m.throughput, 4)) \(m.unit)\n".utf8))
                }
            }
            if json { return emit(Benchmark.json(results).serialized(pretty: true)) }
            var table = TextTable(
                headers: ["path", "input", "seconds", "cpu s", "throughput"], rightAligned: [2, 3, 4])
            for m in results {
                table.add([
                    m.name, m.input, Format.f(m.seconds, 3), m.cpuSeconds.isFinite ? Format.f(m.cpuSeconds, 3) : "-",
                    "\(Format.g(m.throughput, 4)) \(m.unit)",
                ])
            }
            emit(table.rendered())
            for reference in results {
                guard let r = Benchmark.ratio(of: reference, in: results), r.cpu.isFinite else { continue }
                emit(
                    "fairaudit \(r.ours.name) / \(reference.name): \(Format.f(r.cpu, 2))× the rows per CPU second, "
                        + "\(Format.f(r.wall, 2))× the rows per second (same rows, same run)")
            }
        }
    }
}
