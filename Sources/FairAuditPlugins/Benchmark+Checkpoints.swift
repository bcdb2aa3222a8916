import FairAudit
import FormatPyTorch
import FormatSafeTensors
import Foundation

extension Benchmark {
    /// Writes `megabytes` of tensors as a `.safetensors` file and a
    /// `torch.save` checkpoint (one storage per tensor, stored) and times
    /// reading each — the same files `scripts/bench/torch_safetensors.py`
    /// times with `safetensors.numpy.load_file` and `torch.load`.
    static func checkpointPaths(megabytes: Int, dir: URL, keep: Bool, repeats: Int, record: (Measurement) -> Void) throws {
        let safetensors = dir.appendingPathComponent("bench.safetensors")
        let torch = dir.appendingPathComponent("bench.pt")
        var graph = syntheticTensors(megabytes: megabytes)
        graph.format = SafeTensorsFormat.name
        try SafeTensorsFormat.write(graph, to: safetensors, basedOn: nil)
        graph.format = PyTorchFormat.name
        try PyTorchFormat.write(graph, to: torch, basedOn: nil)
        try readPaths(safetensors, label: "safetensors", repeats: repeats, stats: false).forEach(record)
        try readPaths(torch, label: "torch.save (.pt)", repeats: repeats, stats: false).forEach(record)
        if !keep { for u in [safetensors, torch] { try? FileManager.default.removeItem(at: u) } }
    }
}
