import FairAudit
import FormatPyTorch
import FormatSafeTensors
import Foundation

extension Benchmark {
    /// Writes `megabytes` of tensors as a `.safetensors` file and a
    /// `torch.save` checkpoint (one storage per tensor, stored) and times
    /// reading each; then, with `python`, `safetensors.numpy.load_file` and
    /// `torch.load` on the same files (also `scripts/bench/torch_safetensors.py`).
    static func checkpointPaths(
        megabytes: Int, dir: URL, keep: Bool, repeats: Int, python: String?,
        record: (Measurement) -> Void
    ) throws {
        let safetensors = dir.appendingPathComponent("bench.safetensors")
        let torch = dir.appendingPathComponent("bench.pt")
        var graph = syntheticTensors(megabytes: megabytes)
        graph.format = SafeTensorsFormat.name
        try SafeTensorsFormat.write(graph, to: safetensors, basedOn: nil)
        graph.format = PyTorchFormat.name
        try PyTorchFormat.write(graph, to: torch, basedOn: nil)
        try readPaths(safetensors, label: "safetensors", repeats: repeats, stats: false).forEach(record)
        try readPaths(torch, label: "torch.save (.pt)", repeats: repeats, stats: false).forEach(record)
        if let python {
            referenceCheckpointReads(python: python, files: [safetensors, torch], repeats: repeats).forEach(record)
        }
        if !keep { for u in [safetensors, torch] { try? FileManager.default.removeItem(at: u) } }
    }
}
