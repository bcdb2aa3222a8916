import FairAudit
extension ModelGraph {
    func inferredLayers(activation: Activation, head: HeadKind) throws -> [Layer] {
        throw FairAuditError.unsupportedModel(reason: "state-dict inference pending")
    }
}
