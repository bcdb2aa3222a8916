import Foundation

// libFuzzer target: the Keras `model_config` / config.json parser
// (`KerasConfig`, Sources/FairAudit/Keras). Each input is parsed, and its
// architecture built twice: with no weights, and with weights named after
// every layer's roles (kernel 4×units-or-4, other roles width 4) so the
// weight assignment and shape checks run too.
// Any input must give an architecture or a `FairAuditError`, never a trap.
@testable import FairAudit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let json = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        _ = try KerasConfig.architecture(fromJSON: json, weights: [:], shapes: [:])
    } catch is FairAuditError {
    } catch {
        fatalError("KerasConfig threw a foreign error: \(error)")
    }
    guard let entries = try? KerasConfig.entries(fromJSON: json) else { return 0 }
    var weights: [String: [String]] = [:]
    var shapes: [String: [Int]] = [:]
    for e in entries {
        guard case .layer(let layer, let roles)? = try? KerasConfig.convert(e) else { continue }
        let names = roles.map { "\(e.name)/\($0):0" }
        weights[e.name] = names
        for (role, name) in zip(roles, names) {
            let units = min(max(layer.units ?? 4, 0), 1 << 20)
            shapes[name] = role == "kernel" ? [4, units] : role == "bias" ? [units] : [4]
        }
    }
    do {
        _ = try KerasConfig.architecture(fromJSON: json, weights: weights, shapes: shapes)
    } catch is FairAuditError {
    } catch {
        fatalError("KerasConfig threw a foreign error: \(error)")
    }
    return 0
}
