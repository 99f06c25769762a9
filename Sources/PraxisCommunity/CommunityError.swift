/// A refused use case, with a message a person can act on. The server maps `kind` to an HTTP
/// status and the CLI prints `message` and exits non-zero.
public struct CommunityError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Bad input (HTTP 400 / 422).
        case invalid
        /// The name or thing exists already (HTTP 409).
        case conflict
        /// Nothing of that name (HTTP 404).
        case notFound
        /// Not allowed for this person (HTTP 403, or 404 where existence itself is private).
        case forbidden
    }

    public let kind: Kind
    public let message: String
    /// The input field at fault, for `.invalid` errors about one field.
    public let field: String?

    public init(_ kind: Kind, _ message: String, field: String? = nil) {
        self.kind = kind
        self.message = message
        self.field = field
    }

    public var description: String { message }
}
