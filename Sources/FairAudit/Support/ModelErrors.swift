/// Errors of running a model, named by the model's file.
public enum ModelErrors {
    /// Runs `body`; a library error about the model (not about some other
    /// file) is rethrown naming `path`.
    public static func naming<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as FairAuditError {
            switch e {
            case .unsupportedModel(let reason):
                throw FairAuditError.invalidInput(path: path, reason: "cannot be run: " + reason)
            case .missingTensor, .shapeMismatch, .truncatedTensor:
                throw FairAuditError.invalidInput(path: path, reason: e.description)
            default: throw e
            }
        }
    }
}
