import PraxisSQLite

/// Errors of the storage layer, each with a message an operator or member can act on.
public enum StorageError: Error, CustomStringConvertible, Sendable, Equatable {
    case notInitialised(String)
    case alreadyInitialised(String)
    case invalidDataDirectory(String)
    case invalidConfiguration(String)
    case duplicate(String)
    case notFound(String)
    case invalidValue(String)

    public var description: String {
        switch self {
        case .notInitialised(let path):
            "\(path) does not hold a Praxis node; run `praxis init --data \(path) --domain HOST` first"
        case .alreadyInitialised(let path):
            "\(path) already holds a Praxis node; refusing to overwrite it"
        case .invalidDataDirectory(let m), .invalidConfiguration(let m), .duplicate(let m), .notFound(let m),
            .invalidValue(let m):
            m
        }
    }
}
